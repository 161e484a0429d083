/**
 * The scheduler's domain (agents/scheduler/domain/scheduler.ts) against a real ProcessRegistry on the Hardhat
 * chain: consecutive slots with an unbroken hash chain, signatures recovering to the scheduler (in TypeScript
 * and on chain), the message hash of the canonical encoding, idempotence, concurrency, restart, Process
 * items, and every refusal storing nothing.
 */
import { createHash } from "node:crypto";
import path from "node:path";

import { DataItem, EthereumSigner, createData } from "@dha-team/arbundles";
import Database from "better-sqlite3";
import { expect } from "chai";
import { ethers } from "hardhat";

import { createSignedMessage, verifyDataItem } from "../../../agents/common/arweave";
import { SchedulerError, StoreIdentityError } from "../../../agents/scheduler/domain/errors";
import type { PendingSpawn, Scheduler, SignedAssignment } from "../../../agents/scheduler/domain/scheduler";
import { openStore } from "../../../agents/common/store";
import { SCHEDULER_MIGRATIONS } from "../../../agents/scheduler/domain/store";
import { encodeMessage } from "../../../machine/process/message";
import {
  assignmentDomain,
  findChainBreak,
  recoverAssignmentSigner,
  signAssignment,
} from "../../../sdk/ts/assignments";
import { INITIAL_STATE, makeAssignment } from "../../helpers/registry";
import {
  arweaveWallet,
  chainSetup,
  counts,
  makeScheduler,
  message,
  processItem,
  tempDir,
  type ChainSetup,
} from "./helpers";

async function expectRefusal(promise: Promise<unknown>, name: string): Promise<SchedulerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(SchedulerError);
    expect((error as SchedulerError).name).to.equal(name);
    return error as SchedulerError;
  }
  expect.fail(`expected a ${name} refusal`);
}

function allAssignments(s: Scheduler, process: string): SignedAssignment[] {
  return s.log(process, { limit: 1000 }).entries.map((e) => e.assignment);
}

/** The `arweaveId` (0x) of Process item `itemId` and the (lower-case) id of the process it spawns for `owner`. */
async function pendingIds(chain: ChainSetup, itemId: string, owner: string) {
  const arweaveId = ethers.hexlify(Buffer.from(itemId, "base64url"));
  const processId = (
    await chain.reg.processes.computeProcessId(
      chain.reg.moduleId,
      chain.reg.scheduler.address,
      INITIAL_STATE,
      arweaveId,
      owner,
    )
  ).toLowerCase();
  return { arweaveId, processId };
}

