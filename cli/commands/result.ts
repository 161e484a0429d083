/**
 * `holo result`: what the ResultRegistry says about one slot of a process (docs/registries.md).
 *
 * `get` finds the commitments covering the slot from the registry's `CommitmentPosted` events (searched
 * in bounded block ranges), reads each one's record (status, open challenges, deadline), and, given the
 * compute unit's published result hashes of the finalized commitment, builds the slot's result proof
 * (sdk/ts/results) and checks it with `verifyResult` on chain.
 */
import fs from "node:fs";

import { Option, type Command } from "commander";
import { isHexString } from "ethers";

import type { ResultRegistry } from "../../typechain-types";
import { buildResultsTree, commitmentFromEvent, commitmentId, type Commitment } from "../../sdk/ts/results";
import { addConnectionOptions, withChain, type Chain, type ChainOptions } from "../lib/chain";
import { ChainError, InputError } from "../lib/errors";
import { bigintIn, parseBytes32, UINT64_MAX } from "../lib/options";
import { Output } from "../lib/output";
import { displayPath } from "../lib/paths";
import { formatDuration, isoTime, relativeTime } from "../lib/time";
import type { CliContext } from "./index";

/** The options of `holo result get`. */
interface GetOptions extends ChainOptions {
  process: string;
  slot: bigint;
  resultHashes?: string;
}

/** `IResultRegistry.Status`, by value. */
const STATUS = ["none", "pending", "finalized", "rejected"] as const;
/** `IResultRegistry.RejectReason`, by value. */
const REJECT_REASON = ["ChallengeLost", "ParentRejected", "SiblingFinalized", "ProcessFrozen"] as const;

/** One commitment covering the slot, as printed. */
interface CommitmentView {
  id: string;
  /** `pending`, `disputed` (pending with open challenges), `finalized` or `rejected`. */
  status: "pending" | "disputed" | "finalized" | "rejected" | "none";
  openChallenges: number;
  deadline: number;
  deadlineIso: string;
  /** Pending, the window over, no open challenge, and the parent is the finalized tip. */
  finalizable: boolean;
  /** `ChallengeLost`, `ParentRejected`, `SiblingFinalized`, `ProcessFrozen`; null unless rejected. */
  rejectReason: string | null;
  commitment: Commitment;
  postedBlock: number;
  postedTx: string;
}

/** Adds the `result` command group to `program`. */
export function register(program: Command, context: CliContext): void {
  const group = program
    .command("result")
    .summary("look up result commitments and result proofs")
    .description(
      "Result commitments on the ResultRegistry: which commitments cover a slot of a process, where " +
        "each is in its life, and the proof of a slot's result against the finalized one.",
    );

  addConnectionOptions(
    group
      .command("get")
      .summary("the commitments covering a slot, their status, and the slot's result proof")
      .description(
        "Find the commitments covering --slot of --process (from the ResultRegistry's CommitmentPosted " +
          "events) and print each with its status: pending with its challenge deadline, disputed (pending " +
          "with open challenges), finalized, or rejected with the reason. With --result-hashes (the result " +
          "hashes the compute unit published for the finalized commitment, slot firstSlot first), also " +
          "print the slot's result hash and the siblings of its proof, checked with verifyResult on chain.",
      )
      .addOption(new Option("--process <id>", "the process id").argParser(parseBytes32).makeOptionMandatory())
      .addOption(
        new Option("--slot <n>", "the slot")
          .argParser(bigintIn("the slot", 0n, UINT64_MAX))
          .makeOptionMandatory(),
      )
      .option(
        "--result-hashes <file.json>",
        "the finalized commitment's result hashes: a JSON array of 32-byte hex strings, one per slot from its " +
          'firstSlot (or { "resultHashes": [...] })',
      )
      .allowExcessArguments(false),
    { logs: true },
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<GetOptions>();
    const out = new Output(options, context.streams);
    // A bad file fails before anything is asked of the chain.
    const hashes = options.resultHashes === undefined ? undefined : readResultHashes(options.resultHashes);
    await withChain(options, out, {}, (chain) => get(chain, options, hashes, out));
  });
}

/**
 * The result hashes in `file`: a JSON array of 32-byte hex strings, or an object whose `resultHashes`
 * is one.
 *
 * @throws InputError naming the file, and the entry when one is not a 32-byte hex string.
 */
