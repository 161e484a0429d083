import { expect } from "chai";
import { Harness, arAddress, ethAddress, processWasm, tagPairs, type Outcome } from "../sdk/helpers";

const OWNER = arAddress("token owner");
const ALICE = arAddress("alice");
const BOB = ethAddress("bob");
const INITIAL = 10n ** 16n; // 10000 × 10^12
const P64 = 1n << 64n;
const P128 = 1n << 128n;
const GRAY = "\u001b[90m";
const BLUE = "\u001b[34m";
const GREEN = "\u001b[32m";
const RESET = "\u001b[0m";

async function token(owner = OWNER): Promise<Harness> {
  const h = await Harness.create(processWasm("token"));
  const spawn = h.send(owner, { Type: "Process", Module: arAddress("token module") });
  expect(spawn.result).to.deep.equal({ ok: true, items: [] });
  return h;
}

function balance(h: Harness, account: string): bigint {
  const o = h.send(account, { Action: "Balance" });
  expect(o.ok, o.reason).to.equal(true);
  return BigInt(o.messages[0].Data);
}

function balances(h: Harness): Record<string, string> {
  return JSON.parse(h.send(OWNER, { Action: "Balances" }).messages[0].Data);
}

function totalSupply(h: Harness): bigint {
  return BigInt(h.send(ALICE, { Action: "Total-Supply" }).messages[0].Data);
}

function expectError(o: Outcome, reason: string): void {
  expect(o.result, reason).to.deep.equal({ ok: false, error: 1, errorName: "Unreachable" });
  expect(o.reason).to.equal(reason);
}

