/** Test helpers of the machine core: WAT → wasm (wabt), instances, hex. */
import { loadWasm } from "../../machine/wasm";
import { Instance, type InstanceOptions } from "../../machine/process/instance";
import { HOST_IMPORTS } from "../../machine/process";

// wabt is CommonJS with an async factory.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wabtFactory: () => Promise<WabtModule> = require("wabt");

interface WabtModule {
  parseWat(
    name: string,
    src: string,
    features?: Record<string, boolean>,
  ): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
}

let wabt: WabtModule | undefined;

/** Compiles WebAssembly text to a binary. */
export async function wat(src: string): Promise<Uint8Array> {
  wabt ??= await wabtFactory();
  const m = wabt.parseWat("test.wat", src, { bulk_memory: true, sign_extension: true, multi_value: true });
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** An instance of a WAT module. */
export async function instanceOf(src: string, opts: InstanceOptions = {}): Promise<Instance> {
  const bytes = await wat(src);
  return new Instance(loadWasm(bytes, { allowedImports: HOST_IMPORTS }), opts);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
