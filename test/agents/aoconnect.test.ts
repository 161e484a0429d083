/**
 * AO compatibility with the real @permaweb/aoconnect (0.0.98, legacy mode):
 * `connect({ MU_URL: <our SU>, CU_URL: <our CU>, GATEWAY_URL: <ArLocal> })` with `createDataItemSigner(jwk)`
 * spawns, messages, and reads `result`, `results` and `dryrun` of a Holoproof token process.
 *
 * What works as is, and what needs the agents to change, is asserted both ways, so that this file says
 * exactly where the SU and the CU differ from what aoconnect expects ("GAP" tests pin today's behaviour;
 * when an agent closes a gap its GAP test fails and is to be turned into a plain compatibility test):
 *
 * - spawn: aoconnect signs and posts the Process item in one call, so the item's id (which must be the
 *   on-chain `arweaveId`) is unknown until it is posted; our SU refuses a Process item not yet spawned on
 *   chain. Here an MU-shaped relay (what a Holoproof MU, or the SU itself, would do) spawns it on chain
 *   with the item's id, forwards it to the SU and answers `processId` (aoconnect returns `res.processId`
 *   when the MU gives one, else the item's id, which is not the process id here);
 * - result / results / dry-run take the process id in the form aoconnect is given: 0x hex works with the
 *   CU, the base64url target form (what `message` needs as a target) is refused by the CU; and the CU
 *   finds a message's result by its 0x id only, not by the base64url id `message` returns;
 * - a result's `Messages` are the machine's encoded message items (`{Data: 0x…}`), not AO's
 *   `{Target, Anchor, Tags, Data}` objects;
 * - dryrun posts JSON (`{Id, Target, Owner, Anchor, Data, Tags}`), our CU takes a canonical message as
 *   application/octet-stream.
 */
import http from "node:http";

import { expect } from "chai";
import hre from "hardhat";

import { verifyDataItem } from "../../agents/common/arweave";
import type { RunningCompute } from "../../agents/compute/main";
import { TOKEN_WASM } from "../../cli/devnet/system";
import { arweaveIdHex } from "../../cli/lib/ao";
import { eventually, processTags, startCu, startStack, type Stack } from "../e2e/stack";
import { holo, isolateChainEnv } from "../cli/helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const aoconnect = require("@permaweb/aoconnect") as {
  connect(options: Record<string, string>): {
    spawn(a: Record<string, unknown>): Promise<string>;
    message(a: Record<string, unknown>): Promise<string>;
    result(a: Record<string, unknown>): Promise<Record<string, unknown>>;
    results(
      a: Record<string, unknown>,
    ): Promise<{ edges: { cursor: string; node: Record<string, unknown> }[] }>;
    dryrun(a: Record<string, unknown>): Promise<Record<string, unknown>>;
  };
  createDataItemSigner(jwk: unknown): unknown;
};

const toTarget = (hex: string) => Buffer.from(hex.slice(2), "hex").toString("base64url");

