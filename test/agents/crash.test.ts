/**
 * Crash suite (docs/agents.md §7 "kill -9 at any point"): the SU and the CU run as child processes (their
 * bin launchers) against the in-process Hardhat chain over JSON-RPC and ArLocal. A driver streams signed
 * messages to the SU while the test kills -9 one agent or the other at seeded random moments and restarts it
 * from its SQLite file. Afterwards: no slot lost or reused, the hash chain unbroken, re-sent messages keep
 * their slot, every slot on Arweave once, commitments contiguous with intact parents and posted once, and the
 * CU's results equal to a fresh fast-mode evaluation.
 */
import fs from "node:fs";
import path from "node:path";

import { expect } from "chai";

import {
  Driver,
  checkAssignments,
  checkCommitments,
  checkPublished,
  checkResults,
  freePort,
  freshEvaluation,
  makeAgents,
  postItem,
  postedCommitments,
  rng,
  signMessages,
  sleep,
  startDevnet,
  stopDevnet,
  waitSettled,
  type AgentProcess,
  type Devnet,
  type SignedMsg,
  unpublishedSlots,
} from "./reliability-helpers";

const SEED = Number(process.env.HOLO_CRASH_SEED ?? 20261124);
const KILLS = 22;
const T = Date.now();
/** Progress lines with HOLO_TEST_VERBOSE=1. */
function progress(what: string): void {
  if (process.env.HOLO_TEST_VERBOSE) console.log(`      [${((Date.now() - T) / 1000).toFixed(1)} s] ${what}`);
}

