/**
 * The message boundary as a pure function (docs/process-abi.md, "The message boundary"): the hash of
 * the message-start state from the process state and the message alone, with no machine. This is what
 * a dispute over the first step of a message checks the trace against.
 */
import { ZERO32 } from "../code/hash";
import { moduleRootOf, type ModuleFields } from "../code/module";
import { frameHash, frameStackPush, freshLocalsRoot, processHash, stateHashOf } from "../interp/machine";
import { errorResultHash } from "../interp/semantics";
import { ERROR_CODE, LAYOUT, STATUS } from "../spec";

/** The process state between messages. */
export interface ProcessFields {
  module: ModuleFields;
  memoryRoot: Uint8Array;
  memoryPages: number;
  globalsRoot: Uint8Array;
}

/** The hash of the message-start state (trace step 0) of a message with the given hash and length. */
export function messageStartHash(
  p: ProcessFields,
  messageHash: Uint8Array,
  messageLength: number,
  stepLimit: number,
): Uint8Array {
  const moduleRoot = moduleRootOf(p.module);
  const snapshotHash = processHash(moduleRoot, p.memoryRoot, p.memoryPages, p.globalsRoot);
  const common = {
    steps: 0,
    stepLimit: Math.min(stepLimit, LAYOUT.maxStepLimit),
    valueStackHeight: 0,
    valueStackHash: ZERO32,
    globalsRoot: p.globalsRoot,
    memoryRoot: p.memoryRoot,
    memoryPages: p.memoryPages,
    moduleRoot,
    messageHash,
    messageLength,
    pendingHash: ZERO32,
    snapshotHash,
  };
  const error =
    messageLength > LAYOUT.maxMessageBytes
      ? ERROR_CODE.MessageTooLarge
      : p.module.handleEntryPc === LAYOUT.noHandleEntryPc
        ? ERROR_CODE.NoHandle
        : 0;
  if (error !== 0) {
    return stateHashOf({
      ...common,
      status: STATUS.Errored,
      error,
      pc: 0,
      frameDepth: 0,
      frameStackHash: ZERO32,
      resultHash: errorResultHash(error),
    });
  }
  const frame = frameHash(0, p.module.handleLocals, freshLocalsRoot(p.module.handleLocals, []));
  return stateHashOf({
    ...common,
    status: STATUS.Running,
    error: 0,
    pc: p.module.handleEntryPc,
    frameDepth: 1,
    frameStackHash: frameStackPush(ZERO32, frame),
    resultHash: ZERO32,
  });
}
