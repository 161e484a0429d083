/**
 * How a failed V8 run maps to the machine's error codes (docs/machine.md §8). V8 reports traps as
 * `WebAssembly.RuntimeError` with a message; the host functions throw `HostTrap` with the code.
 *
 * Two cases are not exact, and `exact` says so: V8 uses one message for a null table entry and for a
 * signature mismatch (reported as `NullFunction`), and its call stack depth is not the machine's
 * 16,384 frames (reported as `CallStackExhausted` whenever V8 runs out of stack). A caller that needs
 * the machine's exact code for such a run re-runs that message in the step machine.
 */
import { ERROR_BY_CODE, ERROR_CODE } from "../../machine/spec";
import { WebAssemblyApi } from "./wasm-api";

/** A trap raised by a host function (`holo.msg_read` out of bounds, an emit outside memory). */
export class HostTrap extends Error {
  override name = "HostTrap";
  constructor(readonly code: number) {
    super(ERROR_BY_CODE.get(code)?.specText ?? `error ${code}`);
  }
}

export interface TrapInfo {
  code: number;
  name: string;
  exact: boolean;
}

const RUNTIME_MESSAGES: [RegExp, string, boolean][] = [
  [/^unreachable/, "Unreachable", true],
  [/^(divide|remainder) by zero/, "IntegerDivideByZero", true],
  [/^divide result unrepresentable|^integer overflow|^float unrepresentable/, "IntegerOverflow", true],
  [/memory access out of bounds|^out of bounds memory access/, "MemoryOutOfBounds", true],
  [/^table index is out of bounds/, "TableOutOfBounds", true],
  [/^null function or function signature mismatch/, "NullFunction", false],
  [/^function signature mismatch/, "IndirectCallTypeMismatch", true],
];

function info(name: string, exact: boolean): TrapInfo {
  return { code: ERROR_CODE[name], name, exact };
}

/** The machine error a thrown value stands for, or undefined if it is not a trap (a host bug: rethrow it). */
export function classifyTrap(e: unknown): TrapInfo | undefined {
  if (e instanceof HostTrap)
    return { code: e.code, name: ERROR_BY_CODE.get(e.code)?.name ?? "Unknown", exact: true };
  if (e instanceof WebAssemblyApi.RuntimeError) {
    for (const [re, name, exact] of RUNTIME_MESSAGES) if (re.test(e.message)) return info(name, exact);
    return undefined;
  }
  if (e instanceof RangeError && /call stack size/i.test(e.message)) return info("CallStackExhausted", false);
  return undefined;
}
