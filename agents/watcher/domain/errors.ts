/** Named errors of the watcher's domain. */
export type WatcherErrorName =
  | "BadProcessId"
  | "BadRange"
  | "UnknownProcess"
  | "SlotGap"
  | "WrongProcess"
  | "ChainBroken"
  | "HashMismatch"
  | "LengthMismatch"
  | "BadSignature"
  | "ModuleMismatch"
  | "InitialStateMismatch"
  | "StepLimitTooLarge"
  | "ResultsChanged"
  | "NotEvaluated"
  | "ProcessHalted";

/** The watcher cannot go on as asked; `code` says why, the message where. */
export class WatcherError extends Error {
  override readonly name = "WatcherError";
  constructor(
    readonly code: WatcherErrorName,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
