/** The scheduler's settings (agents/scheduler/config.ts) and its entry point's --help and bad-setting exit. */
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";

import { expect } from "chai";

import { ConfigError, describeConfig, loadConfig } from "../../../agents/common/config";
import { SchedulerSettings } from "../../../agents/scheduler/config";
import { main } from "../../../agents/scheduler/main";

const REQUIRED = {
  rpcUrl: "http://127.0.0.1:8545",
  privateKey: "0x" + "11".repeat(32),
  processRegistry: "0x" + "22".repeat(20),
  chainId: "31337",
  arweaveWallet: "wallet.json",
};

describe("agents/scheduler/config", function () {
  it("has defaults and describes every setting", function () {
    const c = loadConfig(SchedulerSettings, { flags: REQUIRED });
    expect(c.bodyLimit).to.equal(72 * 1024);
    expect(c.publishEvery).to.equal(5000);
    expect(c.publishBatch).to.equal(100);
    expect(c.port).to.equal(8070);
    expect(c.processes).to.deep.equal([]);
    expect(c.chainId).to.equal(31337);
    const d = describeConfig(SchedulerSettings);
    expect(d.settings.find((s) => s.key === "privateKey")!.secret).to.equal(true);
    expect(d.text()).to.include("--publish-every");
  });

  it("names a bad setting", function () {
    expect(() => loadConfig(SchedulerSettings, { flags: { ...REQUIRED, processes: "0x1234" } })).to.throw(
      ConfigError,
      /processes/,
    );
    expect(() => loadConfig(SchedulerSettings, { flags: { ...REQUIRED, publishBatch: "0" } })).to.throw(
      ConfigError,
      /publishBatch|publish-batch/,
    );
  });

  it("main --help prints the settings; a missing setting exits 2", async function () {
    const root = path.join(__dirname, "..", "..", "..");
    const out = execFileSync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "agents/scheduler/main.ts", "--help"],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    expect(out).to.include("--rpc-url, HOLO_RPC_URL");
    expect(out).to.include("--arweave-wallet");
    const bin = spawnSync(process.execPath, ["agents/scheduler/bin/holo-su.js", "--help"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(bin.status).to.equal(0);
    expect(bin.stdout).to.include("--publish-batch");
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith("HOLO_")) delete process.env[k];
      const write = process.stderr.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        expect(await main(["--rpc-url", "http://127.0.0.1:8545"])).to.equal(2);
      } finally {
        process.stderr.write = write;
      }
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
