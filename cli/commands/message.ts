/**
 * `holo message send`: signs an AO message (an ANS-104 data item, `Type: Message`) with an Arweave wallet
 * and POSTs it to the process's scheduler unit, which assigns it the next slot of the process.
 */
import fs from "node:fs";
import path from "node:path";

import { type Command } from "commander";

import {
  httpUrl,
  parseProcessRef,
  parseTag,
  postToScheduler,
  readArweaveWallet,
  signAoItem,
  type AoTag,
} from "../lib/ao";
import { InputError, UsageError } from "../lib/errors";
import { Output, type OutputOptions } from "../lib/output";
import { DEFAULT_DEVNET_OUT, displayPath } from "../lib/paths";
import type { CliContext } from "./index";

interface SendOptions extends OutputOptions {
  process: string;
  data?: string;
  dataFile?: string;
  tag: AoTag[];
  su?: string;
  wallet?: string;
  devnet?: string;
}

/** The SU URL and the wallet file of a running `holo devnet` (its devnet.json), if any. */
export function devnetDefaults(file: string): {
  suUrl?: string;
  arweaveWallet?: string;
  gatewayUrl?: string;
} {
  try {
    const info = JSON.parse(fs.readFileSync(file, "utf8")) as {
      agents?: { su?: { url?: string }; arweaveWallet?: string; gatewayUrl?: string } | null;
    };
    return {
      suUrl: info.agents?.su?.url,
      arweaveWallet: info.agents?.arweaveWallet,
      gatewayUrl: info.agents?.gatewayUrl,
    };
  } catch {
    return {};
  }
}

/** Adds the `message` command group to `program`. */
export function register(program: Command, context: CliContext): void {
  const group = program
    .command("message")
    .summary("send AO messages to a process's scheduler unit")
    .description("AO messages: signed ANS-104 data items posted to the scheduler unit of their process.");

  group
    .command("send")
    .summary("sign a message and post it to the scheduler unit; prints the slot it got")
    .description(
      "Sign an AO message (tags Data-Protocol: ao, Variant: ao.TN.1, Type: Message, then the --tag " +
        "tags) for --process with the Arweave wallet, POST it to the scheduler unit and print the slot " +
        "it was assigned. Without --su and --wallet, those of the running `holo devnet` (its devnet.json) " +
        "are used.",
    )
    .requiredOption("--process <id>", "the process: 0x and 64 hex digits, or its 43-character base64url form")
    .option("--data <text>", "the message's data (default: empty)")
    .option("--data-file <file>", "read the message's data from a file (bytes as they are)")
    .option("--tag <Name=Value>", "a tag (repeatable), e.g. --tag Action=Transfer", parseTag, [])
    .option("--su <url>", "the scheduler unit's URL (default: the running devnet's)", httpUrl("--su"))
    .option("--wallet <file>", "the Arweave JWK file that signs (default: the running devnet's)")
    .option(
      "--devnet <file>",
      `the devnet.json to take defaults from (default: ${displayPath(DEFAULT_DEVNET_OUT)})`,
    )
    .allowExcessArguments(false)
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<SendOptions>();
      await sendMessage(options, new Output(options, context.streams));
    });
}

async function sendMessage(options: SendOptions, out: Output): Promise<void> {
  const process = parseProcessRef(options.process);
  if (options.data !== undefined && options.dataFile !== undefined) {
    throw new UsageError("--data and --data-file exclude each other");
  }
  let data: string | Uint8Array = options.data ?? "";
  if (options.dataFile !== undefined) {
    try {
      data = new Uint8Array(fs.readFileSync(options.dataFile));
    } catch (error) {
      throw new InputError(
        `cannot read --data-file ${displayPath(options.dataFile)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  const defaults = devnetDefaults(path.resolve(options.devnet ?? DEFAULT_DEVNET_OUT));
  const suUrl = options.su ?? defaults.suUrl;
  if (suUrl === undefined) {
    throw new UsageError("no --su given and no running devnet (devnet.json without agents): give --su <url>");
  }
  const walletFile = options.wallet ?? defaults.arweaveWallet;
  if (walletFile === undefined) {
    throw new UsageError(
      "no --wallet given and no running devnet to take its wallet from: give --wallet <file>",
    );
  }
  const jwk = readArweaveWallet(walletFile);

  const item = await signAoItem(jwk, { type: "Message", target: process.target, tags: options.tag, data });
  out.detail(`Posting message ${item.id} to ${suUrl}…`);
  const r = await postToScheduler(suUrl, new Uint8Array(item.getRaw()));
  out.result(
    "message",
    {
      id: item.id,
      process: r.process,
      processTarget: process.target,
      slot: r.slot,
      timestamp: r.timestamp,
      su: suUrl,
      tags: options.tag,
      assignment: r.assignment,
    },
    () =>
      [
        `Message ${item.id} scheduled at slot ${r.slot}`,
        `  process    ${r.process}`,
        `  timestamp  ${new Date(r.timestamp).toISOString()}`,
        `  su         ${suUrl}`,
      ].join("\n"),
  );
}