describe("agents: crash suite (kill -9 of the SU and the CU, restart from SQLite)", function () {
  this.timeout(360_000);

  let d: Devnet | undefined;
  let agents: { su: AgentProcess; cu: AgentProcess } | undefined;

  const pageLines = (a: AgentProcess) => a.events(/^page\./).map((l) => JSON.stringify(l).slice(0, 600));

  after(async function () {
    await agents?.su.stop().catch(() => undefined);
    await agents?.cu.stop().catch(() => undefined);
    await stopDevnet(d);
  });

  it(`survives ${KILLS} seeded kill -9s with nothing lost or repeated`, async function () {
    d = await startDevnet("holo-crash-");
    const suStore = path.join(d.dir, "su.sqlite");
    const cuStore = path.join(d.dir, "cu.sqlite");
    agents = makeAgents(d, {
      suPort: await freePort(),
      cuPort: await freePort(),
      suStore,
      cuStore,
      publishEvery: "150ms",
      commitEverySlots: 5,
      commitEveryMs: "500ms",
      pollMs: "100ms",
    });
    const { su, cu } = agents;
    const msgs: SignedMsg[] = await signMessages(d, 200, "crash");
    progress("devnet up, messages signed");
    await su.start();
    await cu.start();

    const random = rng(SEED);
    const driver = new Driver(() => su.url);
    let killing = true;
    // The stream: two senders, paced, until the kills are over (or the messages run out).
    let next = 0;
    const sender = async () => {
      while (killing && next < msgs.length) {
        await driver.send(msgs[next++]);
        await sleep(400 + Math.floor(random() * 400));
      }
    };
    const senders = Promise.all([sender(), sender()]);

    const kills = { su: 0, cu: 0 };
    const resent: { id: string; slot: number }[] = [];
    // Restarts run in the background, so one agent may be killed while the other is still starting; an
    // agent chosen while it is starting is killed as soon as it is up.
    const restarting: Record<"su" | "cu", Promise<void>> = { su: Promise.resolve(), cu: Promise.resolve() };
    const resend = async () => {
      const accepted = [...driver.slots.entries()];
      for (let j = 0; j < 3 && accepted.length > 0; j++) {
        const [id, slots] = accepted[Math.floor(random() * accepted.length)];
        const m = msgs.find((x) => x.id === id)!;
        const r = await postItem(su.url, m.bytes);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        resent.push({ id, slot: Number(r.body.slot) });
        expect(Number(r.body.slot), `re-sent ${id}`).to.equal(slots[0]);
      }
    };
    const t0 = Date.now();
    for (let k = 0; k < KILLS; k++) {
      // Traffic between every two kills: at least two more messages accepted (and a random pause). Restarts
      // became fast enough (agents/common/launcher.js) that a fixed pause alone let whole kills pass with
      // almost nothing accepted.
      const accepted = driver.slots.size;
      await sleep(250 + Math.floor(random() * 1000));
      for (let waited = 0; driver.slots.size < accepted + 2 && waited < 30_000; waited += 50) await sleep(50);
      // both agents, at random, kept within 3 of each other
      let target: AgentProcess = random() < 0.5 ? su : cu;
      if (Math.abs(kills.su - kills.cu) >= 3) target = kills.su > kills.cu ? cu : su;
      await restarting[target.kind];
      await target.kill9();
      kills[target.kind]++;
      progress(`kill ${k + 1}: ${target.kind} (accepted so far: ${driver.slots.size})`);
      restarting[target.kind] = target.start().then(async () => {
        if (target === su) await resend();
      });
    }
    await Promise.all([restarting.su, restarting.cu]);
    const killMs = Date.now() - t0;
    killing = false;
    await senders;
    expect(kills.su + kills.cu).to.be.at.least(20);
    expect(kills.su).to.be.at.least(8);
    expect(kills.cu).to.be.at.least(8);
    expect(su.starts).to.equal(kills.su + 1);
    expect(cu.starts).to.equal(kills.cu + 1);
    expect(resent.length).to.be.at.least(kills.su * 3 - 3);
    expect(driver.refusals, JSON.stringify(driver.refusals.slice(0, 3))).to.deep.equal([]);

    const n = driver.slots.size;
    expect(n).to.be.greaterThan(40);
    progress(`kills done; ${driver.slots.size} accepted`);
    const t1 = Date.now();
    try {
      await waitSettled(d, cu.url, suStore, n, 90_000);
    } catch (error) {
      const tail = (a: AgentProcess) =>
        a
          .events(/publish|page|arweave|retry|refused|cu\.|commit/)
          .slice(-8)
          .map((l) => JSON.stringify(l).slice(0, 400));
      if (process.env.HOLO_TEST_DUMP) {
        fs.writeFileSync(
          process.env.HOLO_TEST_DUMP,
          [...su.lines, ...cu.lines].map((l) => JSON.stringify(l)).join("\n"),
        );
      }
      throw new Error(
        `${String(error)}\nunpublished: ${unpublishedSlots(suStore)}\nSU: ${tail(su).join("\n")}\nCU: ${tail(cu).join("\n")}`,
      );
    }
    const settleMs = Date.now() - t1;

    progress("settled");
    const a = await checkAssignments(d, su.url, driver.slots);
    expect(a.problems).to.deep.equal([]);
    expect(a.n).to.equal(n);
    expect(await checkPublished(d, suStore, n)).to.deep.equal([]);
    const fresh = await freshEvaluation(d, su.url);
    expect(fresh).to.have.length(n);
    const posted = await postedCommitments(d);
    expect(checkCommitments(posted, fresh, d.sys.cu.address)).to.deep.equal([]);
    expect(posted.length).to.be.at.least(Math.floor(n / 5));
    expect(await checkResults(d, cu.url, fresh)).to.deep.equal([]);

    // and a clean stop still works after all that
    expect(await su.stop()).to.equal(0);
    expect(await cu.stop()).to.equal(0);
    console.log(
      `      crash: seed ${SEED}, ${kills.su} SU kills, ${kills.cu} CU kills, ${n} slots, ${posted.length} commitments, ` +
        `${resent.length} re-sends, ${driver.networkErrors} sends retried; kills took ${killMs} ms, ` +
        `settling ${settleMs} ms`,
    );
  });

  // docs/agents.md §4: a page means an operator must act. A kill -9 between an Arweave post and its record
  // needs no operator (the next round recovers it), so the run above should page nothing. It fails when the
  // SU pages livenessAtRisk for a gateway refusal it then recovers from by itself (see the report).
  it("pages no operator during the crash run (no page.* line from either agent)", function () {
    if (agents === undefined) this.skip();
    expect([...pageLines(agents.su), ...pageLines(agents.cu)]).to.deep.equal([]);
  });
});
