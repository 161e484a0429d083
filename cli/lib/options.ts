/**
 * Parsers for option values, used as commander `argParser`s: an invalid value makes commander print
 * `error: option '--port <port>' argument '70000' is invalid. <reason>` and `holo` exit with
 * {@link ExitCode.Usage}.
 */
import net from "node:net";

import { InvalidArgumentError } from "commander";

/** A host name as RFC 1123 allows it (labels of letters, digits and inner hyphens). */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A TCP port: 1 to 65535, or 0 for "any free port". */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError(`a port is a whole number from 1 to 65535 (or 0 for any free port).`);
  }
  const port = Number(value);
  if (port > 65_535) {
    throw new InvalidArgumentError(`port ${port} is out of range: 1 to 65535 (or 0 for any free port).`);
  }
  return port;
}

/** An interface to listen on: an IPv4 or IPv6 address (IPv6 optionally in brackets) or a host name. */
export function parseHost(value: string): string {
  if (/^\[.*\]$/.test(value) && net.isIPv6(value.slice(1, -1))) return value.slice(1, -1);
  if (net.isIP(value) !== 0 || HOST_NAME.test(value)) return value;
  throw new InvalidArgumentError(`"${value}" is neither an IP address nor a host name.`);
}

/** A parser of whole numbers from `min` to `max`; `what` names the value in the message. */
export function integerIn(what: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}
