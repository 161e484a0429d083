/**
 * `holo stake`: an operator's stake in the StakeManager (docs/staking.md): bond, request unbonding,
 * withdraw, claim slash payouts, and show where a stake stands.
 */
import { Argument, Option, type Command } from "commander";

import type { StakeManager } from "../../typechain-types";
import { checkAmountSyntax, formatTokens, parseAmount, type TokenInfo } from "../lib/amounts";
import { addConnectionOptions, readSigningKey, withChain, type Chain, type ChainOptions } from "../lib/chain";
import { ChainError, UsageError } from "../lib/errors";
import { parseAddress, refuseNegativeNumbers } from "../lib/options";
import { Output } from "../lib/output";
import { isoTime, relativeTime } from "../lib/time";
import type { CliContext } from "./index";

/** The options of `holo stake bond` and `unbond`. */
interface AmountOptions extends ChainOptions {
  wei?: boolean;
}

/** The options of `holo stake withdraw` and `claim`. */
interface ToOptions extends ChainOptions {
  to?: string;
}

const AMOUNT_HELP =
  "in tokens with decimals (10, 0.5; the token's decimals are read from the chain), or in the smallest unit with --wei";
const NEGATIVE = "An amount is a positive decimal number of tokens, like 10 or 0.5 (no sign, no exponent).";

/** Adds the `stake` command group to `program`. */
export function register(program: Command, context: CliContext): void {
  const stake = program
    .command("stake")
    .summary("bond, unbond, withdraw and inspect an operator's stake")
    .description(
      "An operator's stake in the StakeManager: bond tokens (approving the StakeManager first if needed), " +
        "request unbonding, withdraw once the unbonding delay has passed, claim slash payouts, and show " +
        "where a stake stands. Amounts are in tokens (decimals read from the stake token) unless --wei.",
    );

  const amountCommand = (name: string, summary: string, description: string) =>
    refuseNegativeNumbers(
      addConnectionOptions(
        stake
          .command(name)
          .summary(summary)
          .description(description)
          .addArgument(new Argument("<amount>", AMOUNT_HELP).argParser(checkAmountSyntax))
          .option("--wei", "the amount is in the token's smallest unit (a whole number)")
          .allowExcessArguments(false),
        { signer: "required" },
      ),
      "amount",
      NEGATIVE,
    );

  amountCommand(
    "bond",
    "bond tokens as stake (approving the StakeManager first if needed)",
    "Bond <amount> of the stake token for the signing account. If the StakeManager's allowance is below " +
      "the amount, first approves exactly the amount. Fails before sending anything if the account holds " +
      "fewer tokens.",
  ).action(async (amount: string, _options: unknown, command: Command) => {
    const options = command.optsWithGlobals<AmountOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, { signer: "required" }, (chain) => bond(chain, amount, options, out));
  });

  amountCommand(
    "unbond",
    "request unbonding of bonded stake",
    "Move <amount> of the signing account's unlocked bonded stake to unbonding. It stays slashable and " +
      "can be withdrawn once the StakeManager's unbonding delay has passed; a new request restarts the " +
      "delay for everything unbonding.",
  ).action(async (amount: string, _options: unknown, command: Command) => {
    const options = command.optsWithGlobals<AmountOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, { signer: "required" }, (chain) => unbond(chain, amount, options, out));
  });

  addConnectionOptions(
    stake
      .command("withdraw")
      .summary("withdraw unbonded stake once the unbonding delay has passed")
      .description(
        "Withdraw all of the signing account's unbonding stake, once its unbonding delay has passed, " +
          "to the account itself or to --to.",
      )
      .addOption(
        new Option("--to <address>", "where to send the tokens (default: the signing account)").argParser(
          parseAddress,
        ),
      )
      .allowExcessArguments(false),
    { signer: "required" },
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<ToOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, { signer: "required" }, (chain) => withdraw(chain, options, out));
  });

  addConnectionOptions(
    stake
      .command("claim")
      .summary("claim slash payouts owed to the account")
      .description(
        "Claim the payouts the StakeManager owes the signing account (its reward share of the slashes " +
          "it won), to the account itself or to --to.",
      )
      .addOption(
        new Option("--to <address>", "where to send the tokens (default: the signing account)").argParser(
          parseAddress,
        ),
      )
      .allowExcessArguments(false),
    { signer: "required" },
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<ToOptions>();
    const out = new Output(options, context.streams);
    await withChain(options, out, { signer: "required" }, (chain) => claim(chain, options, out));
  });

  addConnectionOptions(
    stake
      .command("status")
      .summary("show an account's stake: bonded, locked, unbonding, slashable, payouts")
      .description(
        "Show the stake of [address] (default: the account of the key given by --key, --key-file or " +
          "HOLO_PRIVATE_KEY): bonded, locked and unlocked, unbonding with the time it can be withdrawn " +
          "(relative to the latest block's time), slashable, payouts to claim, and the token balance.",
      )
      .addArgument(
        new Argument("[address]", "the operator (default: the signing key's account)").argParser(
          parseAddress,
        ),
      )
      .allowExcessArguments(false),
    { signer: "optional" },
  ).action(async (address: string | undefined, _options: unknown, command: Command) => {
    const options = command.optsWithGlobals<ChainOptions>();
    const out = new Output(options, context.streams);
    if (address === undefined && readSigningKey(options) === undefined) {
      throw new UsageError(
        "whose stake? give an address (holo stake status <address>) or a key (--key-file, HOLO_PRIVATE_KEY, --key)",
      );
    }
    await withChain(options, out, { signer: "optional" }, (chain) => status(chain, address, out));
  });
}

