/** Helpers shared by the CLI and deployment tests: child processes, free ports, captured output. */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

import { expect } from "chai";

import { id, type Signer } from "ethers";

import { main } from "../../cli/main";
import type { DevnetDeployment } from "../../deploy";
import type { OutputStreams } from "../../cli/lib/output";

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The `holo` launcher. */
export const HOLO = path.join(REPO_ROOT, "bin", "holo.js");

/** Hardhat's command line (what `npx hardhat` runs). */
export const HARDHAT_CLI = path.join(REPO_ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");

/** The environment for a child process: ours, without the Hardhat settings of the test run. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ["HARDHAT_NETWORK", "HARDHAT_CONFIG"]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** What a finished child process left. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output as it comes. */
export function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Resolves when `child` exits; rejects (and kills it) after `timeoutMs`. */
export function exited(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Runs `node <args>` to completion (asynchronously: the test's own servers keep answering). */
export async function runNode(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Finished> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collect(child);
  const { code, signal } = await exited(child, options.timeoutMs ?? 60_000);
  return { code, signal, stdout: output.stdout(), stderr: output.stderr() };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Output streams that keep what is written, for in-process runs of the CLI. */
export function bufferStreams(): OutputStreams & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    out: () => out,
    err: () => err,
  };
}

/** The error `promise` rejects with; throws if it fulfils. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection, but the promise fulfilled");
}

/** Runs `holo <args>` in-process; `json()` parses stdout as the one JSON object of a `--json` run. */
export async function holo(...args: string[]) {
  const streams = bufferStreams();
  const code = await main(["node", "holo", ...args], streams);
  const stdout = streams.out();
  return {
    code,
    stdout,
    stderr: streams.err(),
    json: () => {
      const lines = stdout.trimEnd().split("\n");
      expect(lines, stdout).to.have.lengthOf(1);
      return JSON.parse(lines[0]) as Record<string, unknown> & { event: string };
    },
  };
}

/** The environment variables the chain commands read; the tests run without them. */
export const CHAIN_ENV = ["HOLO_PRIVATE_KEY", "HOLO_RPC_URL"] as const;

/** Saves and clears {@link CHAIN_ENV} (`clear`, in `before`), and puts it back (`restore`, in `after`). */
export function isolateChainEnv() {
  const saved: Partial<Record<(typeof CHAIN_ENV)[number], string>> = {};
  return {
    clear(): void {
      for (const name of CHAIN_ENV) {
        saved[name] = process.env[name];
        delete process.env[name];
      }
    },
    restore(): void {
      for (const name of CHAIN_ENV) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    },
  };
}

/**
 * Bonds 100 tokens for each of `operators` on a devnet deployment, registers a module with made-up
 * content and has `owner` spawn a process scheduled by `scheduler`; returns the process id.
 */
export async function bondAndSpawn(
  devnet: DevnetDeployment,
  operators: readonly Signer[],
  owner: Signer,
  scheduler: Signer,
): Promise<string> {
  const ONE = 10n ** 18n;
  const { stakeToken, stakeManager, processRegistry } = devnet.contracts;
  for (const s of operators) {
    await (await stakeToken.connect(s).approve(devnet.addresses.stakeManager, 100n * ONE)).wait();
    await (await stakeManager.connect(s).bond(100n * ONE)).wait();
  }
  const moduleArgs = [id("root"), id("wasm"), id("arweave"), 16, 1_000_000, 65_536] as const;
  await (await processRegistry.registerModule(...moduleArgs)).wait();
  const moduleId = await processRegistry.computeModuleId(...moduleArgs);
  const initial = id("initial state");
  const schedulerAddress = await scheduler.getAddress();
  await (await processRegistry.connect(owner).spawn(moduleId, schedulerAddress, initial, id("p"))).wait();
  return processRegistry.computeProcessId(
    moduleId,
    schedulerAddress,
    initial,
    id("p"),
    await owner.getAddress(),
  );
}
