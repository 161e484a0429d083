/**
 * The watcher's idle back-off (agents/watcher/domain/watcher.ts `idleBackoff`, setting `idlePollMax`): a
 * caught-up process is read by the rounds with a wait that doubles from `pollMs` to `idlePollMax` and ends
 * with the first new slot; a commitment waiting for slots not read yet reads at once; a bad setting is a
 * named error.
 */
import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { ConfigError } from "../../../agents/common/config";
import { createLogger } from "../../../agents/common/log";
import { ListLogSource } from "../../../agents/compute/domain/log-source";
import { startWatcher, type RunningWatcher } from "../../../agents/watcher/main";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import type { SlotInput } from "../../../sdk/ts/dispute";
import { assignMessages, deployGameSystem, postClaim, traceOf, type GameSystem } from "../../helpers/game";
import { tempDir } from "../scheduler/helpers";
import { CountingSource, gameWatcherConfig } from "./helpers";

const silent = createLogger({ agent: "watcher-test", level: "silent" });

describe("agents/watcher: reads of a caught-up process back off", function () {
  this.timeout(180_000);

  let sys: GameSystem;
  let log: SlotInput[];
  let rpc: RunningJsonRpcServer;
  let dir: string;
  let wasmFile: string;
  let w: RunningWatcher | undefined;

  before(async function () {
    sys = await deployGameSystem("counter");
    log = await assignMessages(
      sys,
      0n,
      Array.from({ length: 6 }, (_, i) => ({ tags: { Action: "Increment" }, data: `idle ${i}` })),
    );
    rpc = await startJsonRpcServer(hre, "127.0.0.1", 0);
    dir = tempDir("holo-watcher-idle-");
    wasmFile = path.join(dir, "counter.wasm");
    fs.writeFileSync(wasmFile, sys.wasm);
  });

  afterEach(async function () {
    await w?.stop();
    w = undefined;
  });

  after(async function () {
    await rpc.close(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function config(name: string, flags: Record<string, unknown>) {
    return gameWatcherConfig(
      sys,
      { rpcUrl: `http://127.0.0.1:${rpc.port}`, wasm: wasmFile, storePath: path.join(dir, `${name}.sqlite`) },
      flags,
    );
  }

  it("skips a caught-up process for a doubling wait (pollMs up to idlePollMax), reads at once when a commitment needs slots, resets on new slots", async function () {
    let t = 1_000_000;
    const list = new ListLogSource();
    list.append(sys.process, log.slice(0, 2));
    const source = new CountingSource(list);
    w = await startWatcher(config("a", { pollMs: "1s", idlePollMax: "4s" }), silent, {
      source,
      loop: false,
      now: () => t,
    });
    const reads = async (advanceMs: number) => {
      t += advanceMs;
      const before = source.reads.length;
      await w!.tick();
      return source.reads.slice(before);
    };
    expect(await reads(0)).to.deep.equal([0n]); // two slots (fewer than a page: the end)
    expect(await reads(0)).to.deep.equal([2n]); // the first empty read: the wait starts
    expect(await reads(999)).to.deep.equal([]); // within 1 s
    expect(await reads(1)).to.deep.equal([2n]); // 1 s later; the wait doubles to 2 s
    expect(await reads(1_999)).to.deep.equal([]);
    expect(await reads(1)).to.deep.equal([2n]); // then 4 s, the cap
    expect(await reads(3_999)).to.deep.equal([]);
    expect(await reads(1)).to.deep.equal([2n]); // still 4 s (idlePollMax)
    expect(await reads(3_999)).to.deep.equal([]);

    // A commitment over slots not read yet: judged at once, not after the wait.
    list.append(sys.process, log.slice(2, 4));
    const c = await postClaim(sys, sys.cu, traceOf(sys, log.slice(0, 4)));
    expect(await reads(0)).to.deep.equal([2n]); // the round skips it; the verdict reads it
    expect(w.watcher.check(c.id)?.verdict).to.equal("agree");
    // New slots found: the wait ended, so the next round reads again.
    expect(await reads(0)).to.deep.equal([4n]);
    expect(await reads(0)).to.deep.equal([]);
  });

  it("reads every process every round with idlePollMax at most pollMs", async function () {
    const list = new ListLogSource();
    list.append(sys.process, log.slice(0, 4)); // covers the first test's commitment: nothing waits for slots
    const source = new CountingSource(list);
    w = await startWatcher(config("b", { pollMs: "1s", idlePollMax: "1s" }), silent, { source, loop: false });
    await w.tick();
    const before = source.reads.length;
    await w.tick();
    await w.tick();
    expect(source.reads.slice(before)).to.deep.equal([4n, 4n]);
  });

  it("refuses a bad idlePollMax with a named ConfigError", function () {
    for (const bad of ["soon", "-1s"]) {
      let error: unknown;
      try {
        config("c", { idlePollMax: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.key)).to.deep.equal(["idlePollMax"]);
      expect(String(error)).to.contain(`flag --idle-poll-max: expected a duration`);
    }
  });
});
