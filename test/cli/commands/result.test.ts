import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../../deploy";
import { buildResultsTree, commitmentId, type Commitment } from "../../../sdk/ts/results";
import { bondAndSpawn, holo, isolateChainEnv } from "../helpers";

const ONE = 10n ** 18n;

/** The zero commitment: the `parent` argument of a game against a commitment of the initial state. */
const NO_PARENT: Commitment = {
  process: ethers.ZeroHash,
  parent: ethers.ZeroHash,
  firstSlot: 0n,
  lastSlot: 0n,
  lastAssignmentHash: ethers.ZeroHash,
  stateHash: ethers.ZeroHash,
  resultsRoot: ethers.ZeroHash,
  arweaveRef: ethers.ZeroHash,
  poster: ethers.ZeroAddress,
  stake: 0n,
};

/** A commitment view as `holo result get --json` prints it. */
interface View {
  id: string;
  status: string;
  openChallenges: number;
  deadline: number;
  deadlineIso: string;
  finalizable: boolean;
  rejectReason: string | null;
  commitment: Record<string, string>;
  postedBlock: number;
  postedTx: string;
}

describe("cli/commands/result (holo result)", function () {
  const env = isolateChainEnv();
  let tmp: string;
  let snapshot: string;
  let server: RunningJsonRpcServer;
  let devnet: DevnetDeployment;
  let connection: string[];
  let processId: string;
  /** The honest compute unit's result hashes of slots 0 to 4, and the file holding them. */
  const hashes = [0, 1, 2, 3, 4].map((i) => ethers.id(`result of slot ${i}`));
  let hashesFile: string;
  /** A: the honest commitment (cu); B: a disputed sibling (liar); C: a sibling that will be pruned. */
  let A: { c: Commitment; id: string; deadline: bigint };
  let B: { c: Commitment; id: string; deadline: bigint };
  let C: { c: Commitment; id: string; deadline: bigint };
  let watcher: HardhatEthersSigner;

  async function post(poster: HardhatEthersSigner, label: string, resultsRoot: string) {
    const args = [
      processId,
      ethers.ZeroHash,
      0n,
      4n,
      ethers.id(`${label} last assignment`),
      ethers.id(`${label} state`),
      resultsRoot,
      ethers.id(`${label} arweave`),
    ] as const;
    const results = devnet.contracts.resultRegistry;
    const receipt = (await (await results.connect(poster).postCommitment(...args)).wait())!;
    const c: Commitment = {
      process: processId,
      parent: ethers.ZeroHash,
      firstSlot: 0n,
      lastSlot: 4n,
      lastAssignmentHash: args[4],
      stateHash: args[5],
      resultsRoot,
      arweaveRef: args[7],
      poster: poster.address,
      stake: await results.commitmentStake(),
    };
    const id = commitmentId(c);
    const record = await results.record(id);
    expect(record.status).to.equal(1n);
    expect(receipt.status).to.equal(1);
    return { c, id, deadline: record.deadline };
  }

  const get = (...args: string[]) => holo("result", "get", "--process", processId, ...args, ...connection);

  before(async function () {
    env.clear();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-result-"));
    hashesFile = path.join(tmp, "hashes.json");
    fs.writeFileSync(hashesFile, JSON.stringify(hashes));
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    const signers = await hre.ethers.getSigners();
    const [, scheduler, cu, liar, other, owner] = signers;
    watcher = signers[6];
    const operators = [scheduler, cu, liar, other, watcher];
    devnet = await deployDevnet(hre, { fund: { accounts: operators.map((s) => s.address) } });
    processId = await bondAndSpawn(devnet, operators, owner, scheduler);

    A = await post(cu, "A", buildResultsTree(processId, 0n, hashes).root);
    B = await post(liar, "B", ethers.id("a wrong results root"));
    C = await post(other, "C", ethers.id("another results root"));

    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    const deployment = path.join(tmp, "deployment.json");
    fs.writeFileSync(deployment, JSON.stringify({ resultRegistry: devnet.addresses.resultRegistry }));
    connection = ["--rpc", `http://127.0.0.1:${server.port}`, "--deployment", deployment];
  });

  after(async function () {
    await server?.close();
    if (snapshot !== undefined)
      await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
    fs.rmSync(tmp, { recursive: true, force: true });
    env.restore();
  });

  async function increaseTime(seconds: number): Promise<void> {
    await hre.network.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await hre.network.provider.request({ method: "evm_mine" });
  }

  it("lists the pending commitments covering a slot, with their deadlines; none for a slot beyond", async function () {
    const { code, stderr, json } = await get("--slot", "2", "--json");
    expect(code, stderr).to.equal(0);
    const result = json();
    const { timestamp } = (await hre.ethers.provider.getBlock("latest"))!;
    expect(result).to.deep.include({
      event: "result",
      process: processId,
      slot: "2",
      resultRegistry: devnet.addresses.resultRegistry,
      finalizedSlots: "0",
      tip: null,
      chainTime: timestamp,
      proof: null,
    });
    const views = result.commitments as View[];
    expect(views.map((v) => v.id)).to.deep.equal([A.id, B.id, C.id]);
    expect(views[0]).to.deep.include({
      status: "pending",
      openChallenges: 0,
      deadline: Number(A.deadline),
      deadlineIso: new Date(Number(A.deadline) * 1000).toISOString(),
      finalizable: false,
      rejectReason: null,
    });
    expect(views[0].commitment).to.deep.equal({
      process: processId,
      parent: ethers.ZeroHash,
      firstSlot: "0",
      lastSlot: "4",
      lastAssignmentHash: A.c.lastAssignmentHash,
      stateHash: A.c.stateHash,
      resultsRoot: A.c.resultsRoot,
      arweaveRef: A.c.arweaveRef,
      poster: A.c.poster,
      stake: (10n * ONE).toString(),
    });

    const beyond = await get("--slot", "5", "--json");
    expect(beyond.code, beyond.stderr).to.equal(0);
    expect(beyond.json().commitments).to.deep.equal([]);
    const text = await get("--slot", "5");
    expect(text.stdout).to.include("  no commitment covers this slot");

    // A proof needs a finalized commitment: none yet.
    const early = await get("--slot", "2", "--result-hashes", hashesFile, "--json");
    expect(early.code, early.stderr).to.equal(0);
    expect(early.json().proof).to.equal(null);
    expect(early.stderr).to.include(
      "warning: no finalized commitment covers slot 2: there is no result proof to build yet",
    );
  });

  it("shows a pending commitment with an open challenge as disputed", async function () {
    const bond = await devnet.contracts.disputeGame.challengeBond();
    await (await devnet.contracts.disputeGame.connect(watcher).openChallenge(B.c, NO_PARENT)).wait();
    expect(bond).to.be.greaterThan(0n);

    const { code, stderr, json } = await get("--slot", "0", "--json");
    expect(code, stderr).to.equal(0);
    const [a, b] = json().commitments as View[];
    expect(a).to.deep.include({ id: A.id, status: "pending", openChallenges: 0 });
    expect(b).to.deep.include({ id: B.id, status: "disputed", openChallenges: 1, finalizable: false });

    const text = await get("--slot", "0");
    expect(text.stdout).to.include(`  ${B.id}  DISPUTED\n`);
    expect(text.stdout).to.include(`    1 open challenge (holo dispute list --commitment ${B.id})\n`);
    expect(text.stdout).to.match(/challenge window closes at \S+ \(in 4 min \d+ s\)/);
  });

  it("shows finalized and rejected commitments, and the slot's result proof checked by verifyResult", async function () {
    const results = devnet.contracts.resultRegistry;
    await increaseTime(300);
    const due = (await get("--slot", "3", "--json")).json().commitments as View[];
    expect(due.map((v) => [v.status, v.finalizable])).to.deep.equal([
      ["pending", true],
      ["disputed", false],
      ["pending", true],
    ]);

    await (await results.finalize(A.c)).wait();
    await (await results.prune(C.c)).wait();

    const { code, stderr, json } = await get("--slot", "3", "--result-hashes", hashesFile, "--json");
    expect(code, stderr).to.equal(0);
    const result = json();
    expect(result).to.deep.include({ finalizedSlots: "5", tip: A.id });
    const views = result.commitments as View[];
    expect(views.map((v) => [v.id, v.status, v.rejectReason])).to.deep.equal([
      [A.id, "finalized", null],
      [B.id, "disputed", null],
      [C.id, "rejected", "SiblingFinalized"],
    ]);
    const siblings = buildResultsTree(processId, 0n, hashes).proof(3n);
    expect(siblings).to.have.lengthOf(3);
    expect(result.proof).to.deep.equal({
      commitmentId: A.id,
      resultHash: hashes[3],
      siblings,
      verified: true,
    });
    expect(await results.verifyResult(processId, 3n, hashes[3], { commitment: A.c, siblings })).to.equal(
      true,
    );

    const text = await get("--slot", "3", "--result-hashes", hashesFile);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.include(`  finalized chain: 5 slots (tip ${A.id})`);
    expect(text.stdout).to.include(`  ${A.id}  FINALIZED\n`);
    expect(text.stdout).to.include(`  ${C.id}  REJECTED\n`);
    expect(text.stdout).to.include("    reason SiblingFinalized\n");
    expect(text.stdout).to.include(
      `Result proof of slot 3 (commitment ${A.id})\n  resultHash  ${hashes[3]}\n`,
    );
    expect(text.stdout).to.include(`  siblings    ${siblings[0]}\n              ${siblings[1]}\n`);
    expect(text.stdout).to.include("  verifyResult on chain: true");
  });

  it("searches in bounded block ranges from --from-block", async function () {
    const ranged = await get("--slot", "1", "--block-range", "2", "--json");
    expect(ranged.code, ranged.stderr).to.equal(0);
    expect((ranged.json().commitments as View[]).map((v) => v.id)).to.deep.equal([A.id, B.id, C.id]);
    expect(ranged.stderr).to.match(/^Searching blocks 0 to \d+ for events \(\d+ requests\)…$/m);

    const latest = await hre.ethers.provider.getBlockNumber();
    const late = await get("--slot", "1", "--from-block", String(latest), "--json");
    expect(late.code, late.stderr).to.equal(0);
    expect(late.json().commitments).to.deep.equal([]);

    // Without --from-block, the search starts at the registry's deployment block, from the Ignition
    // journal beside deployed_addresses.json (here a journal that says: deployed in the latest block).
    const dir = path.join(tmp, "chain-31337");
    fs.mkdirSync(dir, { recursive: true });
    const addresses = path.join(dir, "deployed_addresses.json");
    fs.writeFileSync(addresses, JSON.stringify({ "Devnet#ResultRegistry": devnet.addresses.resultRegistry }));
    const confirm = {
      futureId: "Devnet#ResultRegistry",
      type: "TRANSACTION_CONFIRM",
      receipt: { blockNumber: latest, contractAddress: devnet.addresses.resultRegistry.toLowerCase() },
    };
    fs.writeFileSync(
      path.join(dir, "journal.jsonl"),
      `{"chainId":31337,"type":"DEPLOYMENT_INITIALIZE"}\n${JSON.stringify(confirm)}\n`,
    );
    const journaled = await holo(
      "result",
      "get",
      "--process",
      processId,
      "--slot",
      "1",
      "--rpc",
      connection[1],
      "--deployment",
      addresses,
      "--verbose",
      "--json",
    );
    expect(journaled.code, journaled.stderr).to.equal(0);
    expect(journaled.json().commitments).to.deep.equal([]);
    expect(journaled.stderr).to.include(`  eth_getLogs ${latest}…${latest}\n`);
    fs.writeFileSync(path.join(dir, "journal.jsonl"), "");
    const unjournaled = await holo(
      "result",
      "get",
      "--process",
      processId,
      "--slot",
      "1",
      "--rpc",
      connection[1],
      "--deployment",
      addresses,
      "--json",
    );
    expect((unjournaled.json().commitments as View[]).map((v) => v.id)).to.deep.equal([A.id, B.id, C.id]);
  });

  describe("bad input", function () {
    it("names a result-hashes file that is missing, malformed, or not the commitment's results (exit 2, E_INPUT)", async function () {
      const write = (name: string, content: unknown) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
        return file;
      };
      const missing = path.join(tmp, "none.json");
      const fewer = write("fewer.json", { resultHashes: hashes.slice(0, 4) });
      const wrong = write("wrong.json", [...hashes.slice(0, 4), ethers.id("not the result")]);
      const tree = buildResultsTree(processId, 0n, [...hashes.slice(0, 4), ethers.id("not the result")]);
      const cases: [string, string][] = [
        [missing, `--result-hashes ${missing}: no such file`],
        [write("broken.json", "[1,"), `--result-hashes ${path.join(tmp, "broken.json")}: not valid JSON`],
        [write("empty.json", []), "expected a non-empty JSON array of 32-byte hex strings"],
        [
          write("short.json", [hashes[0], "0x1234"]),
          `--result-hashes ${path.join(tmp, "short.json")}: entry 1 is "0x1234", not a 32-byte hex string`,
        ],
        [
          fewer,
          `--result-hashes ${fewer} has 4 result hashes, but the finalized commitment ${A.id} covers 5 slots (0 to 4)`,
        ],
        [
          wrong,
          `the result hashes of --result-hashes ${wrong} make the results root ${tree.root}, not the resultsRoot ${A.c.resultsRoot}`,
        ],
      ];
      for (const [file, message] of cases) {
        const { code, json } = await get("--slot", "2", "--result-hashes", file, "--json");
        expect(code, file).to.equal(2);
        const error = json().error as { code: string; message: string };
        expect(error.code, file).to.equal("E_INPUT");
        expect(error.message, file).to.include(message);
      }
    });

    it("refuses an unknown process (exit 1) and malformed options (exit 2)", async function () {
      const unknown = ethers.id("no such process");
      const none = await holo("result", "get", "--process", unknown, "--slot", "0", ...connection, "--json");
      expect(none.code).to.equal(1);
      expect(none.json().error).to.deep.equal({
        code: "E_NOT_FOUND",
        message: `process ${unknown} is not registered on the ProcessRegistry ${devnet.addresses.processRegistry}`,
      });

      const cases: [string[], string][] = [
        [["--process", processId], "error: required option '--slot <n>' not specified"],
        [["--slot", "1"], "error: required option '--process <id>' not specified"],
        [
          ["--process", processId, "--slot", "-1"],
          "error: option '--slot <n>' argument '-1' is invalid. the slot must be a whole number from 0 to 18446744073709551615.",
        ],
        [
          ["--process", processId, "--slot", "18446744073709551616"],
          "argument '18446744073709551616' is invalid",
        ],
        [["--process", processId, "--slot", "two"], "argument 'two' is invalid"],
        [["--process", "0xabc", "--slot", "1"], `"0xabc" is not a 32-byte hex value`],
        [
          ["--process", processId, "--slot", "1", "--block-range", "0"],
          "the block range must be a whole number from 1 to 10000000.",
        ],
        [["--process", processId, "--slot", "1", "--verbos"], "error: unknown option '--verbos'"],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await holo("result", "get", ...args, ...connection);
        expect(code, args.join(" ")).to.equal(2);
        expect(stderr, args.join(" ")).to.include(message);
      }
    });
  });
});
