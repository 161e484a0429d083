// A token with the semantics of AO's token blueprint (permaweb/aos blueprints/token.lua, the aos 2
// version): the same actions, tags, replies and error texts, with the differences listed in
// processes/token/README.md. Quantities are u128 decimal strings.

import {
  Handlers,
  hasMatchingTag,
  JsonObject,
  Msg,
  OutMessage,
  Process,
  U128,
  beforeHandlers,
  canonicalAddress,
  send,
} from "../../../sdk/assembly";
export { handle } from "../../../sdk/assembly";

// ---- state -------------------------------------------------------------------------------------------

const NAME = "Points Coin";
const TICKER = "PNTS";
const LOGO = "SBCCXwwecBlDqRLUjb8dYABExTJXLieawf7m2aBJ-KY";
const DENOMINATION: u32 = 12;
/** 10000 × 10^Denomination, credited to the owner at slot 0. */
const INITIAL_SUPPLY = "10000000000000000";

const Balances = new Map<string, U128>();
let TotalSupply: U128 = U128.ZERO;
let initialized = false;

// aos's Colors, used in the text of notices as the blueprint does.
const GRAY = "\u001b[90m";
const BLUE = "\u001b[34m";
const GREEN = "\u001b[32m";
const RESET = "\u001b[0m";

beforeHandlers((msg: Msg): void => {
  if (!initialized && msg.Slot == 0) {
    Balances.set(Process.Owner, U128.parse(INITIAL_SUPPLY)!);
    TotalSupply = U128.parse(INITIAL_SUPPLY)!;
    initialized = true;
  }
});

function balanceOf(account: string): U128 {
  return Balances.has(account) ? Balances.get(account) : U128.ZERO;
}

/** The Quantity tag as a u128; aborts with the blueprint's messages (and ours for malformed values). */
function quantity(msg: Msg, notPositive: string | null): U128 {
  const s = msg.get("Quantity");
  if (s === null) throw new Error("Quantity is required!");
  const err = U128.parseError(s);
  if (err == "negative" && notPositive !== null) throw new Error(notPositive);
  if (err.length != 0) throw new Error("Invalid Quantity: " + err + "!");
  const q = U128.parse(s)!;
  if (q.isZero() && notPositive !== null) throw new Error(notPositive);
  return q;
}

// ---- handlers, in the blueprint's order --------------------------------------------------------------

Handlers.add("info", hasMatchingTag("Action", "Info"), (msg: Msg): void => {
  const r = new OutMessage();
  r.add("Name", NAME).add("Ticker", TICKER).add("Logo", LOGO).add("Denomination", DENOMINATION.toString());
  msg.reply(r);
});

Handlers.add("balance", hasMatchingTag("Action", "Balance"), (msg: Msg): void => {
  // Recipient, else Target, else the sender; an address is looked up in its canonical spelling.
  let account = msg.get("Recipient");
  if (account === null) account = msg.get("Target");
  if (account === null) account = msg.From;
  const canonical = canonicalAddress(account!);
  if (canonical !== null) account = canonical;
  const bal = balanceOf(account!).toString();
  const r = new OutMessage();
  r.add("Balance", bal).add("Ticker", TICKER).add("Account", account!);
  r.Data = bal;
  msg.reply(r);
});

Handlers.add("balances", hasMatchingTag("Action", "Balances"), (msg: Msg): void => {
  const json = new JsonObject();
  const keys = Balances.keys();
  for (let i = 0, n = keys.length; i < n; i++) json.set(keys[i], Balances.get(keys[i]).toString());
  const r = new OutMessage();
  r.Data = json.toString();
  msg.reply(r);
});

