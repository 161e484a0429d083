/** Shared set-up of the scheduler tests: a real ProcessRegistry on the Hardhat chain and the SU's keys. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { JWKInterface } from "@dha-team/arbundles";
import Arweave from "arweave";
import { HDNodeWallet } from "ethers";
import { ethers } from "hardhat";

import { createSignedMessage, type Tag } from "../../../agents/common/arweave";
import { createLogger } from "../../../agents/common/log";
import { createMetrics } from "../../../agents/common/metrics";
import { Scheduler, processTarget, registryDirectory } from "../../../agents/scheduler/domain/scheduler";
import { openSchedulerStore } from "../../../agents/scheduler/domain/store";
import { INITIAL_STATE, deployRegistries } from "../../helpers/registry";

export const silent = createLogger({ agent: "su-test", level: "silent" });

/** Hardhat's default accounts come from this mnemonic; index 2 is deployRegistries' scheduler. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export function accountKey(index: number): string {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
}

let jwk: JWKInterface | undefined;
export async function arweaveWallet(): Promise<JWKInterface> {
  jwk ??= (await Arweave.init({}).wallets.generate()) as JWKInterface;
  return jwk;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export type Registries = Awaited<ReturnType<typeof deployRegistries>>;

export async function chainSetup() {
  const reg = await deployRegistries();
  const key = accountKey(2);
  if (new ethers.Wallet(key).address !== reg.scheduler.address) {
    throw new Error("the scheduler's key does not match deployRegistries' scheduler account");
  }
  const { chainId } = await ethers.provider.getNetwork();
  return { reg, key, chainId, registryAddress: await reg.processes.getAddress() };
}

export type ChainSetup = Awaited<ReturnType<typeof chainSetup>>;

/** A Scheduler over the SQLite file `file` (process registered unless `register` is false). */
export async function makeScheduler(
  chain: ChainSetup,
  file: string,
  options: {
    register?: boolean;
    now?: () => number;
    key?: string;
    freezeCheckMs?: number;
    maxPending?: number;
    pendingTtlMs?: number;
  } = {},
) {
  const store = openSchedulerStore(file);
  const metrics = createMetrics({ agent: "su", defaultMetrics: false });
  let scheduler: Scheduler;
  try {
    scheduler = new Scheduler({
      store,
      privateKey: options.key ?? chain.key,
      chainId: chain.chainId,
      processRegistry: chain.registryAddress,
      directory: registryDirectory(chain.reg.processes),
      logger: silent,
      metrics,
      now: options.now,
      freezeCheckMs: options.freezeCheckMs,
      maxPending: options.maxPending,
      pendingTtlMs: options.pendingTtlMs,
    });
  } catch (error) {
    store.close();
    throw error;
  }
  if (options.register ?? true) await scheduler.registerProcess(chain.reg.process);
  return { store, scheduler, metrics };
}

/** The bytes of a signed AO message to `processId` (0x hex). */
export async function message(
  processId: string,
  data: string | Uint8Array,
  tags: Tag[] = [],
): Promise<Uint8Array> {
  const item = await createSignedMessage(await arweaveWallet(), {
    target: processTarget(processId),
    tags: [{ name: "Action", value: "Test" }, ...tags],
    data,
  });
  return new Uint8Array(item.getRaw());
}

/** A signed Process item spawning the registry's module owned by `owner` (tags overridable). */
export async function processItem(chain: ChainSetup, owner: string, tags: Tag[] = []) {
  const base: Tag[] = [
    { name: "Holo-Module", value: chain.reg.moduleId },
    { name: "Holo-Initial-State", value: INITIAL_STATE },
    { name: "Holo-Owner", value: owner },
  ];
  const names = new Set(tags.map((t) => t.name));
  return createSignedMessage(await arweaveWallet(), {
    type: "Process",
    tags: [...base.filter((t) => !names.has(t.name)), ...tags.filter((t) => t.value !== "")],
  });
}

/** Row counts of the scheduler's tables. */
export function counts(store: { db: { prepare(sql: string): { get(): unknown } } }) {
  const n = (t: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  return { processes: n("processes"), messages: n("messages"), assignments: n("assignments") };
}

/**
 * Spawns (as the stranger) one more process of the registry's module scheduled by the SU's account, with
 * `arweaveId` = `byte` repeated, so that a test's slots are counted apart from the fixture process's.
 */
export async function spawnAnotherProcess(chain: ChainSetup, byte: string): Promise<string> {
  const { processes, moduleId, stranger, scheduler } = chain.reg;
  const arweaveId = "0x" + byte.repeat(32);
  const initialState = "0x" + "cd".repeat(32);
  await processes.connect(stranger).spawn(moduleId, scheduler.address, initialState, arweaveId);
  return processes.computeProcessId(moduleId, scheduler.address, initialState, arweaveId, stranger.address);
}
