// The Holoproof AssemblyScript SDK for process authors (docs/writing-processes.md).
//
//   import { Handlers, hasMatchingTag, Msg, tag } from "../../../sdk/assembly";
//   export { handle } from "../../../sdk/assembly";
//
//   Handlers.add("ping", hasMatchingTag("Action", "Ping"), (msg: Msg): void => {
//     msg.reply({ Target: "", Tags: [tag("Action", "Pong")], Data: "pong" });
//   });
//
// Build with `--use abort=sdk/assembly/error/abort` so that the module imports only `holo.*`.

import { Msg, readMessage } from "./message";
import { Handlers } from "./handlers";
import { Process } from "./process";

export { abort } from "./error";
export { Msg, decodeMessage, readMessage, MESSAGE_VERSION } from "./message";
export { Tag, Tags, tag } from "./tags";
export { OutMessage, message, send, spawn, encodeOutbound, lastReference } from "./outbound";
export { output, outputBytes, print } from "./output";
export {
  Handlers,
  Pattern,
  MATCH_SKIP,
  MATCH_BREAK,
  MATCH_CONTINUE,
  hasMatchingTag,
  hasMatchingTagOf,
  hasMatchingData,
  matching,
  matchingResult,
  continuing,
  allOf,
  anyOf,
  always,
} from "./handlers";
export { Process } from "./process";
export { formatAddress, formatAddressAt, parseAddress, canonicalAddress } from "./address";
export { U128 } from "./u128";
export { jsonString, JsonObject } from "./json";
export { toHex, toBase64url, fromBase64url, utf8, fromUtf8, ByteWriter } from "./bytes";

/** Hook run before the handlers of every message (after `Process` is updated); null for none. */
let beforeHook: ((msg: Msg) => void) | null = null;

/** Sets a function run before the handlers of every message, e.g. to initialise state at slot 0. */
export function beforeHandlers(fn: (msg: Msg) => void): void {
  beforeHook = fn;
}

/**
 * The process's entry point (the `handle` export of docs/process-abi.md): reads the message, records
 * the process id (and the owner at slot 0, see process.ts), runs the hook and the handlers. Re-export
 * it from the process's entry file: `export { handle } from "…/sdk/assembly";`.
 */
export function handle(): void {
  const msg = readMessage();
  Process.Id = msg.Target;
  if (msg.Slot == 0 && Process.Owner.length == 0) Process.Owner = msg.From;
  const hook = beforeHook;
  if (hook !== null) hook(msg);
  Handlers.evaluate(msg);
  Process.Handled++;
}