Handlers.add("transfer", hasMatchingTag("Action", "Transfer"), (msg: Msg): void => {
  const rawRecipient = msg.get("Recipient");
  if (rawRecipient === null) throw new Error("Recipient is required!");
  const q = quantity(msg, "Quantity must be greater than 0");
  const recipient = canonicalAddress(rawRecipient);
  if (recipient === null) throw new Error("Invalid Recipient: not an address!");
  const from = msg.From;
  const qs = q.toString();

  if (!Balances.has(from)) Balances.set(from, U128.ZERO);
  if (!Balances.has(recipient)) Balances.set(recipient, U128.ZERO);

  const fromBal = Balances.get(from);
  if (q.le(fromBal)) {
    Balances.set(from, fromBal.sub(q));
    Balances.set(recipient, Balances.get(recipient).add(q));

    // Notices, unless the Cast tag is present (whatever its value, as in the blueprint).
    if (!msg.Tags.has("Cast")) {
      const debit = new OutMessage();
      debit.add("Action", "Debit-Notice").add("Recipient", recipient).add("Quantity", qs);
      debit.Data = GRAY + "You transferred " + BLUE + qs + GRAY + " to " + GREEN + recipient + RESET;
      const credit = new OutMessage();
      credit.Target = recipient;
      credit.add("Action", "Credit-Notice").add("Sender", from).add("Quantity", qs);
      credit.Data = GRAY + "You received " + BLUE + qs + GRAY + " from " + GREEN + from + RESET;
      // Tags beginning with "X-" are forwarded to both notices (the first value of each name).
      const tags = msg.Tags.list;
      for (let i = 0, n = tags.length; i < n; i++) {
        const t = tags[i];
        if (t.name.startsWith("X-") && debit.get(t.name) === null) {
          debit.set(t.name, t.value);
          credit.set(t.name, t.value);
        }
      }
      msg.reply(debit);
      send(credit);
    }
  } else {
    const r = new OutMessage();
    r.add("Action", "Transfer-Error").add("Message-Id", msg.Id).add("Error", "Insufficient Balance!");
    msg.reply(r);
  }
});

Handlers.add("mint", hasMatchingTag("Action", "Mint"), (msg: Msg): void => {
  const q = quantity(msg, "Quantity must be greater than zero!");
  if (Process.Owner.length != 0 && msg.From == Process.Owner) {
    const supply = TotalSupply.addChecked(q);
    if (supply === null) throw new Error("Invalid Quantity: total supply would exceed 2^128 - 1!");
    TotalSupply = supply;
    Balances.set(msg.From, balanceOf(msg.From).add(q));
    const r = new OutMessage();
    r.Data = GRAY + "Successfully minted " + BLUE + q.toString() + RESET;
    msg.reply(r);
  } else {
    const r = new OutMessage();
    r.add("Action", "Mint-Error")
      .add("Message-Id", msg.Id)
      .add("Error", "Only the Process Owner can mint new " + TICKER + " tokens!");
    msg.reply(r);
  }
});

Handlers.add("totalSupply", hasMatchingTag("Action", "Total-Supply"), (msg: Msg): void => {
  if (msg.From == Process.Id) throw new Error("Cannot call Total-Supply from the same process!");
  const r = new OutMessage();
  r.add("Action", "Total-Supply").add("Ticker", TICKER);
  r.Data = TotalSupply.toString();
  msg.reply(r);
});

Handlers.add("burn", hasMatchingTag("Action", "Burn"), (msg: Msg): void => {
  const q = quantity(msg, null);
  const bal = balanceOf(msg.From);
  if (!q.le(bal)) throw new Error("Quantity must be less than or equal to the current balance!");
  Balances.set(msg.From, bal.sub(q));
  TotalSupply = TotalSupply.sub(q);
  const r = new OutMessage();
  r.Data = GRAY + "Successfully burned " + BLUE + q.toString() + RESET;
  msg.reply(r);
});

// Messages without an Action (the spawn message at slot 0, plain data) are accepted and ignored; any
// other Action is an error.
Handlers.setDefault((msg: Msg): void => {
  const action = msg.get("Action");
  if (action !== null) throw new Error("Unknown Action: " + action);
});
