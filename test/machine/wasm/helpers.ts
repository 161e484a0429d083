/**
 * Test helpers for the WebAssembly loader: `wat` (text → binary with the test-only `wabt`
 * package), a tiny binary builder for hand-made (often malformed) modules, and the spec suite walker.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { expect } from "chai";

import { WasmLoadError } from "../../../machine/wasm";

/** wabt's feature flags (see node_modules/wabt/index.d.ts, plus multi_memory). */
export type WabtFeatures = Partial<
  Record<
    | "exceptions"
    | "mutable_globals"
    | "sat_float_to_int"
    | "sign_extension"
    | "simd"
    | "threads"
    | "function_references"
    | "multi_value"
    | "tail_call"
    | "bulk_memory"
    | "reference_types"
    | "gc"
    | "memory64"
    | "multi_memory"
    | "extended_const",
    boolean
  >
>;

interface Wabt {
  parseWat(
    name: string,
    text: string,
    features?: WabtFeatures,
  ): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
}

let wabtPromise: Promise<Wabt> | undefined;

/** Assembles WebAssembly text with wabt (test-only dependency). */
export async function wat(text: string, features: WabtFeatures = {}): Promise<Uint8Array> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  wabtPromise ??= (require("wabt") as () => Promise<Wabt>)();
  const wabt = await wabtPromise;
  const mod = wabt.parseWat("test.wat", text, features);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** A length-prefixed vector of already encoded items. */
export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** A name: length-prefixed bytes (UTF-8 of a string, or raw bytes). */
export function name(s: string | number[]): number[] {
  const b = typeof s === "string" ? Array.from(Buffer.from(s, "utf8")) : s;
  return [...uleb(b.length), ...b];
}

/** A section: id, size, payload. */
export function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

/** A module: header followed by sections. */
export function mod(...sections: number[][]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

/** Type section with one `[] -> []` type. */
export const TYPE_VOID = section(1, vec([[0x60, 0x00, 0x00]]));

/**
 * A module with one function of type 0 (`[] -> []` unless `types` is given) whose code-entry body
 * (locals + instructions) is given; `mid` sections go between the function and code sections.
 */
export function oneFunc(body: number[], extra: { types?: number[]; mid?: number[][] } = {}): Uint8Array {
  return mod(
    extra.types ?? TYPE_VOID,
    section(3, vec([[0x00]])),
    ...(extra.mid ?? []),
    section(10, vec([[...uleb(body.length), ...body]])),
  );
}

/** Index of a byte sequence in a binary (-1 if absent). */
export function indexOf(hay: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Runs `f`, expects a throw of class `cls`, and returns the error. */
export function refusal<T extends WasmLoadError>(
  f: () => unknown,
  cls: abstract new (...args: never[]) => T,
): T {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, "expected a refusal").to.be.instanceOf(cls);
  return err as T;
}

// ----- the spec suite -----

export const SPEC_ROOT = "/work/shared/wasm-spec";

/** One command of a spec folder's wast2json JSON. */
export interface SpecCommand {
  type: string;
  line: number;
  filename?: string;
  text?: string;
  module_type?: "binary" | "text";
}

/** A spec folder with its commands. */
export interface SpecFolder {
  name: string;
  commands: SpecCommand[];
  read(file: string): Uint8Array;
}

/** All spec folders, sorted by name. */
export function specFolders(): SpecFolder[] {
  return fs
    .readdirSync(SPEC_ROOT)
    .filter((d) => fs.statSync(path.join(SPEC_ROOT, d)).isDirectory())
    .sort()
    .map((d) => {
      const json = JSON.parse(fs.readFileSync(path.join(SPEC_ROOT, d, `${d}.json`), "utf8")) as {
        commands: SpecCommand[];
      };
      return {
        name: d,
        commands: json.commands,
        read: (file: string) => new Uint8Array(fs.readFileSync(path.join(SPEC_ROOT, d, file))),
      };
    });
}
