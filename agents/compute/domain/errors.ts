/** Named errors of the compute unit's domain. */
export type ComputeErrorName =
  | "UnknownProcess"
  | "SlotGap"
  | "WrongProcess"
  | "ChainBroken"
  | "HashMismatch"
  | "LengthMismatch"
  | "BadSignature"
  | "ModuleMismatch"
  | "InitialStateMismatch"
  | "ResultsChanged"
  | "ProcessHalted"
  | "NotEvaluated"
  | "TraceMismatch"
  | "StepLimitTooLarge";

/** Evaluation or commitment cannot go on as asked; `name` says why, the message where. */
export class ComputeError extends Error {
  override readonly name = "ComputeError";
  constructor(
    readonly code: ComputeErrorName,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