describe("process token", () => {
  describe("spawn (slot 0)", () => {
    it("credits the initial supply to the owner (the From of slot 0)", async () => {
      const h = await token();
      expect(balance(h, OWNER)).to.equal(INITIAL);
      expect(totalSupply(h)).to.equal(INITIAL);
      expect(balances(h)).to.deep.equal({ [OWNER]: INITIAL.toString() });
    });

    it("works with an Ethereum owner", async () => {
      const h = await token(BOB);
      expect(balance(h, BOB)).to.equal(INITIAL);
    });
  });

  describe("Info", () => {
    it("replies with Name, Ticker, Logo, Denomination", async () => {
      const h = await token();
      const o = h.send(ALICE, { Action: "Info", Reference: "12" });
      expect(o.ok).to.equal(true);
      expect(o.messages).to.have.length(1);
      expect(o.messages[0].Target).to.equal(ALICE);
      expect(tagPairs(o.messages[0])).to.deep.equal([
        ["Reference", "1"],
        ["Name", "Points Coin"],
        ["Ticker", "PNTS"],
        ["Logo", "SBCCXwwecBlDqRLUjb8dYABExTJXLieawf7m2aBJ-KY"],
        ["Denomination", "12"],
        ["X-Reference", "12"],
      ]);
      expect(o.messages[0].Data).to.equal("");
    });
  });

  describe("Balance", () => {
    it("of the sender, of Recipient, of Target; 0 for unknown accounts", async () => {
      const h = await token();
      const own = h.send(OWNER, { Action: "Balance" });
      expect(tagPairs(own.messages[0])).to.deep.equal([
        ["Reference", "1"],
        ["Balance", INITIAL.toString()],
        ["Ticker", "PNTS"],
        ["Account", OWNER],
      ]);
      expect(own.messages[0].Data).to.equal(INITIAL.toString());
      const byRecipient = h.send(ALICE, { Action: "Balance", Recipient: OWNER });
      expect(byRecipient.messages[0].Target).to.equal(ALICE);
      expect(byRecipient.messages[0].get("Balance")).to.equal(INITIAL.toString());
      expect(byRecipient.messages[0].get("Account")).to.equal(OWNER);
      const byTarget = h.send(ALICE, { Action: "Balance", Target: OWNER });
      expect(byTarget.messages[0].get("Balance")).to.equal(INITIAL.toString());
      expect(byTarget.messages[0].get("Account")).to.equal(OWNER);
      const unknown = h.send(ALICE, { Action: "Balance" });
      expect(unknown.messages[0].get("Balance")).to.equal("0");
      expect(unknown.messages[0].get("Account")).to.equal(ALICE);
      const notAnAddress = h.send(ALICE, { Action: "Balance", Recipient: "someone" });
      expect(notAnAddress.messages[0].get("Balance")).to.equal("0");
      expect(notAnAddress.messages[0].get("Account")).to.equal("someone");
    });

    it("Recipient wins over Target; addresses are looked up in their canonical spelling", async () => {
      const h = await token();
      h.send(OWNER, { Action: "Transfer", Recipient: BOB, Quantity: "5" });
      const o = h.send(ALICE, {
        Action: "Balance",
        Recipient: BOB.toUpperCase().replace("0X", "0x"),
        Target: OWNER,
      });
      expect(o.messages[0].get("Balance")).to.equal("5");
      expect(o.messages[0].get("Account")).to.equal(BOB);
    });
  });

  describe("Transfer", () => {
    it("moves the quantity and sends a Debit-Notice to the sender and a Credit-Notice to the recipient", async () => {
      const h = await token();
      const o = h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "1000", Reference: "9" });
      expect(o.ok, o.reason).to.equal(true);
      expect(o.output).to.equal("");
      expect(o.messages).to.have.length(2);
      const [debit, credit] = o.messages;
      expect(debit.Target).to.equal(OWNER);
      expect(tagPairs(debit)).to.deep.equal([
        ["Reference", "1"],
        ["Action", "Debit-Notice"],
        ["Recipient", ALICE],
        ["Quantity", "1000"],
        ["X-Reference", "9"],
      ]);
      expect(debit.Data).to.equal(`${GRAY}You transferred ${BLUE}1000${GRAY} to ${GREEN}${ALICE}${RESET}`);
      expect(credit.Target).to.equal(ALICE);
      expect(tagPairs(credit)).to.deep.equal([
        ["Reference", "2"],
        ["Action", "Credit-Notice"],
        ["Sender", OWNER],
        ["Quantity", "1000"],
      ]);
      expect(credit.Data).to.equal(`${GRAY}You received ${BLUE}1000${GRAY} from ${GREEN}${OWNER}${RESET}`);
      expect(balance(h, OWNER)).to.equal(INITIAL - 1000n);
      expect(balance(h, ALICE)).to.equal(1000n);
      expect(balances(h)).to.deep.equal({ [OWNER]: (INITIAL - 1000n).toString(), [ALICE]: "1000" });
      expect(totalSupply(h)).to.equal(INITIAL);
    });

    it("forwards X- tags to both notices", async () => {
      const h = await token();
      const o = h.send(OWNER, [
        { name: "Action", value: "Transfer" },
        { name: "Recipient", value: ALICE },
        { name: "Quantity", value: "1" },
        { name: "X-Order", value: "42" },
        { name: "X-Order", value: "43" },
        { name: "X-Note", value: "hi" },
        { name: "Y-Other", value: "no" },
      ]);
      for (const m of o.messages) {
        expect(m.get("X-Order")).to.equal("42");
        expect(m.Tags.filter((t) => t.name === "X-Order")).to.have.length(1);
        expect(m.get("X-Note")).to.equal("hi");
        expect(m.get("Y-Other")).to.equal(undefined);
      }
    });

    it("sends no notices with a Cast tag (whatever its value)", async () => {
      const h = await token();
      const o = h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "7", Cast: "false" });
      expect(o.result).to.deep.equal({ ok: true, items: [] });
      expect(balance(h, ALICE)).to.equal(7n);
    });

    it("sends the Debit-Notice to Reply-To when present (msg.reply)", async () => {
      const h = await token();
      const o = h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "7", "Reply-To": BOB });
      expect(o.messages[0].Target).to.equal(BOB);
      expect(o.messages[1].Target).to.equal(ALICE);
    });

    it("canonicalises the recipient (an Ethereum address in any case)", async () => {
      const h = await token();
      const o = h.send(OWNER, {
        Action: "Transfer",
        Recipient: BOB.toUpperCase().replace("0X", "0x"),
        Quantity: "3",
      });
      expect(o.messages[1].Target).to.equal(BOB);
      expect(o.messages[0].get("Recipient")).to.equal(BOB);
      expect(balance(h, BOB)).to.equal(3n);
    });

    it("transfers the whole balance, and to oneself", async () => {
      const h = await token();
      h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "100" });
      const self = h.send(ALICE, { Action: "Transfer", Recipient: ALICE, Quantity: "100" });
      expect(self.messages.map((m) => m.get("Action"))).to.deep.equal(["Debit-Notice", "Credit-Notice"]);
      expect(balance(h, ALICE)).to.equal(100n);
      h.send(ALICE, { Action: "Transfer", Recipient: BOB, Quantity: "100" });
      expect(balance(h, ALICE)).to.equal(0n);
      expect(balance(h, BOB)).to.equal(100n);
    });

    it("replies Transfer-Error 'Insufficient Balance!' and moves nothing", async () => {
      const h = await token();
      h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "10" });
      const o = h.send(ALICE, { Action: "Transfer", Recipient: BOB, Quantity: "11", Reference: "4" });
      expect(o.ok).to.equal(true);
      expect(o.messages).to.have.length(1);
      const e = o.messages[0];
      expect(e.Target).to.equal(ALICE);
      expect(tagPairs(e)).to.deep.equal([
        ["Reference", "3"],
        ["Action", "Transfer-Error"],
        ["Message-Id", Buffer.from(o.message.id).toString("base64url")],
        ["Error", "Insufficient Balance!"],
        ["X-Reference", "4"],
      ]);
      expect(balance(h, ALICE)).to.equal(10n);
      // As the blueprint, a transfer creates "0" entries for the sender and the recipient even when it fails.
      expect(balances(h)).to.deep.equal({ [OWNER]: (INITIAL - 10n).toString(), [ALICE]: "10", [BOB]: "0" });
      const fromNobody = h.send(arAddress("nobody"), { Action: "Transfer", Recipient: ALICE, Quantity: "1" });
      expect(fromNobody.messages[0].get("Error")).to.equal("Insufficient Balance!");
    });

    it("fails on a missing Recipient or Quantity, a non-address Recipient and non-positive quantities", async () => {
      const h = await token();
      expectError(h.send(OWNER, { Action: "Transfer", Quantity: "1" }), "Recipient is required!");
      expectError(h.send(OWNER, { Action: "Transfer", Recipient: ALICE }), "Quantity is required!");
      expectError(
        h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "0" }),
        "Quantity must be greater than 0",
      );
      expectError(
        h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "-5" }),
        "Quantity must be greater than 0",
      );
      expectError(
        h.send(OWNER, { Action: "Transfer", Recipient: "alice", Quantity: "1" }),
        "Invalid Recipient: not an address!",
      );
      expect(balances(h)).to.deep.equal({ [OWNER]: INITIAL.toString() });
    });

    it("fails on malformed quantity strings", async () => {
      const h = await token();
      const cases: [string, string][] = [
        ["", "empty"],
        ["abc", "not a decimal integer"],
        ["1.5", "not a decimal integer"],
        ["1e3", "not a decimal integer"],
        [" 1", "not a decimal integer"],
        ["+1", "not a decimal integer"],
        ["0x10", "not a decimal integer"],
        ["-", "not a decimal integer"],
        ["--1", "not a decimal integer"],
        ["007", "leading zeros"],
      ];
      for (const [q, why] of cases) {
        expectError(
          h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: q }),
          `Invalid Quantity: ${why}!`,
        );
      }
      expect(balance(h, OWNER)).to.equal(INITIAL);
    });

    it("handles quantities at and beyond 2^64 and 2^128 exactly", async () => {
      const h = await token();
      h.send(OWNER, { Action: "Mint", Quantity: (P128 - 1n - INITIAL).toString() });
      expect(totalSupply(h)).to.equal(P128 - 1n);
      for (const q of [P64 - 1n, P64, P64 + 1n]) {
        const o = h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: q.toString() });
        expect(o.messages[0].get("Quantity")).to.equal(q.toString());
      }
      const sent = 3n * P64;
      expect(balance(h, ALICE)).to.equal(sent);
      expect(balance(h, OWNER)).to.equal(P128 - 1n - sent);
      const all = h.send(OWNER, {
        Action: "Transfer",
        Recipient: BOB,
        Quantity: (P128 - 1n - sent).toString(),
      });
      expect(all.ok).to.equal(true);
      expect(balance(h, BOB)).to.equal(P128 - 1n - sent);
      expect(balance(h, OWNER)).to.equal(0n);
      const tooMuch = h.send(ALICE, { Action: "Transfer", Recipient: BOB, Quantity: (sent + 1n).toString() });
      expect(tooMuch.messages[0].get("Error")).to.equal("Insufficient Balance!");
      expectError(
        h.send(ALICE, { Action: "Transfer", Recipient: BOB, Quantity: P128.toString() }),
        "Invalid Quantity: exceeds 2^128 - 1!",
      );
      expectError(
        h.send(ALICE, { Action: "Transfer", Recipient: BOB, Quantity: "9".repeat(80) }),
        "Invalid Quantity: exceeds 2^128 - 1!",
      );
      h.send(ALICE, { Action: "Transfer", Recipient: BOB, Quantity: sent.toString() });
      expect(balance(h, BOB)).to.equal(P128 - 1n);
    });
  });

  describe("Mint", () => {
    it("by the owner: adds to the owner's balance and the total supply", async () => {
      const h = await token();
      const o = h.send(OWNER, { Action: "Mint", Quantity: P64.toString() });
      expect(o.messages).to.have.length(1);
      expect(o.messages[0].Target).to.equal(OWNER);
      expect(o.messages[0].Data).to.equal(`${GRAY}Successfully minted ${BLUE}${P64}${RESET}`);
      expect(balance(h, OWNER)).to.equal(INITIAL + P64);
      expect(totalSupply(h)).to.equal(INITIAL + P64);
    });

    it("by anyone else: replies Mint-Error and mints nothing", async () => {
      const h = await token();
      const o = h.send(ALICE, { Action: "Mint", Quantity: "100" });
      expect(o.ok).to.equal(true);
      expect(o.messages[0].Target).to.equal(ALICE);
      expect(tagPairs(o.messages[0])).to.deep.equal([
        ["Reference", "1"],
        ["Action", "Mint-Error"],
        ["Message-Id", Buffer.from(o.message.id).toString("base64url")],
        ["Error", "Only the Process Owner can mint new PNTS tokens!"],
      ]);
      expect(balance(h, ALICE)).to.equal(0n);
      expect(totalSupply(h)).to.equal(INITIAL);
    });

    it("without an owner (slot 0 never handled) nobody can mint", async () => {
      const h = await Harness.create(processWasm("token"));
      h.nextSlot = 1n;
      expect(h.send(OWNER, { Action: "Mint", Quantity: "1" }).messages[0].get("Action")).to.equal(
        "Mint-Error",
      );
      expect(h.send(OWNER, { Action: "Balances" }).messages[0].Data).to.equal("{}");
    });

    it("fails on bad quantities and on a total supply beyond 2^128 − 1", async () => {
      const h = await token();
      expectError(h.send(OWNER, { Action: "Mint" }), "Quantity is required!");
      expectError(h.send(OWNER, { Action: "Mint", Quantity: "0" }), "Quantity must be greater than zero!");
      expectError(h.send(OWNER, { Action: "Mint", Quantity: "-1" }), "Quantity must be greater than zero!");
      expectError(
        h.send(OWNER, { Action: "Mint", Quantity: "1_000" }),
        "Invalid Quantity: not a decimal integer!",
      );
      expectError(
        h.send(OWNER, { Action: "Mint", Quantity: P128.toString() }),
        "Invalid Quantity: exceeds 2^128 - 1!",
      );
      expectError(
        h.send(OWNER, { Action: "Mint", Quantity: (P128 - INITIAL).toString() }),
        "Invalid Quantity: total supply would exceed 2^128 - 1!",
      );
      expect(h.send(OWNER, { Action: "Mint", Quantity: (P128 - 1n - INITIAL).toString() }).ok).to.equal(true);
      expect(totalSupply(h)).to.equal(P128 - 1n);
      expectError(
        h.send(OWNER, { Action: "Mint", Quantity: "1" }),
        "Invalid Quantity: total supply would exceed 2^128 - 1!",
      );
      // A non-owner's bad quantity is an error too (the checks come first, as in the blueprint).
      expectError(h.send(ALICE, { Action: "Mint", Quantity: "0" }), "Quantity must be greater than zero!");
    });
  });

  describe("Total-Supply", () => {
    it("replies Action Total-Supply with the supply as data", async () => {
      const h = await token();
      const o = h.send(ALICE, { Action: "Total-Supply" });
      expect(tagPairs(o.messages[0])).to.deep.equal([
        ["Reference", "1"],
        ["Action", "Total-Supply"],
        ["Ticker", "PNTS"],
      ]);
      expect(o.messages[0].Data).to.equal(INITIAL.toString());
    });

    it("fails when the process asks itself", async () => {
      const h = await token();
      expectError(
        h.send(h.processId, { Action: "Total-Supply" }),
        "Cannot call Total-Supply from the same process!",
      );
    });
  });

  describe("Burn", () => {
    it("burns from the sender's balance and the total supply", async () => {
      const h = await token();
      const o = h.send(OWNER, { Action: "Burn", Quantity: "1000" });
      expect(o.messages[0].Target).to.equal(OWNER);
      expect(o.messages[0].Data).to.equal(`${GRAY}Successfully burned ${BLUE}1000${RESET}`);
      expect(balance(h, OWNER)).to.equal(INITIAL - 1000n);
      expect(totalSupply(h)).to.equal(INITIAL - 1000n);
    });

    it("fails beyond the balance and on bad quantities", async () => {
      const h = await token();
      expectError(
        h.send(ALICE, { Action: "Burn", Quantity: "1" }),
        "Quantity must be less than or equal to the current balance!",
      );
      expectError(h.send(OWNER, { Action: "Burn" }), "Quantity is required!");
      expectError(h.send(OWNER, { Action: "Burn", Quantity: "-1" }), "Invalid Quantity: negative!");
      expect(totalSupply(h)).to.equal(INITIAL);
    });
  });

  describe("other messages", () => {
    it("an unknown Action is an error; a message without Action is ignored", async () => {
      const h = await token();
      expectError(h.send(ALICE, { Action: "Approve" }), "Unknown Action: Approve");
      expectError(h.send(ALICE, { Action: "" }), "Unknown Action: ");
      expectError(h.send(ALICE, { Action: "transfer" }), "Unknown Action: transfer");
      expect(h.send(ALICE, { Note: "hello" }, { data: "hi" }).result).to.deep.equal({ ok: true, items: [] });
    });

    it("a failed message leaves the state and the reference counter as they were", async () => {
      const h = await token();
      h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "5" });
      const before = h.host.memoryBytes();
      expect(h.send(OWNER, { Action: "Transfer", Recipient: ALICE, Quantity: "x" }).ok).to.equal(false);
      expect(Buffer.from(h.host.memoryBytes())).to.deep.equal(Buffer.from(before));
      const next = h.send(OWNER, { Action: "Info" });
      expect(next.messages[0].get("Reference")).to.equal("3");
    });
  });
});
