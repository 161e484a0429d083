/**
 * `holo module publish` and `holo message send` against a real stack: ArLocal, the devnet contracts on
 * Hardhat's chain over JSON-RPC, a bonded scheduler unit. And their bad inputs, each with its named error.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

import { expect } from "chai";

import { TOKEN_WASM } from "../../../cli/devnet/system";
import { arweaveIdHex } from "../../../cli/lib/ao";
import { spawnToken, startStack, type Stack } from "../../e2e/stack";
import { freePort, holo, isolateChainEnv } from "../helpers";

describe("cli/commands/message and module publish (holo message send, holo module publish)", function () {
  const env = isolateChainEnv();
  let stack: Stack;
  let moduleId: string;
  let moduleItemId: string;
  let processId: string;
  let noDevnet: string[];

  before(async function () {
    env.clear();
    stack = await startStack("holo-message-");
    noDevnet = ["--devnet", path.join(stack.tmp, "no-devnet.json")];
  });

  after(async function () {
    await stack?.stop();
    env.restore();
  });

  const key = () => ["--key", stack.accounts[0].privateKey];

  describe("holo module publish", function () {
    it("posts the wasm with AO module tags to the gateway, then registers it with that item's id", async function () {
      const r = await holo(
        "module",
        "publish",
        TOKEN_WASM,
        "--gateway",
        stack.arlocal.url,
        "--wallet",
        stack.walletFile,
        ...stack.connection,
        ...key(),
        "--json",
      );
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/Posting module item [A-Za-z0-9_-]{43} \(\d+ bytes\)/);
      expect(r.stderr).to.contain("Registering module");
      const event = r.json();
      expect(event.event).to.equal("module");
      expect(event.registered).to.equal(true);
      moduleId = event.moduleId as string;
      moduleItemId = event.arweaveItemId as string;
      expect(moduleItemId).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(event.arweaveId).to.equal(arweaveIdHex(moduleItemId));
      expect(event.gateway).to.equal(stack.arlocal.url);

      const onChain = await stack.devnet.contracts.processRegistry.getModule(moduleId);
      expect(onChain.arweaveId).to.equal(arweaveIdHex(moduleItemId));
      // The item is on the gateway, with AO's module tags (what aoconnect's spawn checks) and the wasm as data.
      const res = await fetch(`${stack.arlocal.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `query ($ids: [ID!]!) { transactions(ids: $ids) { edges { node { tags { name value } } } } }`,
          variables: { ids: [moduleItemId] },
        }),
      });
      const body = (await res.json()) as {
        data: { transactions: { edges: { node: { tags: { name: string; value: string }[] } }[] } };
      };
      const tags = Object.fromEntries(
        body.data.transactions.edges[0].node.tags.map((t) => [t.name, t.value]),
      );
      expect(tags).to.include({
        "Data-Protocol": "ao",
        Type: "Module",
        "Content-Type": "application/wasm",
        "Holo-Module-Root": onChain.moduleRoot,
        "Holo-Wasm-Hash": onChain.wasmHash,
      });
      expect(tags["Module-Format"]).to.be.a("string");
      expect(tags["Input-Encoding"]).to.be.a("string");
      expect(tags["Output-Encoding"]).to.be.a("string");
      const data = new Uint8Array(await (await fetch(`${stack.arlocal.url}/${moduleItemId}`)).arrayBuffer());
      expect(Buffer.from(data).equals(fs.readFileSync(TOKEN_WASM))).to.equal(true);
    });

    it("refuses a file that is not a module (E_INPUT), an unreadable wallet (E_KEY), no gateway (E_USAGE)", async function () {
      const junk = path.join(stack.tmp, "junk.wasm");
      fs.writeFileSync(junk, "not wasm");
      const common = [...stack.connection, ...key(), "--json"];
      const bad = await holo(
        "module",
        "publish",
        junk,
        "--gateway",
        stack.arlocal.url,
        "--wallet",
        stack.walletFile,
        ...common,
      );
      expect(bad.code).to.equal(2);
      expect(bad.json().error).to.deep.include({ code: "E_INPUT" });

      const noWallet = path.join(stack.tmp, "missing-wallet.json");
      const w = await holo(
        "module",
        "publish",
        TOKEN_WASM,
        "--gateway",
        stack.arlocal.url,
        "--wallet",
        noWallet,
        ...common,
      );
      expect(w.code).to.equal(3);
      expect(w.json().error).to.deep.include({ code: "E_KEY" });
      expect(w.stderr).to.contain("cannot read the Arweave wallet --wallet").and.to.contain("no such file");

      const g = await holo(
        "module",
        "publish",
        TOKEN_WASM,
        "--wallet",
        stack.walletFile,
        ...noDevnet,
        ...common,
      );
      expect(g.code).to.equal(2);
      expect(g.stderr).to.contain("no --gateway given");

      const url = await holo("module", "publish", TOKEN_WASM, "--gateway", "ftp://x", ...common);
      expect(url.code).to.equal(2);
      expect(url.stderr).to.contain("--gateway ftp://x must be an http:// or https:// URL");
    });
  });

  describe("holo message send", function () {
    before(async function () {
      processId = await spawnToken(stack, moduleId, moduleItemId);
    });

    it("signs a message, posts it to the SU and prints the slot, for either spelling of the process id", async function () {
      const base = ["--su", stack.su.url, "--wallet", stack.walletFile];
      const first = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--tag",
        "Action=Balance",
        ...base,
        "--json",
      );
      expect(first.code, first.stderr).to.equal(0);
      const m = first.json();
      expect(m).to.deep.include({ event: "message", process: processId, slot: 1 });
      expect(m.id).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(m.tags).to.deep.equal([{ name: "Action", value: "Balance" }]);
      expect((m.assignment as { scheduler: string }).scheduler).to.equal(stack.scheduler.address);

      const target = Buffer.from(processId.slice(2), "hex").toString("base64url");
      const second = await holo(
        "message",
        "send",
        "--process",
        target,
        "--tag",
        "Action=Transfer",
        "--tag",
        "Recipient=0x" + "12".repeat(20),
        "--tag",
        "Quantity=5",
        "--data",
        "hello",
        ...base,
      );
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout).to.match(/^Message [A-Za-z0-9_-]{43} scheduled at slot 2\n/);
      // The SU has both, in order, with the tags as sent.
      const log = (await (await fetch(`${stack.su.url}/${processId}`)).json()) as {
        edges: { node: { assignment: { slot: number } } }[];
      };
      expect(log.edges.map((e) => e.node.assignment.slot)).to.deep.equal([0, 1, 2]);
    });

    it("names the bad input: process id, tag, wallet, data options", async function () {
      const base = ["--su", stack.su.url, "--wallet", stack.walletFile, "--json"];
      const p = await holo("message", "send", "--process", "0x1234", ...base);
      expect(p.code).to.equal(2);
      expect(p.json().error).to.deep.include({ code: "E_USAGE" });
      expect(p.stderr).to.contain('--process "0x1234" is not a process id');

      const t = await holo("message", "send", "--process", processId, "--tag", "NoEquals", ...base);
      expect(t.code).to.equal(2);
      expect(t.stderr).to.contain('--tag "NoEquals" must be Name=Value');
      const reserved = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--tag",
        "Type=Process",
        ...base,
      );
      expect(reserved.code).to.equal(2);
      expect(reserved.stderr).to.contain("--tag Type is set by holo");

      const notJson = path.join(stack.tmp, "not-a-wallet.json");
      fs.writeFileSync(notJson, "{]");
      const w = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--su",
        stack.su.url,
        "--wallet",
        notJson,
      );
      expect(w.code).to.equal(3);
      expect(w.stderr).to.contain("is not JSON");
      const notRsa = path.join(stack.tmp, "not-rsa.json");
      fs.writeFileSync(notRsa, JSON.stringify({ kty: "EC" }));
      const r = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--su",
        stack.su.url,
        "--wallet",
        notRsa,
        "--json",
      );
      expect(r.code).to.equal(3);
      expect(r.json().error).to.deep.include({ code: "E_KEY" });

      const both = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--data",
        "x",
        "--data-file",
        "y",
        ...base,
      );
      expect(both.code).to.equal(2);
      expect(both.stderr).to.contain("--data and --data-file exclude each other");

      const noSu = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--wallet",
        stack.walletFile,
        ...noDevnet,
      );
      expect(noSu.code).to.equal(2);
      expect(noSu.stderr).to.contain("no --su given");
    });

    it("reports an SU that refuses (E_REFUSED, with its error) or cannot be reached (E_UNREACHABLE)", async function () {
      const unknown = "0x" + "ab".repeat(32);
      const refused = await holo(
        "message",
        "send",
        "--process",
        unknown,
        "--su",
        stack.su.url,
        "--wallet",
        stack.walletFile,
        "--json",
      );
      expect(refused.code).to.equal(1);
      const error = refused.json().error as { code: string; message: string };
      expect(error.code).to.equal("E_REFUSED");
      expect(error.message).to.contain("refused the data item (HTTP 404): UnknownProcess");

      const port = await freePort();
      const down = await holo(
        "message",
        "send",
        "--process",
        processId,
        "--su",
        `http://127.0.0.1:${port}`,
        "--wallet",
        stack.walletFile,
        "--json",
      );
      expect(down.code).to.equal(1);
      expect(down.json().error).to.deep.include({ code: "E_UNREACHABLE" });

      // A server that answers something else than an assignment.
      const server = http.createServer((_req, res) => res.end("<html>hi</html>"));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const { port: p } = server.address() as { port: number };
        const odd = await holo(
          "message",
          "send",
          "--process",
          processId,
          "--su",
          `http://127.0.0.1:${p}`,
          "--wallet",
          stack.walletFile,
        );
        expect(odd.code).to.equal(1);
        expect(odd.stderr).to.contain("answered something else than an assignment");
      } finally {
        server.close();
      }
    });
  });
});
