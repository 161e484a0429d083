/**
 * A Holoproof stack inside the test run: the devnet contracts on Hardhat's chain served over JSON-RPC,
 * ArLocal with a funded Arweave wallet, a bonded scheduler unit, and on demand a compute unit following a
 * process. Shared by the aoconnect and the `holo message` / `holo module publish` tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import type { JWKInterface } from "@dha-team/arbundles";
import Arweave from "arweave";
import hre from "hardhat";

import { ArweaveClient, WalletFunding } from "../../agents/common/arweave";
import { loadConfig } from "../../agents/common/config";
import { createLogger } from "../../agents/common/log";
import { ComputeSettings } from "../../agents/compute/config";
import { startCompute, type RunningCompute } from "../../agents/compute/main";
import { SchedulerSettings } from "../../agents/scheduler/config";
import { startScheduler, type RunningScheduler } from "../../agents/scheduler/main";
import { startArLocal, type RunningArLocal } from "../../cli/devnet/arlocal";
import { TOKEN_WASM } from "../../cli/devnet/system";
import { devAccounts, type DevAccount } from "../../cli/lib/accounts";
import { arweaveIdHex, postToScheduler, signAoItem } from "../../cli/lib/ao";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../deploy";
import { processWasm } from "../sdk/helpers";

export const silent = createLogger({ agent: "e2e-test", level: "silent" });

export interface Stack {
  tmp: string;
  devnet: DevnetDeployment;
  accounts: DevAccount[];
  rpcUrl: string;
  /** `--rpc … --deployment …` for the CLI. */
  connection: string[];
  arlocal: RunningArLocal;
  jwk: JWKInterface;
  walletFile: string;
  arweaveAddress: string;
  su: RunningScheduler;
  /** The SU's EVM account (#2). */
  scheduler: DevAccount;
  /** The CU's EVM account (#3). */
  computeAccount: DevAccount;
  stop(): Promise<void>;
}

/** Starts the stack (the token module is built if needed). Call `stop()` in `after`. */
export async function startStack(prefix: string): Promise<Stack> {
  processWasm("token"); // builds build/processes/token.wasm if needed
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const stops: (() => Promise<unknown> | unknown)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    stops.push(() => hre.network.provider.request({ method: "evm_revert", params: [snapshot] }));
    const accounts = devAccounts(hre.config.networks.hardhat.accounts, 6);
    const devnet = await deployDevnet(hre, { fund: { accounts: accounts.map((a) => a.address) } });
    const server: RunningJsonRpcServer = await startJsonRpcServer(hre, "127.0.0.1", 0);
    stops.push(() => server.close());
    const rpcUrl = `http://127.0.0.1:${server.port}`;
    const deploymentFile = path.join(tmp, "deployment.json");
    fs.writeFileSync(
      deploymentFile,
      JSON.stringify({ chainId: 31337, deployment: { contracts: devnet.addresses } }),
    );

    const arlocal = await startArLocal(0, path.join(tmp, "arlocal"));
    stops.push(() => arlocal.stop());
    const jwk = (await Arweave.init({}).wallets.generate()) as JWKInterface;
    const walletFile = path.join(tmp, "wallet.json");
    fs.writeFileSync(walletFile, JSON.stringify(jwk));
    const client = new ArweaveClient({ url: arlocal.url, wallet: jwk, local: true, logger: silent });
    const arweaveAddress = await new WalletFunding(client).fund(jwk, 10n ** 15n);

    const [scheduler, computeAccount] = [accounts[2], accounts[3]];
    const { stakeToken, stakeManager, processRegistry } = devnet.contracts;
    for (const [account, amount] of [
      [scheduler, await processRegistry.minSchedulerStake()],
      [computeAccount, 100n * 10n ** 18n],
    ] as const) {
      const signer = await hre.ethers.getSigner(account.address);
      await (await stakeToken.connect(signer).approve(devnet.addresses.stakeManager, amount)).wait();
      await (await stakeManager.connect(signer).bond(amount)).wait();
    }
    const su = await startScheduler(
      loadConfig(SchedulerSettings, {
        env: {},
        flags: {
          rpcUrl,
          privateKey: scheduler.privateKey,
          processRegistry: devnet.addresses.processRegistry,
          chainId: "31337",
          arweaveUrl: arlocal.url,
          arweaveWallet: walletFile,
          storePath: path.join(tmp, "su.sqlite"),
          port: "0",
          publishEvery: "200ms",
        },
      }),
      silent,
    );
    stops.push(() => su.stop());
    return {
      tmp,
      devnet,
      accounts,
      rpcUrl,
      connection: ["--rpc", rpcUrl, "--deployment", deploymentFile],
      arlocal,
      jwk,
      walletFile,
      arweaveAddress,
      su,
      scheduler,
      computeAccount,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The tags of a Process item that spawns a token process of `moduleId` owned by `owner`. */
export async function processTags(moduleId: string, moduleItemId: string, owner: string) {
  const { loadModule } = await import("../../cli/commands/module");
  const loaded = await loadModule(TOKEN_WASM, 65_536);
  return {
    initialStateHash: loaded.initialStateHash,
    tags: [
      { name: "Holo-Module", value: moduleId },
      { name: "Holo-Initial-State", value: loaded.initialStateHash },
      { name: "Holo-Owner", value: owner },
      { name: "Name", value: "test-token" },
      { name: "Module-Item", value: moduleItemId },
    ],
  };
}

/** Spawns a token process on chain (owner: account #0) and at the SU; its 0x id. */
export async function spawnToken(stack: Stack, moduleId: string, moduleItemId: string): Promise<string> {
  const owner = stack.accounts[0];
  const { tags, initialStateHash } = await processTags(moduleId, moduleItemId, owner.address);
  const item = await signAoItem(stack.jwk, { type: "Process", tags, data: "" });
  const args = [moduleId, stack.scheduler.address, initialStateHash, arweaveIdHex(item.id)] as const;
  const registry = stack.devnet.contracts.processRegistry.connect(await hre.ethers.getSigner(owner.address));
  await (await registry.spawn(...args)).wait();
  const id = (await registry.computeProcessId(...args, owner.address)).toLowerCase();
  const r = await postToScheduler(stack.su.url, new Uint8Array(item.getRaw()));
  if (r.process.toLowerCase() !== id) throw new Error(`the SU registered ${r.process}, not ${id}`);
  return id;
}

/** Starts a CU following `processId` (token module) with account #3; stopped with the stack. */
export async function startCu(stack: Stack, processId: string, name = "cu"): Promise<RunningCompute> {
  const cu = await startCompute(
    loadConfig(ComputeSettings, {
      env: {},
      flags: {
        rpcUrl: stack.rpcUrl,
        privateKey: stack.computeAccount.privateKey,
        resultRegistry: stack.devnet.addresses.resultRegistry,
        processRegistry: stack.devnet.addresses.processRegistry,
        suUrl: stack.su.url,
        storePath: path.join(stack.tmp, `${name}.sqlite`),
        port: "0",
        processes: JSON.stringify([{ id: processId, wasm: TOKEN_WASM }]),
        pollMs: "200ms",
      },
    }),
    silent,
  );
  return cu;
}

/** Polls `test` every 100 ms until it holds; throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  test: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await test();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
