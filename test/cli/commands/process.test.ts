import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { AbiCoder, hexlify, keccak256 } from "ethers";
import hre from "hardhat";

import { placeholderProcessArweaveId } from "../../../cli/commands/process";
import { devAccounts, type DevAccount } from "../../../cli/lib/accounts";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../../deploy";
import { Process } from "../../../machine/process";
import { processWasm } from "../../sdk/helpers";
import { holo, isolateChainEnv } from "../helpers";

describe("cli/commands/process (holo process)", function () {
  const env = isolateChainEnv();
  let tmp: string;
  let snapshot: string;
  let server: RunningJsonRpcServer;
  let devnet: DevnetDeployment;
  let accounts: DevAccount[];
  let connection: string[];
  let counterFile: string;
  let tokenFile: string;
  let moduleId: string;
  /** account 1 registers and owns; account 2 is the scheduler, account 3 an unstaked scheduler. */
  let owner: DevAccount;
  let scheduler: DevAccount;

  before(async function () {
    env.clear();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-process-"));
    counterFile = path.join(tmp, "counter.wasm");
    fs.writeFileSync(counterFile, processWasm("counter"));
    tokenFile = path.join(tmp, "token.wasm");
    fs.writeFileSync(tokenFile, processWasm("token"));
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    accounts = devAccounts(hre.config.networks.hardhat.accounts, 4);
    [, owner, scheduler] = accounts;
    devnet = await deployDevnet(hre, { fund: { accounts: accounts.map((a) => a.address) } });
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    const deployment = path.join(tmp, "devnet.json");
    fs.writeFileSync(
      deployment,
      JSON.stringify({ chainId: 31337, deployment: { contracts: devnet.addresses } }),
    );
    connection = ["--rpc", `http://127.0.0.1:${server.port}`, "--deployment", deployment];

    // The module, and the scheduler's stake, through the CLI.
    const registered = await holo(
      "module",
      "register",
      "--wasm",
      counterFile,
      "--memory-pages",
      "64",
      ...connection,
      "--key",
      owner.privateKey,
      "--json",
    );
    expect(registered.code, registered.stderr).to.equal(0);
    moduleId = registered.json().moduleId as string;
    const bonded = await holo("stake", "bond", "100", ...connection, "--key", scheduler.privateKey);
    expect(bonded.code, bonded.stderr).to.equal(0);
  });

  after(async function () {
    await server?.close();
    if (snapshot !== undefined)
      await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
    fs.rmSync(tmp, { recursive: true, force: true });
    env.restore();
  });

  it("spawns a process of the counter module with the initial state from --wasm, then reports it as spawned", async function () {
    const registry = devnet.contracts.processRegistry;
    const spawn = ["process", "spawn", "--module", moduleId, "--scheduler", scheduler.address.toLowerCase()];
    const { code, stderr, json } = await holo(
      ...spawn,
      "--wasm",
      counterFile,
      ...connection,
      "--key",
      owner.privateKey,
      "--json",
    );
    expect(code, stderr).to.equal(0);
    const spawned = json();

    const initialStateHash = hexlify(
      Process.fromWasm(processWasm("counter"), { memoryLimitPages: 64 }).processHash(),
    );
    const arweaveId = keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ["bytes32", "address", "bytes32"],
        [moduleId, scheduler.address, initialStateHash],
      ),
    );
    expect(placeholderProcessArweaveId(moduleId, scheduler.address, initialStateHash)).to.equal(arweaveId);
    const processId = await registry.computeProcessId(
      moduleId,
      scheduler.address,
      initialStateHash,
      arweaveId,
      owner.address,
    );
    expect(spawned).to.deep.include({
      event: "process",
      processId,
      spawned: true,
      moduleId,
      scheduler: scheduler.address,
      owner: owner.address,
      initialStateHash,
      arweaveId,
      processRegistry: devnet.addresses.processRegistry,
    });
    expect(spawned.tx).to.match(/^0x[0-9a-f]{64}$/);
    expect(await registry.processExists(processId)).to.equal(true);
    expect(await registry.initialStateOf(processId)).to.equal(initialStateHash);

    const again = await holo(...spawn, "--wasm", counterFile, ...connection, "--key", owner.privateKey);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include(
      `Process ${processId} already exists (spawned by ${owner.address}); nothing sent`,
    );
    expect(again.stderr).to.not.include("Sending");
  });

  it("spawns with a given initial state and Arweave id", async function () {
    const initialState = hre.ethers.id("some initial state");
    const arweaveId = hre.ethers.id("process data item");
    const { code, stderr, stdout } = await holo(
      "process",
      "spawn",
      "--module",
      moduleId,
      "--scheduler",
      scheduler.address,
      "--initial-state",
      initialState,
      "--arweave-id",
      arweaveId,
      ...connection,
      "--key",
      accounts[3].privateKey,
    );
    expect(code, stderr).to.equal(0);
    const processId = await devnet.contracts.processRegistry.computeProcessId(
      moduleId,
      scheduler.address,
      initialState,
      arweaveId,
      accounts[3].address,
    );
    expect(stdout).to.include(`Spawned process ${processId}\n`);
    expect(stdout).to.include(`  arweaveId     ${arweaveId}\n`);
    const p = await devnet.contracts.processRegistry.getProcess(processId);
    expect(p.owner).to.equal(accounts[3].address);
    expect(p.initialStateHash).to.equal(initialState);
  });

  describe("bad input", function () {
    it("refuses an unknown module, an unstaked scheduler, and the binary of another module (exit 1 or 2)", async function () {
      const key = ["--key", owner.privateKey, "--json"];
      const unknown = hre.ethers.id("no such module");
      const noModule = await holo(
        "process",
        "spawn",
        "--module",
        unknown,
        "--scheduler",
        scheduler.address,
        "--wasm",
        counterFile,
        ...connection,
        ...key,
      );
      expect(noModule.code).to.equal(1);
      expect(noModule.json().error).to.deep.equal({
        code: "E_NOT_FOUND",
        message: `module ${unknown} is not registered on the ProcessRegistry ${devnet.addresses.processRegistry}`,
      });

      const unstaked = accounts[3].address;
      const noStake = await holo(
        "process",
        "spawn",
        "--module",
        moduleId,
        "--scheduler",
        unstaked,
        "--wasm",
        counterFile,
        ...connection,
        ...key,
      );
      expect(noStake.code).to.equal(1);
      expect(noStake.json().error).to.deep.equal({
        code: "E_STATE",
        message:
          `the scheduler ${unstaked} has 0 HOLO-DEV bonded, less than the 100 HOLO-DEV the ProcessRegistry ` +
          "requires (minSchedulerStake); the scheduler bonds with: holo stake bond <amount>",
      });

      const other = await holo(
        "process",
        "spawn",
        "--module",
        moduleId,
        "--scheduler",
        scheduler.address,
        "--wasm",
        tokenFile,
        ...connection,
        ...key,
      );
      expect(other.code).to.equal(2);
      expect(other.json().error).to.deep.include({ code: "E_INPUT" });
      expect((other.json().error as { message: string }).message).to.include(
        `--wasm ${tokenFile} is not the binary of module ${moduleId}: its keccak256 is ${keccak256(processWasm("token"))}`,
      );
    });

    it("refuses missing or conflicting options and malformed ids and addresses (exit 2)", async function () {
      const key = ["--key", owner.privateKey];
      const base = ["process", "spawn", "--module", moduleId, "--scheduler", scheduler.address];
      const cases: [string[], string][] = [
        [
          ["process", "spawn", "--scheduler", scheduler.address, "--wasm", counterFile],
          "error: required option '--module <moduleId>' not specified",
        ],
        [
          ["process", "spawn", "--module", moduleId, "--wasm", counterFile],
          "error: required option '--scheduler <address>' not specified",
        ],
        [base, "error: the initial state is needed: give --wasm <file> or --initial-state <hex32>"],
        [
          [...base, "--wasm", counterFile, "--initial-state", hre.ethers.ZeroHash],
          "error: option '--wasm <file>' cannot be used with option '--initial-state <hex32>'",
        ],
        [
          ["process", "spawn", "--module", "0x12", "--scheduler", scheduler.address, "--wasm", counterFile],
          `"0x12" is not a 32-byte hex value`,
        ],
        [
          ["process", "spawn", "--module", moduleId, "--scheduler", "0xnope", "--wasm", counterFile],
          `error: option '--scheduler <address>' argument '0xnope' is invalid. "0xnope" is not an address`,
        ],
        [[...base, "--wasm", counterFile, "--surprise"], "error: unknown option '--surprise'"],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await holo(...args, ...connection, ...key);
        expect(code, args.join(" ")).to.equal(2);
        expect(stderr, args.join(" ")).to.include(message);
      }
    });
  });
});
