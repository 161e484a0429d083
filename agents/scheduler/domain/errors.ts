/** The scheduler's named refusals: each has the HTTP status the API answers it with. */

export type SchedulerErrorName =
  | "MalformedDataItem"
  | "InvalidSignature"
  | "UnknownProcess"
  | "WrongTarget"
  | "MessageTooLarge"
  | "BadRange"
  | "NotFound"
  | "ProcessFrozen"
  | "ProcessPending"
  | "TooManyPending"
  | "MalformedId"
  /** The store holds assignments signed before `messageLength` was signed (schema version < 4). */
  | "LegacyAssignments";

const STATUS: Record<SchedulerErrorName, number> = {
  MalformedDataItem: 400,
  InvalidSignature: 400,
  UnknownProcess: 404,
  WrongTarget: 400,
  MessageTooLarge: 413,
  BadRange: 400,
  NotFound: 404,
  ProcessFrozen: 409,
  ProcessPending: 409,
  TooManyPending: 503,
  MalformedId: 400,
  LegacyAssignments: 500,
};

/** Bad input refused by the scheduler; nothing was stored. `field` names the offending part. */
export class SchedulerError extends Error {
  readonly status: number;
  constructor(
    override readonly name: SchedulerErrorName,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.status = STATUS[name];
  }
}

/**
 * The store was written by a scheduler with another key, chain or registry: continuing would start a second
 * hash chain (an equivocation) under another domain. Use the original settings or another `storePath`.
 */
export class StoreIdentityError extends Error {
  override readonly name = "StoreIdentityError";
}
