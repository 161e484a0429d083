/**
 * Outage suite (docs/agents.md §7 "the RPC stops", "the gateway stops"): the SU and the CU run as child
 * processes against the devnet while a driver keeps sending messages. Mid-run the chain's JSON-RPC server is
 * closed for a few seconds and a new one started on the same port; later the gateway goes away for a few
 * seconds: the agents reach ArLocal through a TCP proxy whose listener is closed and its connections reset,
 * then re-opened on the same port. (Stopping ArLocal itself and restarting it on the same data directory,
 * which its persist mode allows, was tried: when it is stopped while a bundle is being written, the restarted
 * ArLocal answers every `GET /mine` with 404 for good, so the run measured ArLocal, not the agents.) The agents
 * must retry (the retries are visible in their logs), recover and lose nothing: the same checks as the crash
 * suite.
 */
import path from "node:path";

import { expect } from "chai";
import hre from "hardhat";

import { startJsonRpcServer } from "../../cli/lib/jsonrpc";
import {
  Driver,
  checkAssignments,
  checkCommitments,
  checkPublished,
  checkResults,
  freePort,
  freshEvaluation,
  makeAgents,
  postedCommitments,
  signMessages,
  sleep,
  OutageProxy,
  startDevnet,
  stopDevnet,
  unpublishedSlots,
  waitFor,
  settleOrExplain,
  type AgentProcess,
  type Devnet,
  type SignedMsg,
  waitSettled,
} from "./reliability-helpers";

const OUTAGE_MS = 4_000;