describe("agents/scheduler/domain/scheduler", function () {
  let chain: ChainSetup;
  let dir: string;

  before(async function () {
    chain = await chainSetup();
    await arweaveWallet();
  });

  beforeEach(function () {
    dir = tempDir("holo-su-");
  });

  it("assigns consecutive slots with an unbroken hash chain, signed by the scheduler", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const process = chain.reg.process;
    for (let i = 0; i < 5; i++) {
      const r = await scheduler.accept(await message(process, `m${i}`));
      expect(r.slot).to.equal(i);
      expect(r.created).to.equal(true);
    }
    const list = allAssignments(scheduler, process);
    expect(list.map((a) => Number(a.slot))).to.deep.equal([0, 1, 2, 3, 4]);
    expect(findChainBreak(chain.reg.domain, list)).to.equal(-1);
    for (const a of list) {
      expect(recoverAssignmentSigner(chain.reg.domain, a, a.signature)).to.equal(chain.reg.scheduler.address);
      expect(await chain.reg.processes.assignmentSigner(a, a.signature)).to.equal(
        chain.reg.scheduler.address,
      );
      expect(await chain.reg.processes.assignmentHash(a)).to.equal(a.hash);
    }
    // a tampered chain is detected by the same check (the test can fail)
    const broken = list.map((a, i) => (i === 3 ? { ...a, prevAssignmentHash: list[1].hash } : a));
    expect(findChainBreak(chain.reg.domain, broken)).to.equal(3);
    store.close();
  });

  it("signs keccak of the canonical encoding of the data item", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const bytes = await message(chain.reg.process, new Uint8Array([1, 2, 3, 250]), [
      { name: "X", value: "y" },
    ]);
    const r = await scheduler.accept(bytes);
    const item = new DataItem(Buffer.from(bytes));
    const encoded = encodeMessage({
      id: new Uint8Array(Buffer.from(item.id, "base64url")),
      from: new Uint8Array(createHash("sha256").update(item.rawOwner).digest()),
      target: ethers.getBytes(chain.reg.process),
      slot: BigInt(r.slot),
      timestamp: BigInt(r.timestamp),
      blockHeight: r.assignment.blockHeight,
      tags: item.tags,
      data: new Uint8Array(item.rawData),
    });
    expect(r.assignment.messageHash).to.equal(ethers.keccak256(encoded));
    // the signed length is the canonical encoding's: the start step of a dispute needs no bytes
    expect(r.assignment.messageLength).to.equal(encoded.length);
    expect(recoverAssignmentSigner(scheduler.domain, r.assignment, r.assignment.signature)).to.equal(
      scheduler.address,
    );
    expect(r.assignment.messageId).to.equal(ethers.hexlify(Buffer.from(item.id, "base64url")));
    expect(r.id).to.equal(item.id);
    store.close();
  });

  it("uses the Ethereum address as the sender of an Ethereum-signed item", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const key = ethers.Wallet.createRandom();
    const signer = new EthereumSigner(key.privateKey);
    const item = createData("from an EOA", signer, {
      target: Buffer.from(ethers.getBytes(chain.reg.process)).toString("base64url"),
      tags: [
        { name: "Data-Protocol", value: "ao" },
        { name: "Type", value: "Message" },
      ],
    });
    await item.sign(signer);
    const r = await scheduler.accept(new Uint8Array(item.getRaw()));
    const encoded = encodeMessage({
      id: new Uint8Array(Buffer.from(item.id, "base64url")),
      from: ethers.getBytes(key.address),
      target: ethers.getBytes(chain.reg.process),
      slot: BigInt(r.slot),
      timestamp: BigInt(r.timestamp),
      blockHeight: r.assignment.blockHeight,
      tags: item.tags,
      data: new Uint8Array(item.rawData),
    });
    expect(r.assignment.messageHash).to.equal(ethers.keccak256(encoded));
    expect(r.assignment.messageLength).to.equal(encoded.length);
    store.close();
  });

  it("answers the same item twice with the same slot", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const bytes = await message(chain.reg.process, "once");
    const a = await scheduler.accept(bytes);
    await scheduler.accept(await message(chain.reg.process, "other"));
    const b = await scheduler.accept(bytes);
    expect(b.created).to.equal(false);
    expect(b.slot).to.equal(a.slot);
    expect(b.assignment.hash).to.equal(a.assignment.hash);
    expect(counts(store).assignments).to.equal(2);
    store.close();
  });

  it("assigns 50 concurrent posts without a gap or a duplicate", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const items = await Promise.all(
      Array.from({ length: 50 }, (_, i) => message(chain.reg.process, `c${i}`)),
    );
    // the same item twice among them, too
    const results = await Promise.all([...items, items[7]].map((b) => scheduler.accept(b)));
    const slots = results.slice(0, 50).map((r) => r.slot);
    expect([...slots].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(results[50].slot).to.equal(results[7].slot);
    const list = allAssignments(scheduler, chain.reg.process);
    expect(list).to.have.length(50);
    expect(findChainBreak(chain.reg.domain, list)).to.equal(-1);
    store.close();
  });

  it("group-commits concurrent accepts; a write that fails undoes only its own accept", async function () {
    const { scheduler, store, metrics } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const items = await Promise.all(
      Array.from({ length: 20 }, (_, i) => message(chain.reg.process, `g${i}`)),
    );
    // a trigger refuses the message of item 5 when it is written (as a full disk or a broken row would)
    const bad = (await verifyDataItem(items[5])).id;
    store.db.exec(
      `CREATE TRIGGER refuse_one BEFORE INSERT ON messages WHEN NEW.id = '${bad}'
       BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    const settled = await Promise.allSettled(items.map((b) => scheduler.accept(b)));
    const failed = settled.flatMap((r, i) => (r.status === "rejected" ? [i] : []));
    expect(failed).to.deep.equal([5]);
    expect(String((settled[5] as PromiseRejectedResult).reason)).to.match(/refused by the test/);
    const slots = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value.slot] : []));
    expect([...slots].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 19 }, (_, i) => i));
    const list = allAssignments(scheduler, chain.reg.process);
    expect(list).to.have.length(19);
    expect(findChainBreak(chain.reg.domain, list)).to.equal(-1);
    expect(scheduler.nextSlot(chain.reg.process)).to.equal(19);
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM messages WHERE id = ?").get(bad)).to.deep.equal({
      n: 0,
    });
    // fewer transactions than accepts: some were committed together (how many share one depends on timing)
    const text = await metrics.text();
    const commits = Number(/holo_su_commits_total (\d+)/.exec(text)![1]);
    expect(commits).to.be.within(1, 18);
    expect(Number(/holo_su_slots_assigned_total (\d+)/.exec(text)![1])).to.equal(19);
    // once the trigger is gone the refused message gets the next slot
    store.db.exec("DROP TRIGGER refuse_one");
    expect((await scheduler.accept(items[5])).slot).to.equal(19);
    store.close();
  });

  it("continues the chain after a restart on the same SQLite file", async function () {
    const file = path.join(dir, "su.sqlite");
    const first = await makeScheduler(chain, file);
    for (let i = 0; i < 3; i++) await first.scheduler.accept(await message(chain.reg.process, `r${i}`));
    const before = allAssignments(first.scheduler, chain.reg.process);
    first.store.close();

    // timestamps never go back, even with a clock that does
    const second = await makeScheduler(chain, file, { register: false, now: () => 1000 });
    expect(second.scheduler.knows(chain.reg.process)).to.equal(true);
    const r = await second.scheduler.accept(await message(chain.reg.process, "after restart"));
    expect(r.slot).to.equal(3);
    expect(r.assignment.prevAssignmentHash).to.equal(before[2].hash);
    expect(r.assignment.timestamp >= before[2].timestamp).to.equal(true);
    const all = allAssignments(second.scheduler, chain.reg.process);
    expect(findChainBreak(chain.reg.domain, all)).to.equal(-1);
    second.store.close();
  });

  it("test_store_migration4_earlierStoreOpens_rowsSignedWithoutLength_refusedAsLegacyAssignments", async function () {
    // A store at version 3 (before messageLength) migrates and is used as it is when it holds no assignment.
    const empty = path.join(dir, "v3.sqlite");
    openStore(empty, SCHEDULER_MIGRATIONS.slice(0, 3)).close();
    const migrated = await makeScheduler(chain, empty);
    expect(migrated.store.version).to.equal(4);
    const r = await migrated.scheduler.accept(await message(chain.reg.process, "after migration"));
    expect(r.assignment.messageLength).to.be.greaterThan(0);
    migrated.store.close();
    // Rows written before migration 4 have no message_length (signed under the earlier Assignment type).
    const raw = new Database(empty);
    raw.prepare("UPDATE assignments SET message_length = NULL").run();
    raw.close();
    try {
      await makeScheduler(chain, empty, { register: false });
      expect.fail("expected LegacyAssignments");
    } catch (error) {
      expect(error).to.be.instanceOf(SchedulerError);
      expect((error as SchedulerError).name).to.equal("LegacyAssignments");
      expect((error as Error).message).to.include("1 assignments signed without messageLength");
    }
  });

  it("refuses a store written under another key or registry", async function () {
    const file = path.join(dir, "su.sqlite");
    const first = await makeScheduler(chain, file);
    first.store.close();
    try {
      await makeScheduler(chain, file, { register: false, key: ethers.Wallet.createRandom().privateKey });
      expect.fail("expected a StoreIdentityError");
    } catch (error) {
      expect(error).to.be.instanceOf(StoreIdentityError);
      expect((error as Error).message).to.include(chain.reg.scheduler.address);
    }
    const same = await makeScheduler(chain, file, { register: false });
    expect(same.scheduler.knows(chain.reg.process)).to.equal(true);
    same.store.close();
  });

  it("registers a process from its Process item (slot 0) when spawned with the item's id", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"), { register: false });
    const owner = chain.reg.stranger;
    const item = await createSignedMessage(await arweaveWallet(), {
      type: "Process",
      tags: [
        { name: "Holo-Module", value: chain.reg.moduleId },
        { name: "Holo-Initial-State", value: INITIAL_STATE },
        { name: "Holo-Owner", value: owner.address },
      ],
    });
    const arweaveId = ethers.hexlify(Buffer.from(item.id, "base64url"));
    // not spawned yet: unknown
    await expectRefusal(scheduler.accept(new Uint8Array(item.getRaw())), "UnknownProcess");
    expect(counts(store)).to.deep.equal({ processes: 0, messages: 0, assignments: 0 });

    await chain.reg.processes
      .connect(owner)
      .spawn(chain.reg.moduleId, chain.reg.scheduler.address, INITIAL_STATE, arweaveId);
    const processId = await chain.reg.processes.computeProcessId(
      chain.reg.moduleId,
      chain.reg.scheduler.address,
      INITIAL_STATE,
      arweaveId,
      owner.address,
    );
    const r = await scheduler.accept(new Uint8Array(item.getRaw()));
    expect(r.process).to.equal(processId.toLowerCase());
    expect(r.slot).to.equal(0);
    const m = await scheduler.accept(await message(processId, "first message"));
    expect(m.slot).to.equal(1);
    expect(m.assignment.prevAssignmentHash).to.equal(r.assignment.hash);
    store.close();
  });

  it("holds a Process item not spawned yet (durably), refuses its messages, assigns slot 0 once spawned", async function () {
    const file = path.join(dir, "su.sqlite");
    let su = await makeScheduler(chain, file, { register: false });
    const owner = chain.reg.stranger;
    const item = await processItem(chain, owner.address);
    const { arweaveId, processId } = await pendingIds(chain, item.id, owner.address);
    const held = await su.scheduler.submit(new Uint8Array(item.getRaw()));
    expect(held).to.deep.include({
      pending: true,
      id: item.id,
      process: processId,
      arweaveId,
      moduleId: chain.reg.moduleId.toLowerCase(),
      initialState: INITIAL_STATE.toLowerCase(),
      owner: owner.address,
      scheduler: chain.reg.scheduler.address,
    });
    // idempotent: the same item again is the same pending spawn
    expect(await su.scheduler.submit(new Uint8Array(item.getRaw()))).to.deep.equal(held);
    expect(su.scheduler.pendingProcesses()).to.deep.equal([processId]);
    expect(counts(su.store)).to.deep.equal({ processes: 0, messages: 0, assignments: 0 });
    await expectRefusal(su.scheduler.accept(await message(processId, "early")), "ProcessPending");
    expect(() => su.scheduler.log(processId)).to.throw(SchedulerError, /not spawned on chain yet/);
    expect(await su.scheduler.activatePending()).to.deep.equal([]);

    // the pending item survives a restart
    su.store.close();
    su = await makeScheduler(chain, file, { register: false });
    expect(su.scheduler.pendingSpawn(processId)).to.deep.equal(held);

    await chain.reg.processes
      .connect(owner)
      .spawn(chain.reg.moduleId, chain.reg.scheduler.address, INITIAL_STATE, arweaveId);
    expect(await su.scheduler.activatePending()).to.deep.equal([processId]);
    expect(su.scheduler.pendingProcesses()).to.deep.equal([]);
    const log = su.scheduler.log(processId).entries;
    expect(log.map((e) => [Number(e.assignment.slot), e.message.id, e.message.type])).to.deep.equal([
      [0, item.id, "Process"],
    ]);
    const again = await su.scheduler.submit(new Uint8Array(item.getRaw()));
    expect(again).to.deep.include({ pending: false, slot: 0, created: false });
    const m = await su.scheduler.accept(await message(processId, "first"));
    expect(m.slot).to.equal(1);
    expect(m.assignment.prevAssignmentHash).to.equal(log[0].assignment.hash);
    su.store.close();
  });

  it("drops a Process item held longer than pendingTtl unspawned; posted again after its spawn it gets slot 0", async function () {
    let now = 1_000_000;
    const su = await makeScheduler(chain, path.join(dir, "su.sqlite"), {
      register: false,
      now: () => now,
      pendingTtlMs: 60_000,
    });
    const owner = chain.reg.stranger;
    const item = await processItem(chain, owner.address);
    const { arweaveId, processId } = await pendingIds(chain, item.id, owner.address);
    expect(await su.scheduler.submit(new Uint8Array(item.getRaw()))).to.deep.include({ pending: true });
    now += 60_000; // exactly the TTL: still held
    expect(await su.scheduler.activatePending()).to.deep.equal([]);
    expect(su.scheduler.pendingProcesses()).to.deep.equal([processId]);
    now += 1;
    expect(await su.scheduler.activatePending()).to.deep.equal([]);
    expect(su.scheduler.pendingProcesses()).to.deep.equal([]);
    expect(su.scheduler.pendingSpawn(processId)).to.equal(undefined);
    expect(counts(su.store)).to.deep.equal({ processes: 0, messages: 0, assignments: 0 });
    // spawned later: the same item posted again registers the process at slot 0
    await chain.reg.processes
      .connect(owner)
      .spawn(chain.reg.moduleId, chain.reg.scheduler.address, INITIAL_STATE, arweaveId);
    expect(await su.scheduler.submit(new Uint8Array(item.getRaw()))).to.deep.include({
      pending: false,
      slot: 0,
      created: true,
    });
    su.store.close();
  });

  it("assigns slot 0 to a pending Process item when a message to its spawned process arrives", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"), { register: false });
    const owner = chain.reg.stranger;
    const item = await processItem(chain, owner.address, [{ name: "Name", value: "on demand" }]);
    const held = await scheduler.submit(new Uint8Array(item.getRaw()));
    expect(held.pending).to.equal(true);
    await chain.reg.processes
      .connect(owner)
      .spawn(
        chain.reg.moduleId,
        chain.reg.scheduler.address,
        INITIAL_STATE,
        (held as PendingSpawn).arweaveId,
      );
    const m = await scheduler.accept(await message(held.process, "first"));
    expect(m.slot).to.equal(1);
    expect(scheduler.log(held.process).entries[0].message.id).to.equal(item.id);
    expect(scheduler.pendingProcesses()).to.deep.equal([]);
    store.close();
  });

  it("refuses Process items with bad Holo tags, and more pending items than maxPending; holds nothing", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"), {
      register: false,
      maxPending: 1,
    });
    const owner = chain.reg.stranger.address;
    for (const [name, value] of [
      ["Holo-Module", "0x1234"],
      ["Holo-Initial-State", "state"],
      ["Holo-Owner", "nobody"],
      ["Holo-Owner", ""], // missing
    ]) {
      const bad = await processItem(chain, owner, [{ name, value }]);
      const e = await expectRefusal(scheduler.submit(new Uint8Array(bad.getRaw())), "MalformedDataItem");
      expect(e.field).to.equal(`tags.${name}`);
      expect(e.status).to.equal(400);
    }
    expect(scheduler.pendingProcesses()).to.deep.equal([]);
    const first = await processItem(chain, owner, [{ name: "Name", value: "one" }]);
    expect((await scheduler.submit(new Uint8Array(first.getRaw()))).pending).to.equal(true);
    const second = await processItem(chain, owner, [{ name: "Name", value: "two" }]);
    const full = await expectRefusal(scheduler.submit(new Uint8Array(second.getRaw())), "TooManyPending");
    expect(full.status).to.equal(503);
    expect(scheduler.pendingProcesses()).to.have.lengthOf(1);
    store.close();
  });

  it("refuses bad input and stores nothing", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    const base = counts(store);
    const good = await message(chain.reg.process, "good");

    await expectRefusal(scheduler.accept(new Uint8Array([1, 2, 3])), "MalformedDataItem");
    await expectRefusal(scheduler.accept(new Uint8Array(4000).fill(9)), "MalformedDataItem");
    const badSig = new Uint8Array(good);
    badSig[10] ^= 1; // inside the signature
    await expectRefusal(scheduler.accept(badSig), "InvalidSignature");
    const unknown = ethers.id("no such process");
    await expectRefusal(scheduler.accept(await message(unknown, "x")), "UnknownProcess");
    const noTarget = await createSignedMessage(await arweaveWallet(), { data: "x" });
    await expectRefusal(scheduler.accept(new Uint8Array(noTarget.getRaw())), "WrongTarget");
    const big = await message(chain.reg.process, new Uint8Array(65_536));
    const e = await expectRefusal(scheduler.accept(big), "MessageTooLarge");
    expect(e.status).to.equal(413);
    expect(counts(store)).to.deep.equal(base);
    expect(scheduler.nextSlot(chain.reg.process)).to.equal(0);

    // the largest message that fits is accepted
    const fits = await message(chain.reg.process, new Uint8Array(65_536 - 1024));
    expect((await scheduler.accept(fits)).slot).to.equal(0);
    store.close();
  });

  it("refuses a process scheduled by another scheduler", async function () {
    const { store } = await makeScheduler(chain, path.join(dir, "su.sqlite"), { register: false });
    store.close();
    const other = await makeScheduler(chain, path.join(dir, "other.sqlite"), {
      register: false,
      key: ethers.Wallet.createRandom().privateKey,
    });
    await expectRefusal(other.scheduler.registerProcess(chain.reg.process), "WrongTarget");
    await expectRefusal(other.scheduler.registerProcess(ethers.id("nothing")), "UnknownProcess");
    expect(counts(other.store).processes).to.equal(0);
    other.store.close();
  });

  it("pages the log and refuses bad ranges", async function () {
    const { scheduler, store } = await makeScheduler(chain, path.join(dir, "su.sqlite"));
    for (let i = 0; i < 7; i++) await scheduler.accept(await message(chain.reg.process, `p${i}`));
    const p1 = scheduler.log(chain.reg.process, { from: 0, limit: 3 });
    expect(p1.entries.map((e) => Number(e.assignment.slot))).to.deep.equal([0, 1, 2]);
    expect(p1.hasNextPage).to.equal(true);
    const p3 = scheduler.log(chain.reg.process, { from: 6, limit: 3 });
    expect(p3.entries.map((e) => Number(e.assignment.slot))).to.deep.equal([6]);
    expect(p3.hasNextPage).to.equal(false);
    const mid = scheduler.log(chain.reg.process, { from: 2, to: 4 });
    expect(mid.entries.map((e) => Number(e.assignment.slot))).to.deep.equal([2, 3, 4]);
    expect(mid.hasNextPage).to.equal(false);
    expect(() => scheduler.log(chain.reg.process, { from: 5, to: 4 })).to.throw(SchedulerError, /after/);
    expect(() => scheduler.log(chain.reg.process, { limit: 0 })).to.throw(SchedulerError, /limit/);
    expect(() => scheduler.log(ethers.id("x"))).to.throw(SchedulerError, /not scheduled/);
    store.close();
  });
  it("refuses new slots of a process frozen on chain (ProcessFrozen), and only from the frozen slot", async function () {
    // A fresh deployment: the freeze is permanent.
    const own = await chainSetup();
    const { scheduler, store } = await makeScheduler(own, path.join(dir, "su.sqlite"), { freezeCheckMs: 0 });
    const process = own.reg.process;
    const first = await message(process, "before 0");
    await scheduler.accept(first);
    await scheduler.accept(await message(process, "before 1"));
    // The scheduler's key signs two different assignments for slot 2 (its key was misused): anyone proves it.
    const domain = assignmentDomain(own.chainId, own.registryAddress);
    const a = makeAssignment(process, 2n, "a");
    const b = makeAssignment(process, 2n, "b");
    const signer = new ethers.Wallet(own.key);
    await own.reg.processes
      .connect(own.reg.watcher)
      .proveEquivocation(
        a,
        await signAssignment(signer, domain, a),
        b,
        await signAssignment(signer, domain, b),
      );
    expect(await own.reg.processes.frozenFromSlot(process)).to.equal(2n);

    const before = counts(store);
    const error = await expectRefusal(scheduler.accept(await message(process, "after")), "ProcessFrozen");
    expect(error.status).to.equal(409);
    expect(error.message).to.contain("frozen on chain from slot 2");
    expect(counts(store)).to.deep.equal(before);
    // An item assigned before the freeze is still answered with its slot.
    const again = await scheduler.accept(first);
    expect([again.created, again.slot]).to.deep.equal([false, 0]);
    store.close();
  });
});
