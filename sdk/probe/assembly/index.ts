// A test process that exposes the SDK to its tests (test/sdk/*.test.ts): it echoes the decoded message,
// sends and spawns what it is told, fails in every way, and registers handlers with every kind of pattern.

import {
  Handlers,
  JsonObject,
  Msg,
  OutMessage,
  Process,
  U128,
  allOf,
  anyOf,
  canonicalAddress,
  continuing,
  hasMatchingData,
  hasMatchingTag,
  hasMatchingTagOf,
  jsonString,
  matching,
  matchingResult,
  MATCH_CONTINUE,
  MATCH_SKIP,
  output,
  print,
  send,
  spawn,
  toHex,
  always,
} from "../../assembly";
export { handle } from "../../assembly";

let stored = "";

function echo(msg: Msg): string {
  const tags = new Array<string>();
  for (let i = 0; i < msg.Tags.length; i++) {
    const t = msg.Tags.at(i);
    tags.push("[" + jsonString(t.name) + "," + jsonString(t.value) + "]");
  }
  const j = new JsonObject();
  j.set("Id", msg.Id).set("From", msg.From).set("Target", msg.Target);
  j.set("Slot", msg.Slot.toString()).set("Timestamp", msg.Timestamp.toString());
  j.set("BlockHeight", msg.BlockHeight.toString());
  j.setRaw("Tags", "[" + tags.join(",") + "]");
  j.set("Data", msg.Data).set("DataHex", toHex(msg.DataBytes));
  j.set("IdHex", toHex(msg.IdBytes))
    .set("FromHex", toHex(msg.FromBytes))
    .set("TargetHex", toHex(msg.TargetBytes));
  j.set("Owner", Process.Owner).set("ProcessId", Process.Id).set("Handled", Process.Handled.toString());
  const first = msg.get("Dup");
  j.set("FirstDup", first !== null ? first : "(none)");
  j.set("AllDup", msg.Tags.getAll("Dup").join("|"));
  return j.toString();
}

/** The message's tags named "Out-<name>", as <name>. */
function outTags(msg: Msg, m: OutMessage): void {
  for (let i = 0; i < msg.Tags.length; i++) {
    const t = msg.Tags.at(i);
    if (t.name.startsWith("Out-")) m.add(t.name.substring(4), t.value);
  }
}

Handlers.add("echo", hasMatchingTag("Action", "Echo"), (msg: Msg): void => {
  output(echo(msg));
});

Handlers.add("send", hasMatchingTag("Action", "Send"), (msg: Msg): void => {
  const m = new OutMessage();
  m.Target = msg.get("To")!;
  outTags(msg, m);
  m.DataBytes = msg.DataBytes;
  output(send(m));
});

Handlers.add("send-text", hasMatchingTag("Action", "Send-Text"), (msg: Msg): void => {
  output(
    send({
      Target: msg.get("To")!,
      Tags: [{ name: "Action", value: "Text" }],
      Data: msg.Data,
      DataBytes: null,
    }),
  );
});

Handlers.add("spawn", hasMatchingTag("Action", "Spawn"), (msg: Msg): void => {
  const m = new OutMessage();
  outTags(msg, m);
  m.DataBytes = msg.DataBytes;
  output(spawn(msg.get("Module")!, m));
});

Handlers.add("reply", hasMatchingTag("Action", "Reply"), (msg: Msg): void => {
  const m = new OutMessage();
  m.add("Action", "Replied");
  outTags(msg, m);
  m.Data = msg.Data;
  msg.reply(m);
});

Handlers.add("reply-data", hasMatchingTag("Action", "Reply-Data"), (msg: Msg): void => {
  msg.replyData(msg.Data);
});

Handlers.add("fail", hasMatchingTag("Action", "Fail"), (msg: Msg): void => {
  print("before the failure");
  send({ Target: msg.From, Tags: [], Data: "lost", DataBytes: null });
  stored = "changed by a failed message";
  throw new Error(msg.Data);
});

Handlers.add("assert", hasMatchingTag("Action", "Assert"), (msg: Msg): void => {
  assert(msg.Data == "ok", "assertion: " + msg.Data);
  output("asserted");
});

Handlers.add("index", hasMatchingTag("Action", "Index"), (_msg: Msg): void => {
  const a = new Array<i32>(1);
  output(a[5].toString());
});

Handlers.add("trap", hasMatchingTag("Action", "Trap"), (msg: Msg): void => {
  const z = <i32>msg.Data.length;
  output((10 / (z - z)).toString());
});

