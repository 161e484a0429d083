// A counter: Increment / Decrement (by the optional `By` tag, default 1), Get, Reset. The value is an
// i64 in memory; every action replies to the sender with the value. Messages with no matching action
// are ignored (no default handler).

import { Handlers, hasMatchingTag, Msg, OutMessage, U128, print, tag } from "../../../sdk/assembly";
export { handle } from "../../../sdk/assembly";

let count: i64 = 0;

function by(msg: Msg): i64 {
  const s = msg.get("By");
  if (s === null) return 1;
  const err = U128.parseError(s);
  if (err.length != 0) throw new Error("Invalid By: " + err);
  const v = U128.parse(s)!;
  if (v.hi != 0 || v.lo > <u64>i64.MAX_VALUE) throw new Error("Invalid By: exceeds 2^63 - 1");
  return <i64>v.lo;
}

function replyCount(msg: Msg, action: string): void {
  const value = count.toString();
  const r = new OutMessage();
  r.Tags = [tag("Action", action), tag("Count", value)];
  r.Data = value;
  msg.reply(r);
  print(action + ": " + value);
}

Handlers.add("increment", hasMatchingTag("Action", "Increment"), (msg: Msg): void => {
  const d = by(msg);
  if (count > i64.MAX_VALUE - d) throw new Error("Counter overflow");
  count += d;
  replyCount(msg, "Incremented");
});

Handlers.add("decrement", hasMatchingTag("Action", "Decrement"), (msg: Msg): void => {
  const d = by(msg);
  if (count < i64.MIN_VALUE + d) throw new Error("Counter underflow");
  count -= d;
  replyCount(msg, "Decremented");
});

Handlers.add("get", hasMatchingTag("Action", "Get"), (msg: Msg): void => {
  replyCount(msg, "Count");
});

Handlers.add("reset", hasMatchingTag("Action", "Reset"), (msg: Msg): void => {
  count = 0;
  replyCount(msg, "Reset");
});
