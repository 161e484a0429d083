/**
 * The slice of the WebAssembly JS API the fast mode uses. The project compiles with lib es2022 (no
 * DOM), whose declarations lack `WebAssembly`, so it is typed here, locally (as machine/hash does).
 */
export interface WasmGlobal {
  value: number | bigint;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}
export type WasmModuleObject = object;
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModuleObject;
  Instance: new (module: WasmModuleObject, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (desc: { initial: number; maximum?: number }) => WasmMemory;
  RuntimeError: new (...a: unknown[]) => Error;
}

export const Wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