Handlers.add("print", hasMatchingTag("Action", "Print"), (msg: Msg): void => {
  print(msg.Data);
  output("|");
  print("second");
});

Handlers.add("address", hasMatchingTag("Action", "Address"), (msg: Msg): void => {
  const c = canonicalAddress(msg.get("Addr")!);
  output(c !== null ? c : "invalid");
});

Handlers.add("u128", hasMatchingTag("Action", "U128"), (msg: Msg): void => {
  const op = msg.get("Op")!;
  const a = msg.get("A")!;
  if (op == "parse") {
    const e = U128.parseError(a);
    output(e.length != 0 ? "error: " + e : U128.parse(a)!.toString());
    return;
  }
  const x = U128.parse(a)!;
  const y = U128.parse(msg.get("B")!)!;
  if (op == "add") {
    const r = x.addChecked(y);
    output(r !== null ? r.toString() : "overflow");
  } else if (op == "sub") {
    const r = x.subChecked(y);
    output(r !== null ? r.toString() : "underflow");
  } else if (op == "cmp") {
    output(x.cmp(y).toString());
  }
});

Handlers.add("set", hasMatchingTag("Action", "Set"), (msg: Msg): void => {
  stored = msg.Data;
});

Handlers.add("get", hasMatchingTag("Action", "Get"), (_msg: Msg): void => {
  output(stored);
});

Handlers.add("grow", hasMatchingTag("Action", "Grow"), (msg: Msg): void => {
  const pages = <i32>U128.parse(msg.get("Pages")!)!.lo;
  const before = memory.grow(pages);
  output(before.toString() + "/" + memory.size().toString());
  if (msg.Tags.has("Then-Fail")) throw new Error("failed after growing");
});

Handlers.add("names", hasMatchingTag("Action", "Names"), (_msg: Msg): void => {
  output(Handlers.names().join(","));
});

Handlers.add("add-dyn", hasMatchingTag("Action", "Add-Dyn"), (_msg: Msg): void => {
  Handlers.add("dyn", hasMatchingTag("Kind", "Dyn"), (_m: Msg): void => print("dyn"));
});

Handlers.add("remove-dyn", hasMatchingTag("Action", "Remove-Dyn"), (_msg: Msg): void => {
  output(Handlers.remove("dyn") ? "removed" : "absent");
});

// ---- pattern matching (messages with a Kind tag) ----------------------------------------------------

Handlers.add("tag-of", hasMatchingTagOf("Kind", ["A", "B"]), (_m: Msg): void => print("tag-of"));
Handlers.add("continue", continuing(hasMatchingTag("Kind", "C")), (_m: Msg): void => print("continue"));
Handlers.add("continue-2", continuing(hasMatchingTagOf("Kind", ["C", "C2"])), (_m: Msg): void =>
  print("continue-2"),
);
Handlers.add("data", allOf([hasMatchingTag("Kind", "Data"), hasMatchingData("ping")]), (_m: Msg): void =>
  print("data"),
);
Handlers.add(
  "fn",
  matching((m: Msg): bool => m.Tags.has("Magic")),
  (_m: Msg): void => print("fn"),
);
Handlers.add(
  "result",
  matchingResult((m: Msg): i32 => (m.Tags.has("Both") ? MATCH_CONTINUE : MATCH_SKIP)),
  (_m: Msg): void => print("result"),
);
Handlers.add("any", anyOf([hasMatchingTag("Kind", "X"), hasMatchingTag("Kind", "Y")]), (_m: Msg): void =>
  print("any"),
);
Handlers.once("once", hasMatchingTag("Kind", "Once"), (_m: Msg): void => print("once"));
Handlers.add("twice", hasMatchingTag("Kind", "Twice"), (_m: Msg): void => print("twice"), 2);
Handlers.prepend("first", hasMatchingTag("Kind", "First"), (_m: Msg): void => print("first"));
Handlers.add("replaced", hasMatchingTag("Kind", "Old"), (_m: Msg): void => print("old"));
Handlers.add("replaced", hasMatchingTag("Kind", "New"), (_m: Msg): void => print("new"));
Handlers.add("everything", continuing(always()), (m: Msg): void => {
  if (m.Tags.has("Kind")) print("everything");
});

Handlers.setDefault((msg: Msg): void => {
  if (msg.Tags.has("Kind")) print("default");
});