/** The StakeManager and its token. */
async function stakeAndToken(chain: Chain) {
  const stakeManager = await chain.stakeManager();
  const { token, info } = await chain.token(await stakeManager.stakeToken());
  return { stakeManager, stakeAddress: await stakeManager.getAddress(), token, info };
}

async function bond(chain: Chain, text: string, options: AmountOptions, out: Output): Promise<void> {
  const me = chain.wallet().address;
  const { stakeManager, stakeAddress, token, info } = await stakeAndToken(chain);
  const amount = parseAmount(text, info, { wei: options.wei });
  const balance = await token.balanceOf(me);
  if (balance < amount) {
    throw new ChainError(
      `${me} holds ${formatTokens(balance, info)}, less than the ${formatTokens(amount, info)} to bond`,
      "E_STATE",
    );
  }
  let approveTx: string | null = null;
  if ((await token.allowance(me, stakeAddress)) < amount) {
    const approved = await chain.send(
      `approve(StakeManager ${stakeAddress}, ${formatTokens(amount, info)})`,
      () => token.approve(stakeAddress, amount),
    );
    approveTx = approved.hash;
  }
  const receipt = await chain.send(`bond(${formatTokens(amount, info)})`, () => stakeManager.bond(amount));
  const event = receipt.logs
    .map((log) => parse(stakeManager, log))
    .find((parsed) => parsed?.name === "Bonded");
  const received = event?.args.amount === undefined ? amount : (event.args.amount as bigint);
  const bonded = await stakeManager.bondedOf(me);
  out.result(
    "bonded",
    {
      operator: me,
      amount: received,
      bonded,
      token: info,
      stakeManager: stakeAddress,
      approveTx,
      tx: receipt.hash,
      block: receipt.blockNumber,
    },
    () =>
      `Bonded ${formatTokens(received, info)} for ${me}; bonded now ${formatTokens(bonded, info)}.\n` +
      (approveTx === null ? "" : `  approve ${approveTx}\n`) +
      `  bond    ${receipt.hash} (block ${receipt.blockNumber})`,
  );
}

async function unbond(chain: Chain, text: string, options: AmountOptions, out: Output): Promise<void> {
  const me = chain.wallet().address;
  const { stakeManager, stakeAddress, info } = await stakeAndToken(chain);
  const amount = parseAmount(text, info, { wei: options.wei });
  const [before, unlocked] = await Promise.all([stakeManager.stakeOf(me), stakeManager.unlockedOf(me)]);
  if (amount > unlocked) {
    throw new ChainError(
      `${me} has ${formatTokens(unlocked, info)} of unlocked bonded stake (bonded ${formatTokens(before.bonded, info)}, ` +
        `locked ${formatTokens(before.locked, info)}), less than the ${formatTokens(amount, info)} to unbond`,
      "E_STATE",
    );
  }
  const receipt = await chain.send(`requestUnbond(${formatTokens(amount, info)})`, () =>
    stakeManager.requestUnbond(amount),
  );
  const after = await stakeManager.stakeOf(me);
  const now = await chain.now();
  const readyAt = after.unbondReadyAt;
  out.result(
    "unbond-requested",
    {
      operator: me,
      amount,
      bonded: after.bonded,
      unbonding: after.unbonding,
      readyAt: Number(readyAt),
      readyAtIso: isoTime(readyAt),
      readyIn: Number(readyAt > now ? readyAt - now : 0n),
      token: info,
      stakeManager: stakeAddress,
      tx: receipt.hash,
      block: receipt.blockNumber,
    },
    () =>
      `Requested unbonding of ${formatTokens(amount, info)} for ${me}.\n` +
      `  unbonding  ${formatTokens(after.unbonding, info)}, withdrawable after ${isoTime(readyAt)} (${relativeTime(readyAt, now)})\n` +
      (before.unbonding > 0n
        ? `  (the ${formatTokens(before.unbonding, info)} already unbonding now waits until then too)\n`
        : "") +
      `  bonded     ${formatTokens(after.bonded, info)}\n` +
      `  tx         ${receipt.hash} (block ${receipt.blockNumber})`,
  );
}