describe("AO compatibility: @permaweb/aoconnect against the Holoproof SU and CU", function () {
  const env = isolateChainEnv();
  let stack: Stack;
  let relay: http.Server;
  let relayUrl: string;
  let moduleId: string;
  let moduleItemId: string;
  let cu: RunningCompute | undefined;
  let processHex: string;
  let processTarget: string;
  let messageId: string;

  /**
   * An MU in front of our SU: spawns a Process item on chain (owner account #0, the item's id as
   * arweaveId) before forwarding it, and answers `processId` (the base64url target form).
   */
  async function startRelay(): Promise<void> {
    relay = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          const raw = new Uint8Array(Buffer.concat(chunks));
          let extra: Record<string, string> = {};
          try {
            const item = await verifyDataItem(raw);
            const tag = (name: string) => item.tags.find((t) => t.name === name)?.value ?? "";
            if (tag("Type") === "Process") {
              const owner = await hre.ethers.getSigner(tag("Holo-Owner"));
              const args = [
                tag("Holo-Module"),
                stack.scheduler.address,
                tag("Holo-Initial-State"),
                arweaveIdHex(item.id),
              ] as const;
              const registry = stack.devnet.contracts.processRegistry.connect(owner);
              await (await registry.spawn(...args)).wait();
              extra = { processId: toTarget(await registry.computeProcessId(...args, owner.address)) };
            }
          } catch {
            // not a data item: the SU says why
          }
          const r = await fetch(stack.su.url, {
            method: "POST",
            headers: { "content-type": "application/octet-stream" },
            body: raw,
          });
          const body = (await r.json()) as Record<string, unknown>;
          res.writeHead(r.status, { "content-type": "application/json" });
          res.end(JSON.stringify({ ...body, ...(r.ok ? extra : {}) }));
        })();
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
  }

  before(async function () {
    env.clear();
    stack = await startStack("holo-aoconnect-");
    const published = await holo(
      "module",
      "publish",
      TOKEN_WASM,
      "--gateway",
      stack.arlocal.url,
      "--wallet",
      stack.walletFile,
      ...stack.connection,
      "--key",
      stack.accounts[0].privateKey,
      "--json",
    );
    expect(published.code, published.stderr).to.equal(0);
    ({ moduleId, arweaveItemId: moduleItemId } = published.json() as unknown as {
      moduleId: string;
      arweaveItemId: string;
    });
    await startRelay();
  });

  after(async function () {
    await cu?.stop();
    relay?.close();
    await stack?.stop();
    env.restore();
  });

  const ao = (mu: string) =>
    aoconnect.connect({
      MU_URL: mu,
      CU_URL: cu?.url ?? "http://127.0.0.1:1",
      GATEWAY_URL: stack.arlocal.url,
    });
  const signer = () => aoconnect.createDataItemSigner(stack.jwk);
  const spawnArgs = async () => ({
    module: moduleItemId,
    scheduler: stack.arweaveAddress,
    signer: signer(),
    tags: (await processTags(moduleId, moduleItemId, stack.accounts[0].address)).tags,
  });

  it("GAP spawn straight to the SU: aoconnect accepts the published module, the SU refuses the unspawned process", async function () {
    let error: Error | undefined;
    try {
      await ao(stack.su.url).spawn(await spawnArgs());
    } catch (e) {
      error = e as Error;
    }
    expect(error, "spawn should have been refused").to.not.equal(undefined);
    // aoconnect's module check (GraphQL: Data-Protocol, Type Module, Module-Format, Input/Output-Encoding)
    // passed: the failure is the SU's answer.
    expect(error!.message).to.not.match(/Tag '/);
    expect(error!.message)
      .to.match(/404/)
      .and.to.match(/UnknownProcess/);
  });

  it("spawn: through an MU that spawns on chain first, aoconnect returns the process id (AO target form)", async function () {
    const id = await ao(relayUrl).spawn(await spawnArgs());
    expect(id).to.match(/^[A-Za-z0-9_-]{43}$/);
    processTarget = id;
    processHex = `0x${Buffer.from(id, "base64url").toString("hex")}`;
    const registry = stack.devnet.contracts.processRegistry;
    expect(await registry.processExists(processHex)).to.equal(true);
    expect((await registry.getProcess(processHex)).scheduler).to.equal(stack.scheduler.address);
    const log = (await (await fetch(`${stack.su.url}/${processHex}`)).json()) as {
      edges: { node: { assignment: { slot: number } } }[];
    };
    expect(log.edges.map((e) => e.node.assignment.slot)).to.deep.equal([0]);
    cu = await startCu(stack, processHex);
  });

  it("message: aoconnect posts a signed message to the SU (MU_URL) with the process as target", async function () {
    messageId = await ao(stack.su.url).message({
      process: processTarget,
      signer: signer(),
      tags: [{ name: "Action", value: "Balance" }],
      data: "",
    });
    expect(messageId).to.match(/^[A-Za-z0-9_-]{43}$/);
    const entry = (await (await fetch(`${stack.su.url}/${messageId}?process-id=${processHex}`)).json()) as {
      assignment: { slot: number; process: string };
    };
    expect(entry.assignment).to.deep.include({ slot: 1, process: processHex });
  });

  it("result: the CU's result of the message, read by aoconnect with the 0x process and message ids", async function () {
    const r = await eventually("the CU's result", async () => {
      const x = await ao(stack.su.url).result({ process: processHex, message: arweaveIdHex(messageId) });
      return x.error === undefined ? x : undefined;
    });
    expect(r.Slot).to.equal(1);
    expect(r.Error).to.equal(undefined);
    expect(r.Messages).to.be.an("array").with.lengthOf(1); // the Balance reply
    expect(r.ResultHash).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("GAP result with the ids aoconnect returns (base64url): the CU refuses the process id, does not find the message", async function () {
    const byTarget = await ao(stack.su.url).result({
      process: processTarget,
      message: arweaveIdHex(messageId),
    });
    expect(byTarget).to.deep.include({ error: "ValidationError" });
    const byItemId = await ao(stack.su.url).result({ process: processHex, message: messageId });
    expect(byItemId).to.deep.include({ error: "UnknownMessage" });
  });

  it("GAP result messages: the CU gives each outgoing message as encoded bytes, AO as {Target, Tags, Data}", async function () {
    const r = await ao(stack.su.url).result({ process: processHex, message: arweaveIdHex(messageId) });
    const [reply] = r.Messages as Record<string, unknown>[];
    expect(Object.keys(reply)).to.deep.equal(["Data"]);
    expect(reply.Data).to.match(/^0x[0-9a-f]+$/);
  });

  it("results: aoconnect pages the CU's results of the process in slot order", async function () {
    const r = await ao(stack.su.url).results({ process: processHex, limit: 10 });
    expect(r.edges.map((e) => e.cursor)).to.deep.equal(["0", "1"]);
    expect(r.edges[1].node).to.have.property("Messages").that.is.an("array");
  });

  it("GAP dryrun: aoconnect posts JSON, the CU takes a canonical message (application/octet-stream)", async function () {
    const r = await ao(stack.su.url).dryrun({
      process: processHex,
      tags: [{ name: "Action", value: "Info" }],
      data: "",
    });
    expect(r).to.deep.include({ error: "UnsupportedMediaType" });
  });
});
