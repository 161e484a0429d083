import { expect } from "chai";

import { Output, toJson } from "../../../cli/lib/output";
import { bufferStreams } from "../helpers";

describe("cli/lib/output", function () {
  it("prints results as text for people", function () {
    const streams = bufferStreams();
    new Output({}, streams).result("ready", { port: 8545 }, () => "Ready on 8545");
    expect(streams.out()).to.equal("Ready on 8545\n");
    expect(streams.err()).to.equal("");
  });

  it("prints results as one JSON line per event with --json, bigints as decimal strings", function () {
    const streams = bufferStreams();
    const out = new Output({ json: true }, streams);
    out.result("ready", { balance: 10n ** 24n, nested: { n: 1n } }, () => "unused");
    out.result("stopped", { reason: "SIGINT" }, () => "unused");
    const lines = streams.out().trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line))).to.deep.equal([
      { event: "ready", balance: "1000000000000000000000000", nested: { n: "1" } },
      { event: "stopped", reason: "SIGINT" },
    ]);
  });

  it("keeps progress and warnings on stderr, details only with --verbose", function () {
    const streams = bufferStreams();
    const quiet = new Output({ json: true }, streams);
    quiet.progress("Compiling…");
    quiet.detail("hidden");
    quiet.warn("careful");
    new Output({ verbose: true }, streams).detail("shown");
    expect(streams.out()).to.equal("");
    expect(streams.err()).to.equal("Compiling…\nwarning: careful\nshown\n");
  });

  it("serializes bigints anywhere", function () {
    expect(toJson([1n, { a: 2n }])).to.equal('["1",{"a":"2"}]');
  });
});
