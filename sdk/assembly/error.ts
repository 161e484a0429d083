// The error path. AssemblyScript compiles `throw new Error(reason)`, `assert(cond, reason)` and its own
// runtime failures (index out of range, out of memory, …) to a call of `abort`. The build maps `abort`
// to the function below (`--use abort=sdk/assembly/error/abort`), so a process imports nothing but
// `holo.*`. It writes the reason as one output item and traps with `unreachable`: the message's result
// is then the error `Unreachable` (code 1) and the machine restores the pre-message process state.
// The reason is not part of the committed result (an error result is only its code); hosts show it as
// the last output item emitted before the trap.
//
// It must not allocate (it also reports out-of-memory), so it encodes into a static buffer.

import { output as output_raw } from "./holo";

const REASON_CAP: i32 = 1024;
const reasonBuf: usize = memory.data(REASON_CAP);

/** Appends the UTF-8 encoding of `s` at `pos`, truncating at the buffer's end; returns the new end. */
function putString(pos: i32, s: string): i32 {
  const ptr = changetype<usize>(s);
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>load<u16>(ptr + ((<usize>i) << 1));
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      const d = <u32>load<u16>(ptr + ((<usize>(i + 1)) << 1));
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) {
      if (pos + 1 > REASON_CAP) return pos;
      store<u8>(reasonBuf + pos++, c);
    } else if (c < 0x800) {
      if (pos + 2 > REASON_CAP) return pos;
      store<u8>(reasonBuf + pos++, 0xc0 | (c >> 6));
      store<u8>(reasonBuf + pos++, 0x80 | (c & 63));
    } else if (c < 0x10000) {
      if (pos + 3 > REASON_CAP) return pos;
      store<u8>(reasonBuf + pos++, 0xe0 | (c >> 12));
      store<u8>(reasonBuf + pos++, 0x80 | ((c >> 6) & 63));
      store<u8>(reasonBuf + pos++, 0x80 | (c & 63));
    } else {
      if (pos + 4 > REASON_CAP) return pos;
      store<u8>(reasonBuf + pos++, 0xf0 | (c >> 18));
      store<u8>(reasonBuf + pos++, 0x80 | ((c >> 12) & 63));
      store<u8>(reasonBuf + pos++, 0x80 | ((c >> 6) & 63));
      store<u8>(reasonBuf + pos++, 0x80 | (c & 63));
    }
  }
  return pos;
}

function putU32(pos: i32, v: u32): i32 {
  let div: u32 = 1;
  while (v / div >= 10) div *= 10;
  while (div > 0) {
    if (pos + 1 > REASON_CAP) return pos;
    store<u8>(reasonBuf + pos++, 48 + ((v / div) % 10));
    div /= 10;
  }
  return pos;
}

/**
 * The target of `--use abort=…`: emits the reason and traps. The reason is the message as given; for a
 * failure inside the standard library (`~lib/…`) the location is appended, e.g.
 * `Index out of range (~lib/array.ts:106:42)`.
 */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let pos = message !== null ? putString(0, message) : putString(0, "abort");
  if (fileName !== null && fileName.startsWith("~lib/")) {
    pos = putString(pos, " (");
    pos = putString(pos, fileName);
    pos = putString(pos, ":");
    pos = putU32(pos, line);
    pos = putString(pos, ":");
    pos = putU32(pos, column);
    pos = putString(pos, ")");
  }
  output_raw(reasonBuf, <u32>pos);
  unreachable();
}
