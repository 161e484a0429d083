import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Contract, id, JsonRpcProvider } from "ethers";
import hre from "hardhat";

import { banner, type DevnetInfo } from "../../../cli/commands/devnet";
import { assertListenable } from "../../../cli/lib/net";
import { main } from "../../../cli/main";
import { parameterFileFor, readParameterFile } from "../../../deploy/parameters";
import { bufferStreams, childEnv, collect, exited, freePort, HOLO } from "../helpers";

/** Writes a parameter file: the devnet's (deploy/parameters/hardhat.json) with `changes`. */
function writeDevnetParameters(file: string, changes: Record<string, unknown>): void {
  const { Devnet } = readParameterFile(parameterFileFor("hardhat"));
  fs.writeFileSync(
    file,
    JSON.stringify({ Devnet: { ...Devnet, ...changes } }, (_key, value: unknown) =>
      typeof value === "bigint" ? `${value}n` : value,
    ),
  );
}

/** Runs `holo devnet <args>` in-process (for the cases that stop before serving). */
async function devnet(...args: string[]) {
  const streams = bufferStreams();
  const code = await main(["node", "holo", "devnet", ...args], streams);
  return { code, stdout: streams.out(), stderr: streams.err() };
}

/** Resolves with the first complete stdout line matching `test`; rejects if the process exits or after `timeoutMs`. */
function waitForLine(
  child: ChildProcess,
  test: (line: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(
      () => done(new Error(`no matching output within ${timeoutMs} ms:\n${buffer}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer | string): void => {
      buffer += chunk.toString();
      const line = buffer.split("\n").slice(0, -1).find(test);
      if (line !== undefined) done(undefined, line);
    };
    const onExit = (code: number | null): void =>
      done(new Error(`exited (${code}) before the expected output:\n${buffer}`));
    function done(error?: Error, line?: string): void {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (error !== undefined) reject(error);
      else resolve(line!);
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

const STAKE_MANAGER_ABI = [
  "function unbondingDelay() view returns (uint64)",
  "function challengeWindow() view returns (uint64)",
  "function stakeToken() view returns (address)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
];
const RESULT_REGISTRY_ABI = [
  "function stakeManager() view returns (address)",
  "function processRegistry() view returns (address)",
  "function commitmentStake() view returns (uint256)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
];
const DISPUTE_GAME_ABI = [
  "function stakeManager() view returns (address)",
  "function processRegistry() view returns (address)",
  "function resultRegistry() view returns (address)",
  "function oneStepProver() view returns (address)",
  "function degree() view returns (uint256)",
  "function clockTime() view returns (uint64)",
  "function clockExtension() view returns (uint64)",
  "function startGrace() view returns (uint64)",
  "function challengeBond() view returns (uint96)",
];
const ROLE = {
  LOCKER: id("LOCKER_ROLE"),
  SLASHER: id("SLASHER_ROLE"),
  DISPUTE_GAME: id("DISPUTE_GAME_ROLE"),
};
/** The contracts `devnet.json` lists, by key. */
const CONTRACT_KEYS = [
  "stakeToken",
  "stakeManager",
  "processRegistry",
  "resultRegistry",
  "disputeGame",
  "oneStepProofEntry",
  "oneStepProverControl",
  "oneStepProverMemory",
  "oneStepProverMath",
  "oneStepProverHostIo",
] as const;
const ERC20_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function symbol() view returns (string)",
];

describe("cli/commands/devnet (holo devnet)", function () {
  let tmp: string;

  beforeEach(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-devnet-"));
  });

  afterEach(function () {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("option checks", function () {
    it("refuses a port out of range, naming the option", async function () {
      const { code, stderr } = await devnet("--port", "70000");
      expect(code).to.equal(2);
      expect(stderr).to.include(
        "error: option '--port <port>' argument '70000' is invalid. port 70000 is out of range: 1 to 65535",
      );
    });

    it("refuses a port that is not a number", async function () {
      const { code, stderr } = await devnet("--port", "http");
      expect(code).to.equal(2);
      expect(stderr).to.include("error: option '--port <port>' argument 'http' is invalid.");
    });

    it("refuses a host that is neither an address nor a name", async function () {
      const { code, stderr } = await devnet("--host", "not a host");
      expect(code).to.equal(2);
      expect(stderr).to.include(
        `error: option '--host <host>' argument 'not a host' is invalid. "not a host" is neither an IP address nor a host name.`,
      );
    });

    it("refuses zero accounts, and more accounts than the Hardhat network has", async function () {
      const zero = await devnet("--accounts", "0");
      expect(zero.code).to.equal(2);
      expect(zero.stderr).to.include("error: option '--accounts <n>' argument '0' is invalid.");

      const count = (hre.config.networks.hardhat.accounts as { count: number }).count;
      const many = await devnet("--port", "0", "--accounts", String(count + 1));
      expect(many.code).to.equal(2);
      expect(many.stderr).to.equal(
        `error: --accounts ${count + 1} is more than the ${count} accounts of the Hardhat network ` +
          "(networks.hardhat.accounts in hardhat.config.ts)\n",
      );
    });

    it("names the port when it is already in use (exit 1), also as a JSON event", async function () {
      const holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
      const { port } = holder.address() as net.AddressInfo;
      try {
        const human = await devnet("--port", String(port));
        expect(human.code).to.equal(1);
        expect(human.stderr).to.equal(
          `error: port ${port} on 127.0.0.1 is already in use (another devnet or node?); ` +
            "stop it or choose another port with --port\n",
        );
        const json = await devnet("--port", String(port), "--json");
        expect(json.code).to.equal(1);
        expect(JSON.parse(json.stdout)).to.deep.include({ event: "error" });
        expect(JSON.parse(json.stdout).error.code).to.equal("E_PORT_IN_USE");
      } finally {
        holder.close();
      }
    });

    it("names the parameter file and the broken rule (exit 3)", async function () {
      const parameters = path.join(tmp, "short.json");
      writeDevnetParameters(parameters, { unbondingDelay: 100, gameClockTime: 300 });
      const { code, stderr } = await devnet(
        "--port",
        "0",
        "--parameters",
        parameters,
        "--deployment-dir",
        path.join(tmp, "journal"),
        "--out",
        path.join(tmp, "devnet.json"),
      );
      expect(code).to.equal(3);
      expect(stderr).to.equal(
        `error: ${parameters}: unbondingDelay 100 is below challengeWindow + maxGameDuration = 900\n` +
          `${parameters}: the longest dispute game, 2·gameClockTime + 2·17·gameClockExtension + gameStartGrace = ` +
          "2·300 + 2·17·5 + 10 = 780 seconds, exceeds maxGameDuration 600 " +
          "(17 = ⌈64 / log2(gameDegree 16)⌉ + 1 moves per side)\n",
      );
      expect(fs.existsSync(path.join(tmp, "devnet.json"))).to.equal(false);
    });

    it("refuses to reset a --deployment-dir that is not an Ignition journal", async function () {
      const precious = path.join(tmp, "precious");
      fs.mkdirSync(precious);
      fs.writeFileSync(path.join(precious, "notes.txt"), "keep me");
      const { code, stderr } = await devnet(
        "--port",
        "0",
        "--deployment-dir",
        precious,
        "--out",
        path.join(tmp, "d.json"),
      );
      expect(code).to.equal(2);
      expect(stderr).to.include(
        `error: refusing to reset ${precious}: it is not an Ignition deployment directory`,
      );
      expect(fs.readFileSync(path.join(precious, "notes.txt"), "utf8")).to.equal("keep me");
    });
    it("refuses to reset the journal of another chain (a real network's deployment record)", async function () {
      const record = path.join(tmp, "chain-11155111");
      fs.mkdirSync(record);
      const journal = '{"chainId":11155111,"type":"DEPLOYMENT_INITIALIZE"}\n';
      fs.writeFileSync(path.join(record, "journal.jsonl"), journal);
      const { code, stderr } = await devnet(
        "--port",
        "0",
        "--deployment-dir",
        record,
        "--out",
        path.join(tmp, "d.json"),
      );
      expect(code).to.equal(2);
      expect(stderr).to.include(
        `error: refusing to reset ${record}: it is the journal of a deployment on chain 11155111, not of a devnet (31337)`,
      );
      expect(fs.readFileSync(path.join(record, "journal.jsonl"), "utf8")).to.equal(journal);
    });
  });

  describe("the ready banner", function () {
    it("lists every contract's address and each parameter with its unit", function () {
      const address = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
      const contracts = Object.fromEntries(CONTRACT_KEYS.map((key, i) => [key, address(i + 1)])) as Record<
        (typeof CONTRACT_KEYS)[number],
        string
      >;
      const info: DevnetInfo = {
        version: 1,
        chainId: 31337,
        rpcUrl: "http://127.0.0.1:8545",
        wsUrl: "ws://127.0.0.1:8545",
        host: "127.0.0.1",
        port: 8545,
        pid: 1,
        startedAt: "2025-01-01T00:00:00.000Z",
        out: "/tmp/devnet.json",
        agents: null,
        deployment: {
          contracts,
          parameters: {
            admin: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            challengeWindow: "300",
            slashRewardBps: 5000,
            minSchedulerStake: "100000000000000000000",
            gameDegree: 16,
            gameClockTime: "120",
            gameClockExtension: "5",
            gameStartGrace: "10",
            gameChallengeBond: "10000000000000000000",
          },
          parametersFile: path.join(tmp, "hardhat.json"),
          deploymentDir: path.join(tmp, "journal"),
        },
        warning: "DEVNET ONLY",
        accounts: [],
      };
      const lines = banner(info).split("\n");
      const section = lines.slice(lines.indexOf("Contracts") + 1, lines.indexOf("Contracts") + 11);
      expect(section).to.deep.equal([
        `  StakeManager          ${contracts.stakeManager}`,
        `  ProcessRegistry       ${contracts.processRegistry}`,
        `  ResultRegistry        ${contracts.resultRegistry}`,
        `  DisputeGame           ${contracts.disputeGame}`,
        `  OneStepProofEntry     ${contracts.oneStepProofEntry}  (the one-step prover the game calls)`,
        `  OneStepProverControl  ${contracts.oneStepProverControl}`,
        `  OneStepProverMemory   ${contracts.oneStepProverMemory}`,
        `  OneStepProverMath     ${contracts.oneStepProverMath}`,
        `  OneStepProverHostIo   ${contracts.oneStepProverHostIo}`,
        `  DevnetStakeToken      ${contracts.stakeToken}  (HOLO-DEV, 18 decimals; faucet(amount) up to 10000 per call)`,
      ]);
      const parameters = lines.slice(lines.findIndex((l) => l.startsWith("Parameters (")) + 1);
      expect(parameters.slice(0, 9)).to.deep.equal([
        "  admin              0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "  challengeWindow    300 s (5 min)",
        "  slashRewardBps     5000 bps (50%)",
        "  minSchedulerStake  100000000000000000000 wei (100 HOLO-DEV)",
        "  gameDegree         16",
        "  gameClockTime      120 s (2 min)",
        "  gameClockExtension 5 s",
        "  gameStartGrace     10 s",
        "  gameChallengeBond  10000000000000000000 wei (10 HOLO-DEV)",
      ]);
    });
  });

  describe("end to end (node bin/holo.js devnet)", function () {
    let child: ChildProcess | undefined;

    afterEach(async function () {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited(child, 10_000);
      }
      child = undefined;
    });

    it("serves the deployed devnet, describes it in devnet.json, and exits 0 on SIGINT", async function () {
      const port = await freePort();
      const out = path.join(tmp, "nested", "devnet.json");
      child = spawn(
        process.execPath,
        [
          HOLO,
          "devnet",
          "--no-agents", // the chain and the contracts; the agents are tested in test/e2e/devnet.test.ts
          "--port",
          String(port),
          "--json",
          "--accounts",
          "3",
          "--out",
          out,
          "--deployment-dir",
          path.join(tmp, "journal"),
        ],
        { cwd: os.tmpdir(), env: childEnv(), stdio: ["ignore", "pipe", "pipe"] },
      );
      const output = collect(child);

      const readyLine = await waitForLine(child, (line) => line.includes('"event":"ready"'), 100_000);
      const ready = JSON.parse(readyLine) as DevnetInfo & { event: string };
      const { event: _event, ...info } = ready;
      expect(JSON.parse(fs.readFileSync(out, "utf8"))).to.deep.equal(info);
      expect(info.rpcUrl).to.equal(`http://127.0.0.1:${port}`);
      expect(info.chainId).to.equal(31337);
      expect(info.accounts).to.have.lengthOf(3);
      expect(info.accounts[0].address).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
      expect(info.accounts[0].privateKey).to.equal(
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      );
      expect(info.warning).to.match(/^DEVNET ONLY/);
      expect(info.deployment).to.not.equal(null);
      expect(info.agents).to.equal(null);

      const provider = new JsonRpcProvider(info.rpcUrl, undefined, { staticNetwork: true });
      try {
        expect(await provider.send("eth_chainId", [])).to.equal("0x7a69");
        const { stakeManager: stakeManagerAddress, stakeToken: stakeTokenAddress } =
          info.deployment!.contracts;
        const stakeManager = new Contract(stakeManagerAddress, STAKE_MANAGER_ABI, provider);
        expect(await stakeManager.unbondingDelay()).to.equal(900n);
        expect(await stakeManager.challengeWindow()).to.equal(300n);
        expect(await stakeManager.stakeToken()).to.equal(stakeTokenAddress);
        const token = new Contract(stakeTokenAddress, ERC20_ABI, provider);
        expect(await token.symbol()).to.equal("HOLO-DEV");

        // Every core contract is deployed and wired.
        const contracts = info.deployment!.contracts;
        expect(Object.keys(contracts).sort()).to.deep.equal([...CONTRACT_KEYS].sort());
        // A fresh chain: the same first addresses on every start (cli/README.md shows them).
        expect(contracts.stakeToken).to.equal("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        expect(contracts.stakeManager).to.equal("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
        for (const key of CONTRACT_KEYS) {
          const address = contracts[key as keyof typeof contracts];
          expect(await provider.getCode(address), key).to.not.equal("0x");
        }
        expect(await stakeManager.hasRole(ROLE.SLASHER, contracts.processRegistry)).to.equal(true);
        expect(await stakeManager.hasRole(ROLE.LOCKER, contracts.resultRegistry)).to.equal(true);
        expect(await stakeManager.hasRole(ROLE.LOCKER, contracts.disputeGame)).to.equal(true);
        expect(await stakeManager.hasRole(ROLE.SLASHER, contracts.disputeGame)).to.equal(true);
        const resultRegistry = new Contract(contracts.resultRegistry, RESULT_REGISTRY_ABI, provider);
        expect(await resultRegistry.hasRole(ROLE.DISPUTE_GAME, contracts.disputeGame)).to.equal(true);
        expect(await resultRegistry.stakeManager()).to.equal(contracts.stakeManager);
        expect(await resultRegistry.processRegistry()).to.equal(contracts.processRegistry);
        expect(await resultRegistry.commitmentStake()).to.equal(10n ** 19n);
        const game = new Contract(contracts.disputeGame, DISPUTE_GAME_ABI, provider);
        expect(await game.stakeManager()).to.equal(contracts.stakeManager);
        expect(await game.processRegistry()).to.equal(contracts.processRegistry);
        expect(await game.resultRegistry()).to.equal(contracts.resultRegistry);
        expect(await game.oneStepProver()).to.equal(contracts.oneStepProofEntry);
        expect(await game.degree()).to.equal(16n);
        expect(await game.clockTime()).to.equal(120n);
        expect(await game.clockExtension()).to.equal(5n);
        expect(await game.startGrace()).to.equal(10n);
        expect(await game.challengeBond()).to.equal(10n ** 19n);
        expect(info.deployment!.parameters).to.deep.include({
          minSchedulerStake: "100000000000000000000",
          commitmentStake: "10000000000000000000",
          gameDegree: 16,
          gameClockTime: "120",
          gameClockExtension: "5",
          gameStartGrace: "10",
          gameChallengeBond: "10000000000000000000",
        });
        for (const account of info.accounts) {
          expect(await token.balanceOf(account.address)).to.equal(BigInt(account.stakeTokenBalance!));
          expect(BigInt(account.stakeTokenBalance!)).to.equal(10n ** 24n);
        }
        expect(await token.balanceOf((await hre.ethers.getSigners())[3].address)).to.equal(0n); // only 3 funded
      } finally {
        provider.destroy();
      }

      child.kill("SIGINT");
      const { code, signal } = await exited(child, 30_000);
      expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
      const lines = output.stdout().trimEnd().split("\n");
      expect(JSON.parse(lines[lines.length - 1])).to.deep.equal({ event: "stopped", reason: "SIGINT" });
      expect(lines.every((line) => JSON.parse(line) !== undefined)).to.equal(true); // stdout is pure JSON lines
      expect(fs.existsSync(out)).to.equal(false);
      await assertListenable("127.0.0.1", port); // the server is gone
    });

    it("with --no-deploy, serves a bare node, prints the connection help, and exits 0 on SIGTERM", async function () {
      const port = await freePort();
      const out = path.join(tmp, "devnet.json");
      child = spawn(
        process.execPath,
        [HOLO, "devnet", "--no-deploy", "--port", String(port), "--accounts", "2", "--out", out],
        {
          cwd: os.tmpdir(),
          env: childEnv(),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      const output = collect(child);
      await waitForLine(child, (line) => line.startsWith("Press Ctrl+C to stop."), 60_000);

      const text = output.stdout();
      expect(text).to.include(`JSON-RPC  http://127.0.0.1:${port}`);
      expect(text).to.include("Chain id  31337");
      expect(text).to.include("Contracts: none (--no-deploy)");
      expect(text).to.include("DEVNET ONLY");
      expect(text).to.include(
        "private key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
      );
      expect(text).to.include(
        `HOLO_RPC_URL=http://127.0.0.1:${port} npx hardhat console --network localhost`,
      );
      expect(text).to.include(
        `MetaMask  Settings > Networks > Add a network manually: RPC URL http://127.0.0.1:${port}, chain id 31337`,
      );
      expect(output.stderr()).to.not.include("Compiling");
      const info = JSON.parse(fs.readFileSync(out, "utf8")) as DevnetInfo;
      expect(info.deployment).to.equal(null);
      expect(info.accounts.map((a) => a.stakeTokenBalance)).to.deep.equal([null, null]);

      const provider = new JsonRpcProvider(info.rpcUrl, undefined, { staticNetwork: true });
      try {
        expect(await provider.getCode("0x5FbDB2315678afecb367f032d93F642f64180aa3")).to.equal("0x");
      } finally {
        provider.destroy();
      }

      child.kill("SIGTERM");
      const { code, signal } = await exited(child, 30_000);
      expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
      expect(output.stdout()).to.match(/Devnet stopped\.\n$/);
      expect(fs.existsSync(out)).to.equal(false);
    });
  });
});
