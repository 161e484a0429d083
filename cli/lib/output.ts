/**
 * Command output, human or machine-readable.
 *
 * - Results go to stdout: readable text, or with `--json` one JSON object per line (bigints as
 *   decimal strings), so that a program can read the stream line by line.
 * - Progress, warnings and errors go to stderr, in both modes, so stdout stays parseable.
 */
import { formatError, type CliError } from "./errors";

/** Where output goes (the process's streams, or buffers in tests). */
export interface OutputStreams {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** The global output options every command accepts. */
export interface OutputOptions {
  /** Machine-readable output (`--json`). */
  json?: boolean;
  /** Stacks on errors and more progress detail (`--verbose`). */
  verbose?: boolean;
}

/** `value` as JSON, with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A command's output channel. */
export class Output {
  readonly json: boolean;
  readonly verbose: boolean;

  constructor(
    options: OutputOptions = {},
    private readonly streams: OutputStreams = process,
  ) {
    this.json = options.json === true;
    this.verbose = options.verbose === true;
  }

  /** A progress line on stderr ("Compiling contracts…"). */
  progress(message: string): void {
    this.streams.stderr.write(`${message}\n`);
  }

  /** A progress line on stderr, only with `--verbose`. */
  detail(message: string): void {
    if (this.verbose) this.progress(message);
  }

  /** A warning on stderr. */
  warn(message: string): void {
    this.streams.stderr.write(`warning: ${message}\n`);
  }

  /**
   * A result: with `--json` the object `{event, ...data}` as one line, else the text `human()` returns.
   */
  result(event: string, data: Record<string, unknown>, human: () => string): void {
    if (this.json) {
      this.streams.stdout.write(`${toJson({ event, ...data })}\n`);
    } else {
      const text = human();
      this.streams.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    }
  }

  /** One line on stdout as is, in both modes (e.g. `holo devnet --once`'s JSON summary). */
  line(text: string): void {
    this.streams.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  /**
   * Reports `error`: `error: <message>` on stderr, and with `--json` also an `error` event on stdout
   * (unless the command already reported it on stdout: `error.reported`).
   */
  error(error: CliError): void {
    this.streams.stderr.write(`${formatError(error, this.verbose)}\n`);
    if (this.json && !error.reported) {
      this.streams.stdout.write(
        `${toJson({ event: "error", error: { code: error.code, message: error.message } })}\n`,
      );
    }
  }
}