describe("agents: outage suite (the RPC and the gateway stop and come back)", function () {
  this.timeout(300_000);

  let d: Devnet | undefined;
  let agents: { su: AgentProcess; cu: AgentProcess } | undefined;

  after(async function () {
    await agents?.su.stop().catch(() => undefined);
    await agents?.cu.stop().catch(() => undefined);
    await stopDevnet(d);
  });

  let proxy: OutageProxy | undefined;
  let sending = true;
  let next = 0;
  let driver: Driver;
  let msgs: SignedMsg[] = [];
  const sender = async () => {
    while (sending && next < msgs.length) {
      await driver.send(msgs[next++]);
      await sleep(60);
    }
  };

  it("RPC outage: the CU retries, recovers and posts every commitment once", async function () {
    d = await startDevnet("holo-outage-");
    const dev = d;
    const suStore = path.join(dev.dir, "su.sqlite");
    const cuStore = path.join(dev.dir, "cu.sqlite");
    // the agents reach ArLocal through a proxy that the test takes down and brings back (see the header)
    proxy = new OutageProxy(await freePort(), dev.arPort);
    await proxy.up();
    agents = makeAgents(
      { ...dev, gateway: `http://127.0.0.1:${proxy.port}` },
      {
        suPort: await freePort(),
        cuPort: await freePort(),
        suStore,
        cuStore,
        publishEvery: "150ms",
        commitEverySlots: 5,
        commitEveryMs: "500ms",
        pollMs: "100ms",
      },
    );
    const { su, cu } = agents;
    msgs = await signMessages(dev, 260, "outage");
    await su.start();
    await cu.start();

    driver = new Driver(() => su.url);
    const senders = Promise.all([sender(), sender()]);
    await waitFor("a first commitment", async () => (await postedCommitments(dev)).length > 0, 60_000, 200);

    // 1. the chain's JSON-RPC server stops; messages keep coming; the CU cannot post
    const cuLinesBefore = cu.lines.length;
    const postedBefore = (await postedCommitments(dev)).length;
    const acceptedBefore = driver.slots.size;
    await dev.rpc.close(0);
    await sleep(OUTAGE_MS);
    const acceptedDuringRpc = driver.slots.size - acceptedBefore;
    dev.rpc = await startJsonRpcServer(hre, "127.0.0.1", dev.rpcPort);
    const rpcRetries = cu.lines
      .slice(cuLinesBefore)
      .filter((l) => /retry/.test(String(l.event ?? "")) || /retr/i.test(String(l.msg ?? "")));
    expect(rpcRetries.length, "the CU logged no retry while the RPC was down").to.be.greaterThan(0);
    expect(acceptedDuringRpc, "the SU stopped accepting while the RPC was down").to.be.greaterThan(0);
    await waitFor(
      "a commitment after the RPC came back",
      async () => (await postedCommitments(dev)).length > postedBefore,
      60_000,
      200,
    );

    // quiet point: the senders pause; the CU's results and commitments cover every accepted slot
    sending = false;
    await senders;
    const n1 = driver.slots.size;
    await waitSettled(dev, cu.url, suStore, n1, 90_000, false);
    const a1 = await checkAssignments(dev, su.url, driver.slots);
    expect(a1.problems).to.deep.equal([]);
    const fresh1 = await freshEvaluation(dev, su.url);
    expect(checkCommitments(await postedCommitments(dev), fresh1, dev.sys.cu.address)).to.deep.equal([]);
    expect(await checkResults(dev, cu.url, fresh1)).to.deep.equal([]);
    expect(cu.events(/^page\./).map((l) => JSON.stringify(l).slice(0, 400))).to.deep.equal([]);
    expect(cu.starts).to.equal(1);
    console.log(
      `      RPC outage: ${n1} slots; ${acceptedDuringRpc} accepted while the RPC was down, ${rpcRetries.length} CU retries`,
    );
  });

  it("gateway outage: the SU keeps accepting, retries, then publishes every slot once", async function () {
    if (d === undefined || agents === undefined || proxy === undefined) this.skip();
    const dev = d;
    const { su, cu } = agents;
    const suStore = path.join(dev.dir, "su.sqlite");
    sending = true;
    const senders = Promise.all([sender(), sender()]);
    await sleep(1_000);

    // 2. the gateway goes away; messages keep coming; the SU cannot publish
    const suLinesBefore = su.lines.length;
    const acceptedBeforeAr = driver.slots.size;
    await proxy.down();
    await sleep(OUTAGE_MS);
    const acceptedDuringAr = driver.slots.size - acceptedBeforeAr;
    const lagDuringAr = unpublishedSlots(suStore);
    await proxy.up();
    const arRetries = su.lines.slice(suLinesBefore).filter((l) => /retry/.test(String(l.event ?? "")));
    expect(arRetries.length, "the SU logged no retry while the gateway was down").to.be.greaterThan(0);
    expect(acceptedDuringAr, "the SU stopped accepting while the gateway was down").to.be.greaterThan(0);
    expect(lagDuringAr).to.be.greaterThan(0);

    await sleep(1_500);
    sending = false;
    await senders;
    const n = driver.slots.size;
    await settleOrExplain(dev, su, cu, suStore, n, 120_000);

    const a = await checkAssignments(dev, su.url, driver.slots);
    expect(a.problems).to.deep.equal([]);
    expect(await checkPublished(dev, suStore, n)).to.deep.equal([]);
    const fresh = await freshEvaluation(dev, su.url);
    const posted = await postedCommitments(dev);
    expect(checkCommitments(posted, fresh, dev.sys.cu.address)).to.deep.equal([]);
    expect(await checkResults(dev, cu.url, fresh)).to.deep.equal([]);
    expect(su.events(/^page\./).map((l) => JSON.stringify(l).slice(0, 400))).to.deep.equal([]);
    expect(cu.events(/^page\./).map((l) => JSON.stringify(l).slice(0, 400))).to.deep.equal([]);
    expect(su.starts).to.equal(1);
    expect(cu.starts).to.equal(1);
    expect(await su.stop()).to.equal(0);
    expect(await cu.stop()).to.equal(0);
    console.log(
      `      gateway outage: ${n} slots, ${posted.length} commitments; ${acceptedDuringAr} accepted while the ` +
        `gateway was down, ${arRetries.length} SU retries, ${lagDuringAr} slots waiting`,
    );
  });
});
