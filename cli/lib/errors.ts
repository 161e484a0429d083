/**
 * Errors the CLI reports to its user: a message, a stable code, and the process exit code.
 *
 * Printed as `error: <message>` on stderr, without a stack unless `--verbose` is given. Anything
 * that is not a {@link CliError} is converted by {@link toCliError}.
 */

/** Process exit codes of `holo`. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** The command failed (port in use, a failed deployment, an unexpected error). */
  Failure: 1,
  /** Bad command line: unknown command or option, invalid option value. */
  Usage: 2,
  /**
   * Bad configuration: invalid deployment parameters, a missing or invalid deployment file, signing
   * key, or a deployment that is not on the connected chain.
   */
  Config: 3,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable machine-readable error codes (the `code` of `--json` error output). */
export type CliErrorCode =
  | "E_USAGE"
  | "E_PORT_IN_USE"
  | "E_HOST_UNAVAILABLE"
  | "E_LISTEN"
  | "E_PARAMETERS"
  | "E_DEPLOY"
  | "E_HARDHAT"
  | "E_INTERNAL"
  | "E_INPUT"
  | "E_CONFIG"
  | "E_DEPLOYMENT"
  | "E_KEY"
  | "E_RPC"
  | "E_NOT_FOUND"
  | "E_STATE"
  | "E_REVERTED"
  | "E_UNREACHABLE"
  | "E_REFUSED"
  | "E_SCENARIO";

/** An error meant for the CLI's user: its message is printed as is. */
export class CliError extends Error {
  override readonly name: string = "CliError";
  readonly code: CliErrorCode;
  readonly exitCode: ExitCodeValue;
  /** The command already wrote its outcome on stdout (no `error` event is added with `--json`). */
  readonly reported: boolean;

  constructor(
    message: string,
    options: { code?: CliErrorCode; exitCode?: ExitCodeValue; cause?: unknown; reported?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code ?? "E_INTERNAL";
    this.exitCode = options.exitCode ?? ExitCode.Failure;
    this.reported = options.reported ?? false;
  }
}

/** A bad command line (exit code {@link ExitCode.Usage}). */
export class UsageError extends CliError {
  override readonly name = "UsageError";

  constructor(message: string) {
    super(message, { code: "E_USAGE", exitCode: ExitCode.Usage });
  }
}

/**
 * Bad configuration (exit code {@link ExitCode.Config}): a deployment file that is missing, unreadable
 * or not about the connected chain (`E_DEPLOYMENT`), a missing or invalid signing key (`E_KEY`), an
 * invalid setting from the environment (`E_CONFIG`).
 */
export class ConfigError extends CliError {
  override readonly name = "ConfigError";

  constructor(
    message: string,
    code: "E_CONFIG" | "E_DEPLOYMENT" | "E_KEY",
    options: { cause?: unknown } = {},
  ) {
    super(message, { code, exitCode: ExitCode.Config, cause: options.cause });
  }
}

/**
 * An input file named on the command line (`--wasm`, `--result-hashes`) that cannot be read or is not
 * what it should be (exit code {@link ExitCode.Usage}, `E_INPUT`).
 */
export class InputError extends CliError {
  override readonly name = "InputError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "E_INPUT", exitCode: ExitCode.Usage, cause: options.cause });
  }
}

/**
 * A failure talking to the chain or a refusal by it (exit code {@link ExitCode.Failure}): the JSON-RPC
 * endpoint is unreachable or failing (`E_RPC`), something asked for does not exist (`E_NOT_FOUND`), the
 * chain's state does not allow the operation (`E_STATE`: not enough tokens, nothing to withdraw yet…),
 * or a contract reverted (`E_REVERTED`, with the decoded custom error).
 */
export class ChainError extends CliError {
  override readonly name = "ChainError";

  constructor(
    message: string,
    code: "E_RPC" | "E_NOT_FOUND" | "E_STATE" | "E_REVERTED",
    options: { cause?: unknown } = {},
  ) {
    super(message, { code, exitCode: ExitCode.Failure, cause: options.cause });
  }
}

/**
 * A scheduler unit or an Arweave gateway that cannot be reached (`E_UNREACHABLE`), or that refused what
 * was posted (`E_REFUSED`, with the service's error name and message); exit code {@link ExitCode.Failure}.
 */
export class ServiceError extends CliError {
  override readonly name = "ServiceError";

  constructor(message: string, code: "E_UNREACHABLE" | "E_REFUSED", options: { cause?: unknown } = {}) {
    super(message, { code, exitCode: ExitCode.Failure, cause: options.cause });
  }
}

/**
 * `error` as a {@link CliError}: deployment errors (`DeployParameterError`, `DeployError` from
 * `deploy/`) keep their message and get their own code; anything else becomes `E_INTERNAL`.
 *
 * Errors are recognized by name, so that this module does not load the deployment code (and Hardhat)
 * just to print `holo --help`.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Error && error.name === "DeployParameterError") {
    return new CliError(error.message, { code: "E_PARAMETERS", exitCode: ExitCode.Config, cause: error });
  }
  if (error instanceof Error && error.name === "DeployError") {
    return new CliError(error.message, { code: "E_DEPLOY", exitCode: ExitCode.Failure, cause: error });
  }
  if (error instanceof Error) {
    const hardhat = error.name === "HardhatError" || error.name === "HardhatPluginError";
    return new CliError(error.message, {
      code: hardhat ? "E_HARDHAT" : "E_INTERNAL",
      exitCode: ExitCode.Failure,
      cause: error,
    });
  }
  return new CliError(String(error), { code: "E_INTERNAL" });
}

/**
 * The text printed for `error`: `error: <message>`, and with `verbose` the stack of the error and of
 * its causes.
 */
export function formatError(error: CliError, verbose: boolean): string {
  const lines = [`error: ${error.message}`];
  if (verbose) {
    let current: unknown = error;
    while (current instanceof Error) {
      lines.push(current.stack ?? `${current.name}: ${current.message}`);
      current = current.cause;
      if (current !== undefined) lines.push("caused by:");
    }
    if (current !== undefined) lines.push(String(current));
  }
  return lines.join("\n");
}
