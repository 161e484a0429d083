/**
 * Token amounts on the command line: written in whole tokens with decimals (`10`, `0.5`), or in the
 * token's smallest unit with `--wei`; printed exactly, in tokens, with the token's symbol.
 */
import { InvalidArgumentError } from "commander";

import { UsageError } from "./errors";

/** The largest uint256: no amount the contracts take is above it. */
export const UINT256_MAX = 2n ** 256n - 1n;

/** A token as the CLI describes amounts of it. */
export interface TokenInfo {
  address: string;
  symbol: string;
  decimals: number;
}

/** What an amount looks like: digits, optionally a point and more digits. No sign, no exponent. */
const AMOUNT = /^(\d+)(?:\.(\d+))?$/;

const SYNTAX_HINT = "an amount is a positive decimal number of tokens, like 10 or 0.5 (no sign, no exponent)";

/**
 * The syntax check of an `<amount>` argument (a commander `argParser`): returns the text unchanged,
 * since the token's decimals are only known once connected ({@link parseAmount}).
 */
export function checkAmountSyntax(value: string): string {
  if (!AMOUNT.test(value)) throw new InvalidArgumentError(`${capitalize(SYNTAX_HINT)}.`);
  return value;
}

/**
 * `text` (tokens, or wei with `wei`) in the token's smallest unit.
 *
 * @throws UsageError naming the amount when it is not a number, is zero, has more decimals than the
 * token, or is above 2^256 − 1.
 */
export function parseAmount(text: string, token: TokenInfo, options: { wei?: boolean } = {}): bigint {
  const match = AMOUNT.exec(text);
  if (match === null) throw new UsageError(`amount '${text}' is invalid: ${SYNTAX_HINT}`);
  const [, whole, fraction = ""] = match;
  let amount: bigint;
  if (options.wei === true) {
    if (fraction !== "") {
      throw new UsageError(
        `amount '${text}' is invalid: with --wei, an amount is a whole number of the smallest unit`,
      );
    }
    amount = BigInt(whole);
  } else {
    const significant = fraction.replace(/0+$/, "");
    if (significant.length > token.decimals) {
      throw new UsageError(
        `amount '${text}' has ${significant.length} decimals, but ${token.symbol} has ${token.decimals}`,
      );
    }
    amount =
      BigInt(whole) * 10n ** BigInt(token.decimals) + BigInt(significant.padEnd(token.decimals, "0") || "0");
  }
  if (amount === 0n) throw new UsageError(`amount '${text}' is zero: give a positive amount`);
  if (amount > UINT256_MAX) {
    throw new UsageError(`amount '${text}' is too large: at most 2^256 − 1 in the smallest unit`);
  }
  return amount;
}

/** `amount` (smallest unit) in whole tokens, exactly, without trailing zeros: `1.5`, `10`. */
export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  const fraction = decimals === 0 ? "" : (abs % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

/** `amount` with the token's symbol: `1.5 HOLO-DEV`. */
export function formatTokens(amount: bigint, token: Pick<TokenInfo, "symbol" | "decimals">): string {
  return `${formatUnits(amount, token.decimals)} ${token.symbol}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
