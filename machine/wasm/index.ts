/**
 * The WebAssembly loader's front half: decoding, validation and the Holoproof subset check.
 *
 * ```ts
 * const m = loadWasm(bytes, { allowedImports: HOST_ABI, maxMemoryPages: 256 });
 * ```
 * Every refusal is a {@link WasmLoadError} (malformed, invalid or outside the subset) naming the
 * feature or rule, the function index and the byte offset where known. See README.md.
 */
import { decodeModule } from "./decode";
import { checkSubset, type SubsetOptions } from "./subset";
import type { WasmModule } from "./types";
import { validateModule, type ValidateOptions } from "./validate";

export * from "./types";
export * from "./errors";
export { Op, OPCODES, opName, type OpInfo, type OpId, type ImmKind } from "./opcodes";
export { decodeModule, MAX_LOCALS } from "./decode";
export { validateModule, blockSignature, type ValidateOptions } from "./validate";
export {
  checkSubset,
  importMatches,
  type SubsetOptions,
  type AllowedImport,
  type AllowedImports,
} from "./subset";
export { SPECTEST_IMPORTS } from "./spectest";

/** Options of {@link loadWasm}: those of validation and of the subset check. */
export type LoadOptions = ValidateOptions & SubsetOptions;

/**
 * Decodes, validates and subset-checks a module. Returns the IR of a well-formed, valid module
 * inside the subset, or throws `WasmMalformedError`, `WasmInvalidError` or `WasmSubsetError`.
 */
export function loadWasm(bytes: Uint8Array | ArrayBuffer, opts: LoadOptions = {}): WasmModule {
  const m = decodeModule(bytes);
  validateModule(m, {});
  checkSubset(m, opts);
  return m;
}
