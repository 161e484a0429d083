/**
 * Parsers for option values, used as commander `argParser`s: an invalid value makes commander print
 * `error: option '--port <port>' argument '70000' is invalid. <reason>` and `holo` exit with
 * {@link ExitCode.Usage}.
 */
import net from "node:net";

import { InvalidArgumentError, type Command } from "commander";
import { getAddress, isHexString } from "ethers";

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

/**
 * An Ethereum address: 40 hex digits after `0x`, in one case or with a valid EIP-55 checksum.
 * Returns the checksummed form.
 */
export function parseAddress(value: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not an address (0x followed by 40 hex digits).`);
  }
  try {
    return getAddress(value);
  } catch {
    throw new InvalidArgumentError(
      `"${value}" has an invalid EIP-55 checksum (mixed case that does not match); check it, or write it in lower case.`,
    );
  }
}

/** A 32-byte value (an id or a hash): `0x` and 64 hex digits, lower-cased. */
export function parseBytes32(value: string): string {
  if (!isHexString(value, 32)) {
    throw new InvalidArgumentError(`"${value}" is not a 32-byte hex value (0x followed by 64 hex digits).`);
  }
  return value.toLowerCase();
}

/** A JSON-RPC endpoint: an `http://` or `https://` URL. */
export function parseRpcUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL (e.g. http://127.0.0.1:8545).`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError(
      `"${value}" is not an http:// or https:// URL (WebSocket endpoints are not supported).`,
    );
  }
  return value;
}

/** A parser of whole numbers from `min` to `max` as bigints (for uint64 values); `what` names the value. */
export function bigintIn(what: string, min: bigint, max: bigint): (value: string) => bigint {
  return (value) => {
    const n = /^\d{1,80}$/.test(value) ? BigInt(value) : undefined;
    if (n === undefined || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** The largest uint64. */
export const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Makes `command` refuse a negative number given for its argument `argument` with `reason`, instead of
 * commander's "unknown option '-1'" (commander reads anything starting with `-` as an option).
 */
export function refuseNegativeNumbers(command: Command, argument: string, reason: string): Command {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (argv) => {
    const parsed = parseOptions(argv);
    const [first] = parsed.unknown;
    if (first !== undefined && /^-\.?\d/.test(first)) {
      command.error(
        `error: command-argument value '${first}' is invalid for argument '${argument}'. ${reason}`,
        { code: "commander.invalidArgument" },
      );
    }
    return parsed;
  };
  return command;
}
