/**
 * The imports of the WebAssembly spec test suite's `spectest` module, as an allowed-import list for
 * `loadWasm` (the spec runner provides them). Float ones are listed too: a module importing them
 * still loads only if it passes the subset check, which refuses floats.
 */
import type { AllowedImport } from "./subset";

export const SPECTEST_IMPORTS: readonly AllowedImport[] = [
  { module: "spectest", name: "print", kind: "func", params: [], results: [] },
  { module: "spectest", name: "print_i32", kind: "func", params: ["i32"], results: [] },
  { module: "spectest", name: "print_i64", kind: "func", params: ["i64"], results: [] },
  { module: "spectest", name: "print_f32", kind: "func", params: ["f32"], results: [] },
  { module: "spectest", name: "print_f64", kind: "func", params: ["f64"], results: [] },
  { module: "spectest", name: "print_i32_f32", kind: "func", params: ["i32", "f32"], results: [] },
  { module: "spectest", name: "print_f64_f64", kind: "func", params: ["f64", "f64"], results: [] },
  { module: "spectest", name: "global_i32", kind: "global", type: "i32", mutable: false },
  { module: "spectest", name: "global_i64", kind: "global", type: "i64", mutable: false },
  { module: "spectest", name: "global_f32", kind: "global", type: "f32", mutable: false },
  { module: "spectest", name: "global_f64", kind: "global", type: "f64", mutable: false },
  { module: "spectest", name: "table", kind: "table", refType: "funcref", limits: { min: 10, max: 20 } },
  { module: "spectest", name: "memory", kind: "memory", limits: { min: 1, max: 2 } },
];
