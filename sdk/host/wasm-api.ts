/**
 * The slice of the WebAssembly JS API the host uses. The project compiles with lib es2022 (no DOM),
 * whose declarations lack `WebAssembly`, so it is typed here, locally (as machine/hash/keccak-wasm.ts
 * does), rather than as a global declaration.
 */

/** A compiled module (opaque). */
export type WasmCompiled = object;

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmGlobal {
  value: number | bigint;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmImports = Record<string, Record<string, (...args: number[]) => number | void>>;

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmCompiled>;
  instantiate(module: WasmCompiled, imports: WasmImports): Promise<WasmInstance>;
  Instance: new (module: WasmCompiled, imports: WasmImports) => WasmInstance;
  RuntimeError: new (message?: string) => Error;
}

/** The engine's `WebAssembly` object. */
export const WebAssemblyApi: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
