import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import {
  arweaveIdHex,
  httpUrl,
  parseProcessRef,
  parseTag,
  readArweaveWallet,
  signAoItem,
} from "../../../cli/lib/ao";
import { ConfigError, UsageError } from "../../../cli/lib/errors";
import { tokenMessages } from "../../../cli/commands/devnet";
import { verifyDataItem } from "../../../agents/common/arweave";

describe("cli/lib/ao", function () {
  const hex = "0x" + "1f".repeat(32);
  const target = Buffer.from("1f".repeat(32), "hex").toString("base64url");

  it("parses a process id in both spellings, and names --process otherwise", function () {
    expect(parseProcessRef(hex)).to.deep.equal({ hex, target });
    expect(parseProcessRef(hex.toUpperCase().replace("0X", "0x"))).to.deep.equal({ hex, target });
    expect(parseProcessRef(target)).to.deep.equal({ hex, target });
    for (const bad of ["", "0x12", hex + "00", "z".repeat(44), target.slice(1)]) {
      expect(() => parseProcessRef(bad), bad).to.throw(UsageError, /--process .* is not a process id/);
    }
  });

  it("parses Name=Value tags (values may hold '='), refusing protocol tags and empty names", function () {
    expect(parseTag("Action=Transfer", [])).to.deep.equal([{ name: "Action", value: "Transfer" }]);
    expect(parseTag("X=a=b", [{ name: "A", value: "" }])).to.deep.equal([
      { name: "A", value: "" },
      { name: "X", value: "a=b" },
    ]);
    expect(parseTag("Empty=", [])).to.deep.equal([{ name: "Empty", value: "" }]);
    expect(() => parseTag("=x", [])).to.throw(UsageError, /must be Name=Value/);
    expect(() => parseTag("NoValue", [])).to.throw(UsageError, /must be Name=Value/);
    for (const reserved of ["Data-Protocol=x", "type=x", "Variant=x"]) {
      expect(() => parseTag(reserved, [])).to.throw(UsageError, /is set by holo/);
    }
    expect(() => parseTag(`N=${"v".repeat(3073)}`, [])).to.throw(UsageError, /at most 3072/);
  });

  it("reads an Arweave JWK, naming the file and the problem (E_KEY), never the key", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holo-ao-"));
    try {
      const missing = path.join(dir, "missing.json");
      expect(() => readArweaveWallet(missing)).to.throw(ConfigError, /no such file/);
      const secret = path.join(dir, "public.json");
      fs.writeFileSync(secret, JSON.stringify({ kty: "RSA", n: "abc", e: "AQAB" }));
      let error: ConfigError | undefined;
      try {
        readArweaveWallet(secret);
      } catch (e) {
        error = e as ConfigError;
      }
      expect(error?.code).to.equal("E_KEY");
      expect(error?.message).to.contain("private part").and.not.contain("abc");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("signs AO items with the protocol tags first and the target, which verify", async function () {
    const Arweave = (await import("arweave")).default;
    const jwk = await Arweave.init({}).wallets.generate();
    const item = await signAoItem(jwk, {
      type: "Message",
      target,
      tags: [{ name: "Action", value: "Info" }],
      data: "hi",
    });
    const v = await verifyDataItem(new Uint8Array(item.getRaw()));
    expect(v.target).to.equal(target);
    expect(v.tags.map((t) => `${t.name}=${t.value}`)).to.deep.equal([
      "Data-Protocol=ao",
      "Variant=ao.TN.1",
      "Type=Message",
      "Action=Info",
    ]);
    expect(arweaveIdHex(item.id)).to.equal(`0x${Buffer.from(item.id, "base64url").toString("hex")}`);
  });

  it("takes http(s) service URLs only, as their origin", function () {
    expect(httpUrl("--su")("http://127.0.0.1:8070/")).to.equal("http://127.0.0.1:8070");
    expect(() => httpUrl("--su")("ws://x")).to.throw(UsageError, /--su ws:\/\/x must be an http/);
    expect(() => httpUrl("--gateway")("not a url")).to.throw(
      UsageError,
      /--gateway "not a url" is not a URL/,
    );
  });

  it("the devnet's token messages cycle through the token's actions", function () {
    const m = tokenMessages(6);
    expect(m.map((tags) => tags[0].value)).to.deep.equal([
      "Info",
      "Balance",
      "Transfer",
      "Total-Supply",
      "Balances",
      "Info",
    ]);
    expect(tokenMessages(0)).to.deep.equal([]);
  });
});
