/**
 * Errors of the WebAssembly loader. Every refusal is a {@link WasmLoadError}:
 * - {@link WasmMalformedError}: the bytes are not a WebAssembly 2.0 binary (decoding failed);
 * - {@link WasmInvalidError}: the module decodes but fails WebAssembly 2.0 validation;
 * - {@link WasmSubsetError}: the module is (or would be, in a later WebAssembly version) fine, but
 *   uses a feature the Holoproof machine does not run (see README.md).
 */

/** Where and why a module was refused. */
export interface WasmErrorDetails {
  /** Absolute function index (imports first) when the problem is inside a function. */
  functionIndex?: number;
  /** Byte offset in the module binary. */
  byteOffset?: number;
  /** Short name of the feature or rule involved (e.g. `float`, `simd`, `leb128`, `type-check`). */
  feature?: string;
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}

/** " in function N at byte offset 0x..", as far as known. */
export function locationText(d: WasmErrorDetails): string {
  let s = "";
  if (d.functionIndex !== undefined) s += ` in function ${d.functionIndex}`;
  if (d.byteOffset !== undefined) s += ` at byte offset ${hex(d.byteOffset)}`;
  return s;
}

/** Base class of every loader refusal. */
export class WasmLoadError extends Error {
  readonly functionIndex?: number;
  readonly byteOffset?: number;
  readonly feature?: string;
  /** The message without location, e.g. `type mismatch`. */
  readonly reason: string;

  constructor(message: string, reason: string, details: WasmErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
    this.functionIndex = details.functionIndex;
    this.byteOffset = details.byteOffset;
    this.feature = details.feature;
  }
}

/** The binary is not a well-formed WebAssembly 2.0 module. */
export class WasmMalformedError extends WasmLoadError {
  constructor(reason: string, details: WasmErrorDetails = {}) {
    super(`malformed module: ${reason}${locationText(details)}`, reason, details);
  }
}

/** The module is well-formed but fails WebAssembly 2.0 validation. */
export class WasmInvalidError extends WasmLoadError {
  constructor(reason: string, details: WasmErrorDetails = {}) {
    super(`invalid module: ${reason}${locationText(details)}`, reason, details);
  }
}

/**
 * The module uses something outside the Holoproof subset. `what` names the construct
 * (`f32.add`, `a second memory`, …) and `feature` the refused feature (`float`, `multi-memory`, …):
 * the message reads `module uses f32.add (float) in function 3 at byte offset 0x1a2`.
 */
export class WasmSubsetError extends WasmLoadError {
  /** The construct that was found, e.g. `f32.add`. */
  readonly what: string;

  constructor(what: string, feature: string, details: Omit<WasmErrorDetails, "feature"> = {}) {
    super(`module uses ${what} (${feature})${locationText(details)}`, `${what} (${feature})`, {
      ...details,
      feature,
    });
    this.what = what;
  }
}
