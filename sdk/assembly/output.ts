// Output: text items of the message's result (the output is their concatenation).

import { output as output_raw } from "./holo";
import { utf8 } from "./bytes";

/** Appends the UTF-8 bytes of `s` to the output as one item. */
export function output(s: string): void {
  const b = utf8(s);
  output_raw(b.dataStart, <u32>b.length);
}

/** Appends raw bytes to the output as one item. */
export function outputBytes(b: Uint8Array): void {
  output_raw(b.dataStart, <u32>b.length);
}

/** aos's `print`: appends `s` and a newline to the output, as one item. */
export function print(s: string): void {
  output(s + "\n");
}
