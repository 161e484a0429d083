/** Checks that a TCP address can be listened on, with errors that name the host and port. */
import net from "node:net";

import { CliError } from "./errors";

/** `error` (from `listen`) as a {@link CliError} naming `host` and `port`. */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): CliError {
  switch (error.code) {
    case "EADDRINUSE":
      return new CliError(
        `port ${port} on ${host} is already in use (another devnet or node?); stop it or choose another port with --port`,
        { code: "E_PORT_IN_USE", cause: error },
      );
    case "EACCES":
      return new CliError(
        `no permission to listen on port ${port} of ${host}; ports below 1024 need privileges`,
        {
          code: "E_LISTEN",
          cause: error,
        },
      );
    case "EADDRNOTAVAIL":
      return new CliError(`cannot listen on host ${host}: it is not an address of this machine`, {
        code: "E_HOST_UNAVAILABLE",
        cause: error,
      });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new CliError(`cannot listen on host ${host}: the name does not resolve`, {
        code: "E_HOST_UNAVAILABLE",
        cause: error,
      });
    default:
      return new CliError(`cannot listen on ${host}:${port}: ${error.message}`, {
        code: "E_LISTEN",
        cause: error,
      });
  }
}

/**
 * Resolves if `host:port` can be listened on now (the probe's socket is closed again), else rejects
 * with {@link listenError}. Port 0 (any free port) always succeeds once the host is valid.
 */
export function assertListenable(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
