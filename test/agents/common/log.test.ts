import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

import { expect } from "chai";

import {
  PAGE_REASONS,
  PAGING_LEVELS,
  LOG_LEVELS,
  createLogger,
  logPage,
  pages,
  withContext,
  type LogLevel,
  type PageReason,
} from "../../../agents/common/log";

/** A destination that keeps what pino writes. */
function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString("utf8");
      callback();
    },
  });
  return {
    stream,
    raw: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("agents/common/log", function () {
  it("writes one JSON object per line with agent, level name, ISO time and message", function () {
    const out = capture();
    const logger = createLogger({ agent: "su", level: "debug", destination: out.stream });
    logger.info({ slot: 7 }, "slot assigned");
    logger.debug("details");
    const [first, second] = out.lines();
    expect(first.agent).to.equal("su");
    expect(first.level).to.equal("info");
    expect(first.msg).to.equal("slot assigned");
    expect(first.slot).to.equal(7);
    expect(first.time).to.be.a("string").and.match(ISO_TIME);
    expect(Math.abs(Date.parse(first.time as string) - Date.now())).to.be.lessThan(60_000);
    expect(second.level).to.equal("debug");
    expect(out.raw().endsWith("\n")).to.equal(true);
  });

  it("redacts privateKey, nested privateKey and authorization; the secret is nowhere in the output", function () {
    const out = capture();
    const logger = createLogger({ agent: "cu", destination: out.stream });
    const key = "0x" + "ab".repeat(32);
    logger.info(
      {
        privateKey: key,
        config: { privateKey: key, rpcUrl: "http://127.0.0.1:8545" },
        authorization: "Bearer top-secret",
        req: { headers: { authorization: "Bearer top-secret", host: "x" } },
      },
      "starting",
    );
    const [line] = out.lines();
    expect(line.privateKey).to.equal("[redacted]");
    expect(line.config).to.deep.equal({ privateKey: "[redacted]", rpcUrl: "http://127.0.0.1:8545" });
    expect(line.authorization).to.equal("[redacted]");
    expect(line.req).to.deep.equal({ headers: { authorization: "[redacted]", host: "x" } });
    expect(out.raw()).not.to.include("ab".repeat(32));
    expect(out.raw()).not.to.include("top-secret");
  });

  it("child loggers carry their context; the parent does not", function () {
    const out = capture();
    const logger = createLogger({ agent: "watcher", destination: out.stream });
    const game = withContext(logger, { process: "proc-1", gameId: "12", opId: "move:12:0xaa" });
    const slot = withContext(game, { slot: 5 });
    slot.info("move made");
    logger.info("plain");
    const [child, parent] = out.lines();
    expect(child).to.include({
      agent: "watcher",
      process: "proc-1",
      gameId: "12",
      opId: "move:12:0xaa",
      slot: 5,
    });
    expect(parent).not.to.have.any.keys("process", "gameId", "opId", "slot");
  });

  it("drops lines below the level", function () {
    const out = capture();
    const logger = createLogger({ agent: "su", level: "warn", destination: out.stream });
    logger.info("no");
    logger.debug("no");
    logger.warn("yes");
    logger.error("yes too");
    expect(out.lines().map((l) => l.level)).to.deep.equal(["warn", "error"]);
  });

  it("serializes errors with type and message", function () {
    const out = capture();
    const logger = createLogger({ agent: "su", destination: out.stream });
    logger.warn({ err: new TypeError("bad thing") }, "retrying");
    const [line] = out.lines();
    expect(line.err).to.include({ type: "TypeError", message: "bad thing" });
  });

  it("refuses a missing agent name and an unknown level", function () {
    expect(() => createLogger({ agent: "" })).to.throw(TypeError, /`agent` must be a non-empty string/);
    expect(() => createLogger({ agent: "su", level: "loud" as LogLevel })).to.throw(
      TypeError,
      /unknown level "loud"; one of fatal, error, warn, info, debug, trace, silent/,
    );
  });

  describe("the paging rule", function () {
    it("pages on fatal and error only", function () {
      expect([...PAGING_LEVELS]).to.deep.equal(["fatal", "error"]);
      expect(LOG_LEVELS.filter((l) => pages(l))).to.deep.equal(["fatal", "error"]);
    });

    it("matches docs/agents.md §4: fatal and error page, warn/info/debug do not", function () {
      const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "agents.md"), "utf8");
      const section = doc.slice(doc.indexOf("## 4."), doc.indexOf("## 5."));
      expect(section).to.include("**The paging rule**");
      expect(section).to.match(/`fatal` = the agent stopped/);
      expect(section).to.match(/`error` = money or liveness is at risk[^`]*these page/);
      for (const level of ["warn", "info", "debug"]) expect(section).to.include(`\`${level}\` =`);
    });

    it("logPage logs each reason at its level with event page.<reason>", function () {
      const out = capture();
      // even at the quietest useful level, pages get through
      const logger = createLogger({ agent: "cu", level: "error", destination: out.stream });
      const reasons = Object.keys(PAGE_REASONS) as PageReason[];
      for (const reason of reasons) logPage(logger, reason, { gameId: "3" });
      const lines = out.lines();
      expect(lines.map((l) => l.event)).to.deep.equal(reasons.map((r) => `page.${r}`));
      expect(lines.map((l) => l.level)).to.deep.equal(reasons.map((r) => PAGE_REASONS[r]));
      expect(lines.every((l) => l.gameId === "3")).to.equal(true);
      expect(lines.every((l) => PAGING_LEVELS.includes(l.level as LogLevel))).to.equal(true);
      expect(PAGE_REASONS.stopped).to.equal("fatal");
      expect(PAGE_REASONS.moneyAtRisk).to.equal("error");
      expect(PAGE_REASONS.livenessAtRisk).to.equal("error");
    });

    it("logPage takes a message, keeps the event even if a field tries to override it", function () {
      const out = capture();
      const logger = createLogger({ agent: "watcher", destination: out.stream });
      logPage(logger, "clockLow", { event: "other", marginSeconds: 12 }, "game clock low");
      const [line] = out.lines();
      expect(line).to.include({
        event: "page.clockLow",
        level: "error",
        msg: "game clock low",
        marginSeconds: 12,
      });
    });

    it("logPage refuses an unknown reason", function () {
      const logger = createLogger({ agent: "su", level: "silent" });
      expect(() => logPage(logger, "oops" as PageReason)).to.throw(
        TypeError,
        /unknown reason "oops"; one of stopped/,
      );
    });
  });
});