export function readResultHashes(file: string): string[] {
  const shown = displayPath(file);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `--result-hashes ${shown}: ` +
        (code === "ENOENT"
          ? "no such file"
          : code !== undefined
            ? `cannot read it (${code})`
            : `not valid JSON (${(error as Error).message})`),
      { cause: error },
    );
  }
  const list =
    typeof json === "object" && json !== null && !Array.isArray(json)
      ? (json as { resultHashes?: unknown }).resultHashes
      : json;
  if (!Array.isArray(list) || list.length === 0) {
    throw new InputError(
      `--result-hashes ${shown}: expected a non-empty JSON array of 32-byte hex strings (or { "resultHashes": [...] })`,
    );
  }
  return list.map((value: unknown, index) => {
    if (typeof value !== "string" || !isHexString(value, 32)) {
      throw new InputError(
        `--result-hashes ${shown}: entry ${index} is ${JSON.stringify(value)}, not a 32-byte hex string`,
      );
    }
    return value.toLowerCase();
  });
}

async function get(
  chain: Chain,
  options: GetOptions,
  hashes: string[] | undefined,
  out: Output,
): Promise<void> {
  const results = await chain.resultRegistry();
  const resultsAddress = await results.getAddress();
  const processes = await chain.processRegistry(await results.processRegistry());
  const { process, slot } = options;
  if (!(await processes.processExists(process))) {
    throw new ChainError(
      `process ${process} is not registered on the ProcessRegistry ${await processes.getAddress()}`,
      "E_NOT_FOUND",
    );
  }

  const events = await commitmentEvents(chain, results, resultsAddress, process);
  const covering = events.posted.filter(
    (p) => p.commitment.firstSlot <= slot && slot <= p.commitment.lastSlot,
  );
  const [[tip, finalizedSlots], now] = await Promise.all([results.latestFinalized(process), chain.now()]);
  const commitments: CommitmentView[] = await Promise.all(
    covering.map(async (p) => {
      const record = await results.record(p.id);
      const base = STATUS[Number(record.status)] ?? "none";
      const openChallenges = Number(record.openChallenges);
      const status = base === "pending" && openChallenges > 0 ? "disputed" : base;
      return {
        id: p.id,
        status,
        openChallenges,
        deadline: Number(record.deadline),
        deadlineIso: isoTime(record.deadline),
        finalizable:
          base === "pending" && openChallenges === 0 && now >= record.deadline && p.commitment.parent === tip,
        rejectReason: base === "rejected" ? (events.rejected.get(p.id) ?? null) : null,
        commitment: p.commitment,
        postedBlock: p.block,
        postedTx: p.tx,
      };
    }),
  );

  let proof = null;
  if (hashes !== undefined) {
    const finalized = commitments.find((c) => c.status === "finalized");
    if (finalized === undefined) {
      out.warn(`no finalized commitment covers slot ${slot}: there is no result proof to build yet`);
    } else {
      proof = await resultProof(results, finalized.commitment, slot, hashes, options.resultHashes!);
      if (!proof.verified) out.warn("verifyResult returned false for this proof");
    }
  }

  const data = {
    process,
    slot,
    resultRegistry: resultsAddress,
    finalizedSlots,
    tip: finalizedSlots === 0n ? null : tip,
    chainTime: Number(now),
    chainTimeIso: isoTime(now),
    commitments,
    proof,
  };
  out.result("result", data, () => resultText(data, now));
}

/** The registry's events about `process`: the commitments posted, and the reasons of rejections. */
async function commitmentEvents(chain: Chain, results: ResultRegistry, address: string, process: string) {
  const iface = results.interface;
  const postedTopic = iface.getEvent("CommitmentPosted").topicHash;
  const rejectedTopic = iface.getEvent("CommitmentRejected").topicHash;
  const logs = await chain.logs(
    address,
    [[postedTopic, rejectedTopic], null, process],
    chain.deployedAt("resultRegistry", address),
  );
  const posted: { id: string; commitment: Commitment; block: number; tx: string }[] = [];
  const rejected = new Map<string, string>();
  for (const log of logs) {
    const parsed = iface.parseLog(log);
    if (parsed === null) continue;
    if (parsed.name === "CommitmentPosted") {
      const commitment = commitmentFromEvent(parsed.args.c);
      posted.push({
        id: parsed.args.id as string,
        commitment,
        block: log.blockNumber,
        tx: log.transactionHash,
      });
    } else {
      const reason = Number(parsed.args.reason);
      rejected.set(parsed.args.id as string, REJECT_REASON[reason] ?? `reason ${reason}`);
    }
  }
  // The id is the hash of the content: a check that the events were read right.
  for (const p of posted) {
    if (commitmentId(p.commitment) !== p.id) {
      throw new ChainError(`CommitmentPosted ${p.id} carries content that hashes to another id`, "E_RPC");
    }
  }
  return { posted, rejected };
}

