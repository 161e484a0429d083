/**
 * The compute unit's settings (agents/compute/config.ts): the defaults of the Arweave, checkpoint, refusal
 * and fault settings, a ConfigError naming each bad one, and the entry point's exit code 2 for an unusable
 * Arweave wallet file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { ConfigError, describeConfig, loadConfig } from "../../../agents/common/config";
import { ComputeSettings } from "../../../agents/compute/config";
import { main, readArweaveWallet } from "../../../agents/compute/main";
import { arweaveWallet } from "../scheduler/helpers";

const REQUIRED = {
  rpcUrl: "http://127.0.0.1:8545",
  privateKey: "0x" + "11".repeat(32),
  resultRegistry: "0x" + "22".repeat(20),
  processRegistry: "0x" + "33".repeat(20),
  suUrl: "http://127.0.0.1:8070",
};

/** The keys a ConfigError names for `settings`. */
function badKeys(settings: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  try {
    loadConfig(ComputeSettings, { env, flags: { ...REQUIRED, ...settings } });
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => i.key);
  }
  throw new Error("no ConfigError");
}

describe("agents/compute/config", function () {
  let tmp: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-cu-config-"));
  });

  after(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has defaults for the new settings and describes them", function () {
    const c = loadConfig(ComputeSettings, { env: {}, flags: REQUIRED });
    expect(c.checkpointEverySlots).to.equal(100);
    expect(c.arweaveUrl).to.equal(undefined);
    expect(c.arweaveWallet).to.equal(undefined);
    expect(c.arweaveLocal).to.equal("auto");
    expect(c.retryRefused).to.equal(false);
    expect(c.fault).to.equal(undefined);
    expect([c.disputeGame, c.stakeManager]).to.deep.equal([undefined, undefined]);
    const text = describeConfig(ComputeSettings).text();
    for (const flag of [
      "--arweave-url",
      "--arweave-wallet",
      "--arweave-local",
      "--checkpoint-every-slots",
      "--retry-refused",
      "--fault",
      "--dispute-game",
      "--stake-manager",
    ]) {
      expect(text).to.include(flag);
    }
  });

  it("reads the fault from JSON (environment and file) and the Arweave pair", function () {
    const c = loadConfig(ComputeSettings, {
      env: { HOLO_FAULT: '{"kind":"state","fromSlot":3}', HOLO_CHECKPOINT_EVERY_SLOTS: "25" },
      flags: {
        ...REQUIRED,
        arweaveUrl: "http://127.0.0.1:1984",
        arweaveWallet: "w.json",
        retryRefused: "true",
      },
    });
    expect(c.fault).to.deep.equal({ kind: "state", fromSlot: 3 });
    expect(c.checkpointEverySlots).to.equal(25);
    expect(c.arweaveUrl).to.equal("http://127.0.0.1:1984");
    expect(c.arweaveWallet).to.equal(path.resolve("w.json"));
    expect(c.retryRefused).to.equal(true);
    const file = path.join(tmp, "cu.json");
    fs.writeFileSync(file, JSON.stringify({ ...REQUIRED, fault: { kind: "result", fromSlot: 0 } }));
    expect(loadConfig(ComputeSettings, { env: {}, file }).fault).to.deep.equal({
      kind: "result",
      fromSlot: 0,
    });
  });

  it("names each bad new setting", function () {
    expect(badKeys({ checkpointEverySlots: "0" })).to.deep.equal(["checkpointEverySlots"]);
    expect(badKeys({ checkpointEverySlots: "ten" })).to.deep.equal(["checkpointEverySlots"]);
    expect(badKeys({ retryRefused: "maybe" })).to.deep.equal(["retryRefused"]);
    expect(badKeys({ arweaveLocal: "sometimes" })).to.deep.equal(["arweaveLocal"]);
    expect(badKeys({ arweaveUrl: "ftp://x", arweaveWallet: "w.json" })).to.deep.equal(["arweaveUrl"]);
    expect(badKeys({ arweaveUrl: "http://127.0.0.1:1984" })).to.deep.equal(["arweaveWallet"]);
    expect(badKeys({ arweaveWallet: "w.json" })).to.deep.equal(["arweaveUrl"]);
    expect(badKeys({ fault: '{"kind":"lie","fromSlot":1}' })).to.deep.equal(["fault"]);
    expect(badKeys({ fault: '{"kind":"state","fromSlot":-1}' })).to.deep.equal(["fault"]);
    expect(badKeys({ fault: '{"kind":"state"}' })).to.deep.equal(["fault"]);
    expect(badKeys({ fault: '{"kind":"state","fromSlot":1,"extra":true}' })).to.deep.equal(["fault"]);
    expect(badKeys({ fault: "not json" })).to.deep.equal(["fault"]);
    const addr = "0x" + "44".repeat(20);
    expect(badKeys({ disputeGame: addr })).to.deep.equal(["stakeManager"]);
    expect(badKeys({ stakeManager: addr })).to.deep.equal(["disputeGame"]);
    expect(badKeys({ disputeGame: "0x1234", stakeManager: addr })).to.deep.equal(["disputeGame"]);
  });

  it("refuses an unusable Arweave wallet file with a ConfigError naming arweaveWallet; main exits 2", async function () {
    const missing = path.join(tmp, "missing.json");
    const notJwk = path.join(tmp, "not-jwk.json");
    fs.writeFileSync(notJwk, JSON.stringify({ kty: "RSA", n: "abc" }));
    for (const file of [missing, notJwk]) {
      try {
        readArweaveWallet(file);
        expect.fail("read");
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).issues.map((i) => i.key)).to.deep.equal(["arweaveWallet"]);
      }
    }
    const good = path.join(tmp, "good.json");
    fs.writeFileSync(good, JSON.stringify(await arweaveWallet()));
    expect(readArweaveWallet(good).n).to.be.a("string");

    const stderr = process.stderr.write;
    let written = "";
    process.stderr.write = ((chunk: string) => {
      written += chunk;
      return true;
    }) as typeof process.stderr.write;
    const run = async (url: string, wallet: string) => {
      written = "";
      return main([
        ...Object.entries(REQUIRED).flatMap(([k, v]) => [
          `--${k.replace(/[A-Z]/g, (m) => "-" + m.toLowerCase())}`,
          v,
        ]),
        "--arweave-url",
        url,
        "--arweave-wallet",
        wallet,
        "--log-level",
        "silent",
        "--store-path",
        path.join(tmp, "cu.sqlite"),
      ]);
    };
    let code: number;
    let pathCode: number;
    let pathWritten: string;
    try {
      pathCode = await run("http://127.0.0.1:1984/not-a-root", good);
      pathWritten = written;
      code = await run("http://127.0.0.1:1984", notJwk);
    } finally {
      process.stderr.write = stderr;
    }
    expect(code).to.equal(2);
    expect(written).to.match(/arweaveWallet/);
    // a gateway URL with a path is refused by the Arweave client: named as arweaveUrl
    expect(pathCode).to.equal(2);
    expect(pathWritten).to.match(/arweaveUrl/);
  });
});