async function withdraw(chain: Chain, options: ToOptions, out: Output): Promise<void> {
  const me = chain.wallet().address;
  const to = options.to ?? me;
  const { stakeManager, stakeAddress, info } = await stakeAndToken(chain);
  const [{ unbonding, unbondReadyAt }, now] = await Promise.all([stakeManager.stakeOf(me), chain.now()]);
  if (unbonding === 0n) {
    throw new ChainError(
      `${me} has nothing unbonding to withdraw (request it with: holo stake unbond <amount>)`,
      "E_STATE",
    );
  }
  if (now < unbondReadyAt) {
    throw new ChainError(
      `the ${formatTokens(unbonding, info)} unbonding for ${me} cannot be withdrawn before ` +
        `${isoTime(unbondReadyAt)} (${relativeTime(unbondReadyAt, now)}, by the latest block's time)`,
      "E_STATE",
    );
  }
  const receipt = await chain.send(`withdraw(to ${to})`, () => stakeManager.withdraw(to));
  out.result(
    "withdrawn",
    {
      operator: me,
      to,
      amount: unbonding,
      token: info,
      stakeManager: stakeAddress,
      tx: receipt.hash,
      block: receipt.blockNumber,
    },
    () =>
      `Withdrew ${formatTokens(unbonding, info)} to ${to}.\n  tx  ${receipt.hash} (block ${receipt.blockNumber})`,
  );
}

async function claim(chain: Chain, options: ToOptions, out: Output): Promise<void> {
  const me = chain.wallet().address;
  const to = options.to ?? me;
  const { stakeManager, stakeAddress, info } = await stakeAndToken(chain);
  const owed = await stakeManager.payoutOf(me);
  if (owed === 0n) throw new ChainError(`the StakeManager owes ${me} no payout`, "E_STATE");
  const receipt = await chain.send(`claimPayout(to ${to})`, () => stakeManager.claimPayout(to));
  out.result(
    "payout-claimed",
    {
      account: me,
      to,
      amount: owed,
      token: info,
      stakeManager: stakeAddress,
      tx: receipt.hash,
      block: receipt.blockNumber,
    },
    () =>
      `Claimed ${formatTokens(owed, info)} of payouts to ${to}.\n  tx  ${receipt.hash} (block ${receipt.blockNumber})`,
  );
}

async function status(chain: Chain, address: string | undefined, out: Output): Promise<void> {
  const operator = address ?? chain.wallet().address;
  const { stakeManager, stakeAddress, token, info } = await stakeAndToken(chain);
  const [stake, unlocked, slashable, payouts, balance, unbondingDelay, now] = await Promise.all([
    stakeManager.stakeOf(operator),
    stakeManager.unlockedOf(operator),
    stakeManager.slashableOf(operator),
    stakeManager.payoutOf(operator),
    token.balanceOf(operator),
    stakeManager.unbondingDelay(),
    chain.now(),
  ]);
  const unbonding =
    stake.unbonding === 0n
      ? null
      : {
          amount: stake.unbonding,
          readyAt: Number(stake.unbondReadyAt),
          readyAtIso: isoTime(stake.unbondReadyAt),
          readyIn: Number(stake.unbondReadyAt > now ? stake.unbondReadyAt - now : 0n),
          withdrawable: now >= stake.unbondReadyAt,
        };
  const data = {
    operator,
    stakeManager: stakeAddress,
    token: info,
    bonded: stake.bonded,
    locked: stake.locked,
    unlocked,
    unbonding,
    slashable,
    payouts,
    balance,
    unbondingDelay: Number(unbondingDelay),
    chainTime: Number(now),
    chainTimeIso: isoTime(now),
  };
  out.result("stake", data, () => statusText(data, info, now));
}

function statusText(
  data: {
    operator: string;
    stakeManager: string;
    bonded: bigint;
    locked: bigint;
    unlocked: bigint;
    unbonding: { amount: bigint; readyAt: number; readyAtIso: string; withdrawable: boolean } | null;
    slashable: bigint;
    payouts: bigint;
    balance: bigint;
    chainTimeIso: string;
  },
  info: TokenInfo,
  now: bigint,
): string {
  const t = (amount: bigint) => formatTokens(amount, info);
  const unbonding =
    data.unbonding === null
      ? "none"
      : `${t(data.unbonding.amount)}, withdrawable after ${data.unbonding.readyAtIso} ` +
        `(${data.unbonding.withdrawable ? "ready now" : `ready ${relativeTime(BigInt(data.unbonding.readyAt), now)}`})`;
  return [
    `Stake of ${data.operator}`,
    `  (StakeManager ${data.stakeManager}, token ${info.symbol} ${info.address}; chain time ${data.chainTimeIso})`,
    `  bonded     ${t(data.bonded)}`,
    `    locked   ${t(data.locked)}`,
    `    unlocked ${t(data.unlocked)}`,
    `  unbonding  ${unbonding}`,
    `  slashable  ${t(data.slashable)}`,
    `  payouts    ${t(data.payouts)}${data.payouts > 0n ? " (claim with: holo stake claim)" : ""}`,
    `  wallet     ${t(data.balance)}`,
  ].join("\n");
}

/** `log` parsed with `contract`'s events, or `null` for another contract's. */
function parse(contract: StakeManager, log: { topics: readonly string[]; data: string }) {
  try {
    return contract.interface.parseLog(log);
  } catch {
    return null;
  }
}
