/**
 * `holo devnet --once`, end to end, as a user runs it (a child process: its own Hardhat chain, ArLocal,
 * SU, CUs and watcher): the honest scenario finalizes everything with no challenge; the fraud scenario has
 * the watcher challenge the faulty CU's commitment, the game played on chain to the end, the liar slashed
 * and the honest CU's commitment finalized. The summary is the last line on stdout.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { TOKEN_WASM } from "../../cli/devnet/system";
import { processWasm } from "../sdk/helpers";
import { childEnv, collect, exited, HOLO, holo, runNode } from "../cli/helpers";

interface Summary {
  event: string;
  scenario: string;
  ok: boolean;
  reason: string | null;
  messages: number;
  finalized: number;
  challenged: number;
  slashed: boolean;
  honestWon: boolean;
  commitments: number;
  rejected: number;
  gameMoves: number;
  gameWallSec: number | null;
  detectToChallengeSec: number | null;
  timeAdvancedSec: number;
}

describe("e2e: holo devnet --once", function () {
  this.timeout(300_000);
  let tmp: string;

  before(function () {
    processWasm("token"); // builds build/processes/token.wasm if needed
    expect(fs.existsSync(TOKEN_WASM)).to.equal(true);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-e2e-devnet-"));
  });

  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function once(name: string, ...args: string[]) {
    const dir = path.join(tmp, name);
    const r = await runNode(
      [
        HOLO,
        "devnet",
        "--port",
        "0",
        "--once",
        "--json",
        "--out",
        path.join(dir, "devnet.json"),
        "--deployment-dir",
        path.join(dir, "journal"),
        ...args,
      ],
      { timeoutMs: 280_000 },
    );
    const lines = r.stdout.trimEnd().split("\n");
    const summary = JSON.parse(lines[lines.length - 1]) as Summary;
    const ready = JSON.parse(lines[0]) as {
      event: string;
      agents: { su: { url: string }; cus: { fault: unknown }[]; watcher: unknown; gatewayUrl: string } | null;
    };
    return { ...r, summary, ready, dir };
  }

  it("without --once: serves the agents, takes `holo message send` with its defaults, stops on SIGINT", async function () {
    const dir = path.join(tmp, "live");
    const out = path.join(dir, "devnet.json");
    const child = spawn(
      process.execPath,
      [
        HOLO,
        "devnet",
        "--port",
        "0",
        "--json",
        "--messages",
        "1",
        "--out",
        out,
        "--deployment-dir",
        path.join(dir, "journal"),
      ],
      { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const output = collect(child);
    try {
      const deadline = Date.now() + 120_000;
      while (!output.stdout().includes('"event":"ready"')) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ready event:\n${output.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const info = JSON.parse(fs.readFileSync(out, "utf8")) as {
        agents: {
          su: { url: string };
          process: { id: string };
          arweaveWallet: string;
          dataDir: string;
          logsDir: string;
        };
      };
      expect(info.agents.su.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(fs.existsSync(info.agents.arweaveWallet)).to.equal(true);
      // `holo message send` finds the SU and the wallet in devnet.json.
      const sent = await holo(
        "message",
        "send",
        "--process",
        info.agents.process.id,
        "--tag",
        "Action=Info",
        "--devnet",
        out,
        "--json",
      );
      expect(sent.code, sent.stderr).to.equal(0);
      const slot = sent.json().slot as number;
      expect(slot).to.be.at.least(1);
      while (!new RegExp(`scheduled\\s+slot ${slot} of`).test(output.stderr())) {
        if (Date.now() > deadline) throw new Error(`slot ${slot} not shown:\n${output.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(fs.readFileSync(path.join(info.agents.logsDir, "su.log"), "utf8")).to.contain(
        '"event":"su.slot.assigned"',
      );
      child.kill("SIGINT");
      const { code } = await exited(child, 30_000);
      expect(code).to.equal(0);
      const lines = output.stdout().trimEnd().split("\n");
      expect(JSON.parse(lines[lines.length - 1])).to.deep.equal({ event: "stopped", reason: "SIGINT" });
      expect(fs.existsSync(out)).to.equal(false);
      expect(fs.existsSync(info.agents.dataDir)).to.equal(false); // the temporary data directory is removed
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("honest: every slot finalized, nothing challenged, exit 0", async function () {
    const r = await once("honest", "--scenario", "honest", "--timeout", "120");
    expect(r.code, r.stderr).to.equal(0);
    expect(r.summary).to.deep.include({
      event: "summary",
      scenario: "honest",
      ok: true,
      reason: null,
      messages: 5,
      finalized: 5,
      challenged: 0,
      slashed: false,
      honestWon: true,
      rejected: 0,
      gameWallSec: null,
      detectToChallengeSec: null,
    });
    expect(r.summary.timeAdvancedSec).to.be.greaterThan(0); // the challenge window was skipped
    // The ready event describes the agents; the live lines say what happened.
    expect(r.ready.event).to.equal("ready");
    expect(r.ready.agents?.su.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.ready.agents?.cus).to.have.lengthOf(1);
    expect(r.stderr).to.match(/scheduled\s+slot 0 of/);
    expect(r.stderr).to.match(/evaluated up to slot 4/);
    expect(r.stderr).to.match(/commitment 0x[0-9a-f]{8}….{4} posted by honest CU: slots 0–4/);
    expect(r.stderr).to.match(/FINALIZED \(honest CU\): the process is final up to slot 4/);
    expect(fs.existsSync(path.join(r.dir, "devnet.json"))).to.equal(false);
  });

  it("fraud: the watcher challenges, the liar is slashed, the honest commitment finalizes, exit 0", async function () {
    const r = await once("fraud", "--scenario", "fraud", "--timeout", "200");
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.summary).to.deep.include({
      scenario: "fraud",
      ok: true,
      reason: null,
      messages: 5,
      finalized: 5,
      slashed: true,
      honestWon: true,
    });
    expect(r.summary.challenged).to.be.at.least(1);
    expect(r.summary.rejected).to.be.at.least(1); // the liar's commitment lost its game
    expect(r.summary.gameMoves).to.be.at.least(1);
    expect(r.summary.gameWallSec).to.be.a("number");
    expect(r.summary.detectToChallengeSec).to.be.a("number").and.to.be.at.least(0);
    expect(r.ready.agents?.cus.map((c) => c.fault)).to.deep.equal([null, { kind: "state", fromSlot: 1 }]);
    expect(r.stderr).to.match(/CHALLENGE: watcher opened game/);
    expect(r.stderr).to.match(/SLASHED faulty CU/);
    expect(r.stderr).to.match(/resolved: challenger-won/);
    expect(r.stderr).to.match(/FINALIZED \(honest CU\)/);
  });

  it("a run that cannot end in time exits 1 with the summary last and the reason named", async function () {
    const r = await once(
      "timeout",
      "--scenario",
      "honest",
      // The CU waits for 1000 slots (or 10 min) before committing: it never commits here.
      "--commit-every",
      "1000",
      "--timeout",
      "3",
      "--data-dir",
      path.join(tmp, "kept"),
    );
    expect(r.code).to.equal(1);
    expect(r.summary.ok).to.equal(false);
    expect(r.summary.reason).to.match(/^timeout: the honest CU's commitments covering every slot within 3 s/);
    expect(r.summary).to.deep.include({ finalized: 0, commitments: 0, messages: 5 });
    expect(r.stderr).to.contain("error: the honest scenario did not end as expected: timeout");
    // The agents' logs are kept for a failed run.
    expect(fs.existsSync(path.join(tmp, "kept", "logs", "su.log"))).to.equal(true);
  });

  it("refuses --once without agents, an unknown scenario, a bad --timeout (exit 2)", async function () {
    const noAgents = await holo("devnet", "--once", "--no-agents", "--port", "0", "--json");
    expect(noAgents.code).to.equal(2);
    expect(noAgents.stderr).to.contain("--once runs a scenario with the agents");
    const bad = await holo("devnet", "--scenario", "chaos");
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/argument 'chaos' is invalid.*honest, fraud/s);
    const timeout = await holo("devnet", "--once", "--timeout", "0");
    expect(timeout.code).to.equal(2);
    expect(timeout.stderr).to.contain("--timeout");
  });
});
