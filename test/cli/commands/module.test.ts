import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { hexlify, keccak256 } from "ethers";
import hre from "hardhat";

import { devAccounts, type DevAccount } from "../../../cli/lib/accounts";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import { deployDevnet, type DevnetDeployment } from "../../../deploy";
import { Process } from "../../../machine/process";
import { processWasm } from "../../sdk/helpers";
import { holo, isolateChainEnv } from "../helpers";

describe("cli/commands/module (holo module)", function () {
  const env = isolateChainEnv();
  let tmp: string;
  let snapshot: string;
  let server: RunningJsonRpcServer;
  let devnet: DevnetDeployment;
  let accounts: DevAccount[];
  let connection: string[];
  let counterFile: string;
  let counter: Uint8Array;

  before(async function () {
    env.clear();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-module-"));
    counter = processWasm("counter"); // builds build/processes/counter.wasm if needed
    counterFile = path.join(tmp, "counter.wasm");
    fs.writeFileSync(counterFile, counter);
    snapshot = (await hre.network.provider.request({ method: "evm_snapshot" })) as string;
    accounts = devAccounts(hre.config.networks.hardhat.accounts, 3);
    devnet = await deployDevnet(hre, { fund: { accounts: accounts.map((a) => a.address) } });
    server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    const deployment = path.join(tmp, "devnet.json");
    fs.writeFileSync(
      deployment,
      JSON.stringify({ chainId: 31337, deployment: { contracts: devnet.addresses } }),
    );
    connection = ["--rpc", `http://127.0.0.1:${server.port}`, "--deployment", deployment];
  });

  after(async function () {
    await server?.close();
    if (snapshot !== undefined)
      await hre.network.provider.request({ method: "evm_revert", params: [snapshot] });
    fs.rmSync(tmp, { recursive: true, force: true });
    env.restore();
  });

  it("registers the counter module with the machine's module root, then reports it as registered", async function () {
    const registry = devnet.contracts.processRegistry;
    const key = ["--key", accounts[1].privateKey];
    const first = await holo("module", "register", "--wasm", counterFile, ...connection, ...key, "--json");
    expect(first.code, first.stderr).to.equal(0);
    const registered = first.json();

    const moduleRoot = hexlify(Process.fromWasm(counter, { memoryLimitPages: 65_536 }).moduleRoot);
    const wasmHash = keccak256(counter);
    const moduleId = await registry.computeModuleId(
      moduleRoot,
      wasmHash,
      wasmHash,
      65_536,
      10_000_000,
      65_536,
    );
    const manifest = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "..", "build", "processes", "manifest.json"), "utf8"),
    ) as Record<string, { moduleRoot: string }>;
    expect(moduleRoot).to.equal(manifest.counter.moduleRoot); // the default limit: the machine's maximum
    expect(registered).to.deep.include({
      event: "module",
      moduleId,
      registered: true,
      moduleRoot,
      wasmHash,
      arweaveId: wasmHash, // the default: the file's keccak256
      memoryPages: 65_536,
      stepLimit: 10_000_000,
      maxMessageBytes: 65_536,
      registrant: accounts[1].address,
      file: counterFile,
      processRegistry: devnet.addresses.processRegistry,
    });
    expect(registered.tx).to.match(/^0x[0-9a-f]{64}$/);
    expect(first.stderr).to.include("waiting for 1 confirmation…");
    const onChain = await registry.getModule(moduleId);
    expect(onChain.moduleRoot).to.equal(moduleRoot);
    expect(onChain.registrant).to.equal(accounts[1].address);
    expect(registered.registeredAt).to.equal(Number(onChain.registeredAt));

    // Idempotent: the same content, from another account, sends nothing and names the first registrant.
    const blocks = await hre.ethers.provider.getBlockNumber();
    const again = await holo(
      "module",
      "register",
      "--wasm",
      counterFile,
      ...connection,
      "--key",
      accounts[2].privateKey,
    );
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include(
      `Module ${moduleId} is already registered (by ${accounts[1].address}); nothing sent`,
    );
    expect(again.stdout).to.include(`  moduleRoot       ${moduleRoot}\n`);
    expect(again.stderr).to.not.include("Sending");
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blocks);
  });

  it("registers with the given Arweave id and limits (another module id)", async function () {
    const arweaveId = hre.ethers.id("counter module data item");
    const { code, stderr, json } = await holo(
      "module",
      "register",
      "--wasm",
      counterFile,
      "--arweave-id",
      arweaveId.toUpperCase().replace("0X", "0x"),
      "--memory-pages",
      "64",
      "--step-limit",
      "1000000",
      "--max-message-bytes",
      "4096",
      ...connection,
      "--key",
      accounts[1].privateKey,
      "--json",
    );
    expect(code, stderr).to.equal(0);
    const result = json();
    const moduleRoot = hexlify(Process.fromWasm(counter, { memoryLimitPages: 64 }).moduleRoot);
    expect(result).to.deep.include({
      registered: true,
      moduleRoot,
      arweaveId,
      memoryPages: 64,
      stepLimit: 1_000_000,
      maxMessageBytes: 4096,
    });
    expect(result.moduleId).to.equal(
      await devnet.contracts.processRegistry.computeModuleId(
        moduleRoot,
        keccak256(counter),
        arweaveId,
        64,
        1_000_000,
        4096,
      ),
    );
  });

  describe("bad input", function () {
    it("refuses a missing --wasm, unknown options and values out of range (exit 2)", async function () {
      const key = ["--key", accounts[1].privateKey];
      const missing = await holo("module", "register", ...connection, ...key);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.include("error: required option '--wasm <file>' not specified");

      const cases: [string[], string][] = [
        [["--bogus"], "error: unknown option '--bogus'"],
        [
          ["--memory-pages", "0"],
          "error: option '--memory-pages <n>' argument '0' is invalid. the memory limit in pages must be a whole number from 1 to 65536.",
        ],
        [["--memory-pages", "65537"], "argument '65537' is invalid"],
        [["--step-limit", "4294967296"], "the step limit must be a whole number from 1 to 4294967295."],
        [["--max-message-bytes", "-5"], "error: option '--max-message-bytes <n>' argument '-5' is invalid."],
        [["--arweave-id", "0x1234"], `"0x1234" is not a 32-byte hex value (0x followed by 64 hex digits).`],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await holo(
          "module",
          "register",
          "--wasm",
          counterFile,
          ...args,
          ...connection,
          ...key,
        );
        expect(code, args.join(" ")).to.equal(2);
        expect(stderr, args.join(" ")).to.include(message);
      }
    });

    it("refuses a step limit above the ProcessRegistry's maxStepLimit before sending (exit 1, E_STATE)", async function () {
      const registry = devnet.contracts.processRegistry;
      expect(await registry.maxStepLimit()).to.equal(25_000_000n); // the devnet's 5 s clock extension
      const args = [
        "module",
        "register",
        "--wasm",
        counterFile,
        ...connection,
        "--key",
        accounts[1].privateKey,
      ];
      const nonce = await hre.ethers.provider.getTransactionCount(accounts[1].address);
      const above = await holo(...args, "--step-limit", "25000001", "--json");
      expect(above.code, above.stderr).to.equal(1);
      expect(above.json().error).to.deep.equal({
        code: "E_STATE",
        message:
          "the step limit 25000001 is above the ProcessRegistry's maxStepLimit 25000000 (the most its dispute " +
          "games can re-execute in time); register with --step-limit 25000000 or less",
      });
      expect(await hre.ethers.provider.getTransactionCount(accounts[1].address)).to.equal(nonce);
      const at = await holo(...args, "--step-limit", "25000000", "--json");
      expect(at.code, at.stderr).to.equal(0);
      expect(at.json()).to.deep.include({ registered: true, stepLimit: 25_000_000 });
    });

    it("names a --wasm file that is missing or not a process module (exit 2, E_INPUT)", async function () {
      const key = ["--key", accounts[1].privateKey];
      const missingFile = path.join(tmp, "missing.wasm");
      const missing = await holo(
        "module",
        "register",
        "--wasm",
        missingFile,
        ...connection,
        ...key,
        "--json",
      );
      expect(missing.code).to.equal(2);
      expect(missing.json().error).to.deep.equal({
        code: "E_INPUT",
        message: `cannot read --wasm ${missingFile}: no such file`,
      });

      const text = path.join(tmp, "not.wasm");
      fs.writeFileSync(text, "not a module");
      const notWasm = await holo("module", "register", "--wasm", text, ...connection, ...key);
      expect(notWasm.code).to.equal(2);
      expect(notWasm.stderr).to.match(
        new RegExp(
          `^error: --wasm ${text} is not a process module the machine accepts \\(memory limit 65536 pages\\): .+\\n$`,
        ),
      );
    });

    it("needs a key (exit 3) and a deployment with a ProcessRegistry (exit 3)", async function () {
      const noKey = await holo("module", "register", "--wasm", counterFile, ...connection);
      expect(noKey.code).to.equal(3);
      expect(noKey.stderr).to.include("error: this command signs transactions, but no private key was given");

      const partial = path.join(tmp, "partial.json");
      fs.writeFileSync(partial, JSON.stringify({ stakeManager: devnet.addresses.stakeManager }));
      const noRegistry = await holo(
        "module",
        "register",
        "--wasm",
        counterFile,
        "--rpc",
        connection[1],
        "--deployment",
        partial,
        "--key",
        accounts[1].privateKey,
      );
      expect(noRegistry.code).to.equal(3);
      expect(noRegistry.stderr).to.equal(
        `error: deployment file ${partial} has no address for the ProcessRegistry (processRegistry)\n`,
      );
    });
  });
});