/** The proof of `slot`'s result in the finalized commitment `c`, checked with `verifyResult`. */
async function resultProof(
  results: ResultRegistry,
  c: Commitment,
  slot: bigint,
  hashes: string[],
  file: string,
) {
  const count = c.lastSlot - c.firstSlot + 1n;
  if (BigInt(hashes.length) !== count) {
    throw new InputError(
      `--result-hashes ${displayPath(file)} has ${hashes.length} result hashes, but the finalized commitment ` +
        `${commitmentId(c)} covers ${count} slots (${c.firstSlot} to ${c.lastSlot})`,
    );
  }
  const tree = buildResultsTree(c.process, c.firstSlot, hashes);
  if (tree.root !== c.resultsRoot) {
    throw new InputError(
      `the result hashes of --result-hashes ${displayPath(file)} make the results root ${tree.root}, not the ` +
        `resultsRoot ${c.resultsRoot} of the finalized commitment ${commitmentId(c)}: they are not its results`,
    );
  }
  const resultHash = hashes[Number(slot - c.firstSlot)];
  const siblings = tree.proof(slot);
  const verified = await results.verifyResult(c.process, slot, resultHash, { commitment: c, siblings });
  return { commitmentId: commitmentId(c), resultHash, siblings, verified };
}

function resultText(
  data: {
    process: string;
    slot: bigint;
    finalizedSlots: bigint;
    tip: string | null;
    commitments: CommitmentView[];
    proof: { commitmentId: string; resultHash: string; siblings: string[]; verified: boolean } | null;
  },
  now: bigint,
): string {
  const lines = [
    `Process ${data.process}, slot ${data.slot}`,
    `  finalized chain: ${data.finalizedSlots} slot${data.finalizedSlots === 1n ? "" : "s"}` +
      (data.tip === null ? " (nothing finalized yet)" : ` (tip ${data.tip})`),
  ];
  if (data.commitments.length === 0) lines.push("  no commitment covers this slot");
  for (const c of data.commitments) {
    const { firstSlot, lastSlot, poster } = c.commitment;
    lines.push("", `  ${c.id}  ${c.status.toUpperCase()}`);
    lines.push(`    slots ${firstSlot} to ${lastSlot}, posted by ${poster} in block ${c.postedBlock}`);
    const deadline = BigInt(c.deadline);
    if (c.status === "pending" || c.status === "disputed") {
      lines.push(
        now < deadline
          ? `    challenge window closes at ${c.deadlineIso} (${relativeTime(deadline, now)})`
          : `    challenge window closed at ${c.deadlineIso} (${formatDuration(now - deadline)} ago)` +
              (c.finalizable ? "; it can be finalized now" : ""),
      );
    }
    if (c.status === "disputed") {
      lines.push(
        `    ${c.openChallenges} open challenge${c.openChallenges === 1 ? "" : "s"} (holo dispute list --commitment ${c.id})`,
      );
    }
    if (c.status === "rejected") lines.push(`    reason ${c.rejectReason ?? "unknown"}`);
    lines.push(`    stateHash ${c.commitment.stateHash}`, `    resultsRoot ${c.commitment.resultsRoot}`);
  }
  if (data.proof !== null) {
    lines.push(
      "",
      `Result proof of slot ${data.slot} (commitment ${data.proof.commitmentId})`,
      `  resultHash  ${data.proof.resultHash}`,
      ...(data.proof.siblings.length === 0
        ? ["  siblings    none (a one-slot commitment: the leaf is the root)"]
        : data.proof.siblings.map((s, i) => `  ${i === 0 ? "siblings   " : "           "} ${s}`)),
      `  verifyResult on chain: ${data.proof.verified}`,
    );
  }
  return lines.join("\n");
}
