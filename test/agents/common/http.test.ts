import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";

import { expect } from "chai";
import { z } from "zod";

import { HttpError, createHttpServer, validate, type HttpServer } from "../../../agents/common/http";
import { createLogger } from "../../../agents/common/log";
import { createMetrics, type AgentMetrics } from "../../../agents/common/metrics";

const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
    version: string;
  }
).version;

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
    lines: () =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("agents/common/http", function () {
  let app: HttpServer;
  let metrics: AgentMetrics;
  let logs: ReturnType<typeof capture>;
  let ready: { ok: boolean; reason?: string } | Error;

  beforeEach(async function () {
    logs = capture();
    metrics = createMetrics({ agent: "su", defaultMetrics: false });
    ready = { ok: true };
    app = createHttpServer({
      logger: createLogger({ agent: "su", level: "info", destination: logs.stream }),
      metrics,
      agent: "su",
      bodyLimit: 64,
      readiness: () => {
        if (ready instanceof Error) throw ready;
        return ready;
      },
    });
    app.post("/echo", async (request) => ({ got: request.body }));
    app.post("/items", async (request) => {
      const body = validate(
        z.object({ name: z.string().min(1), count: z.number().int() }),
        request.body,
        "body",
      );
      return { created: body.name };
    });
    app.get("/teapot", async () => {
      throw new HttpError(422, "UnknownProcess", "process abc is not scheduled here", "params.process");
    });
    app.get("/busy", async () => {
      throw new HttpError(503, "PublishBacklogFull", "1000 accepted slots are not yet published");
    });
    app.get("/broken", async () => {
      throw new HttpError(502, "GatewayFailed", "the gateway answered garbage");
    });
    app.get("/boom", async () => {
      throw new Error("SQLITE_CORRUPT at /var/lib/holo/su.sqlite");
    });
    app.post("/blob", async (request) => ({ bytes: (request.body as Buffer).length }));
    app.get("/result/:message", async (request) => ({
      message: (request.params as { message: string }).message,
    }));
    await app.ready();
  });

  afterEach(async function () {
    await app.close();
  });

  it("answers an unknown route with 404 NotFound", async function () {
    const res = await app.inject({ method: "GET", url: "/nope?x=1" });
    expect(res.statusCode).to.equal(404);
    expect(res.headers["content-type"]).to.match(/^application\/json/);
    expect(res.json()).to.deep.equal({ error: "NotFound", message: "no route for GET /nope?x=1" });
  });

  it("answers malformed and empty JSON with 400 MalformedJson", async function () {
    const bad = await app.inject({
      method: "POST",
      url: "/echo",
      payload: '{"a":',
      headers: { "content-type": "application/json" },
    });
    expect(bad.statusCode).to.equal(400);
    expect(bad.json()).to.deep.equal({
      error: "MalformedJson",
      message: "Body is not valid JSON but content-type is set to 'application/json'",
    });
    const empty = await app.inject({
      method: "POST",
      url: "/echo",
      payload: "",
      headers: { "content-type": "application/json" },
    });
    expect(empty.statusCode).to.equal(400);
    expect(empty.json().error).to.equal("MalformedJson");
  });

  it("answers an oversize body with 413 PayloadTooLarge, JSON or binary", async function () {
    const json = await app.inject({ method: "POST", url: "/echo", payload: { text: "x".repeat(100) } });
    expect(json.statusCode).to.equal(413);
    expect(json.json()).to.deep.equal({
      error: "PayloadTooLarge",
      message: "request body is larger than the limit of 64 bytes",
    });
    const binary = await app.inject({
      method: "POST",
      url: "/blob",
      payload: Buffer.alloc(65),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(binary.statusCode).to.equal(413);
    expect(binary.json().error).to.equal("PayloadTooLarge");
    const fits = await app.inject({
      method: "POST",
      url: "/blob",
      payload: Buffer.alloc(64),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(fits.statusCode).to.equal(200);
    expect(fits.json()).to.deep.equal({ bytes: 64 });
  });

  it("answers an unsupported content type with 415", async function () {
    const res = await app.inject({
      method: "POST",
      url: "/echo",
      payload: "<a/>",
      headers: { "content-type": "text/xml" },
    });
    expect(res.statusCode).to.equal(415);
    expect(res.json().error).to.equal("UnsupportedMediaType");
  });

  it("maps HttpError to its status, name, message and field", async function () {
    const res = await app.inject({ method: "GET", url: "/teapot" });
    expect(res.statusCode).to.equal(422);
    expect(res.json()).to.deep.equal({
      error: "UnknownProcess",
      message: "process abc is not scheduled here",
      field: "params.process",
    });
  });

  it("logs a deliberate 503 (flow control) at warn without a stack, other HttpError 5xx at error (the paging rule)", async function () {
    const busy = await app.inject({ method: "GET", url: "/busy" });
    expect(busy.statusCode).to.equal(503);
    expect(busy.json().error).to.equal("PublishBacklogFull");
    let lines = logs.lines();
    expect(lines.filter((l) => l.level === "error")).to.deep.equal([]);
    const warned = lines.find((l) => l.level === "warn" && l.error === "PublishBacklogFull");
    expect(warned, "a warn line").not.to.equal(undefined);
    expect(warned!.reason).to.equal("1000 accepted slots are not yet published");
    expect(JSON.stringify(warned)).not.to.include("stack");
    const broken = await app.inject({ method: "GET", url: "/broken" });
    expect(broken.statusCode).to.equal(502);
    lines = logs.lines();
    const logged = lines.find((l) => l.level === "error");
    expect((logged?.err as { message?: string } | undefined)?.message).to.include(
      "the gateway answered garbage",
    );
  });

  it("validate answers 400 ValidationError naming the field", async function () {
    const res = await app.inject({ method: "POST", url: "/items", payload: { name: "", count: 1.5 } });
    expect(res.statusCode).to.equal(400);
    const body = res.json();
    expect(body.error).to.equal("ValidationError");
    expect(body.field).to.equal("body.name");
    expect(body.message).to.match(/^body\.name: .* \(and 1 more\)$/);
    const good = await app.inject({ method: "POST", url: "/items", payload: { name: "a", count: 1 } });
    expect(good.statusCode).to.equal(200);
    expect(good.json()).to.deep.equal({ created: "a" });
  });

  it("answers an unexpected error with 500 and no internals, and logs it at error", async function () {
    const res = await app.inject({ method: "GET", url: "/boom" });
    expect(res.statusCode).to.equal(500);
    const body = res.json();
    expect(body.error).to.equal("InternalError");
    expect(body.message).to.match(/^internal error \(request .+\)$/);
    expect(res.body).not.to.include("SQLITE");
    expect(res.body).not.to.include("/var/lib");
    const logged = logs.lines().find((l) => l.level === "error");
    expect(logged, "an error line").not.to.equal(undefined);
    expect(logged!.agent).to.equal("su");
    expect((logged!.err as { message: string }).message).to.equal(
      "SQLITE_CORRUPT at /var/lib/holo/su.sqlite",
    );
    expect(logged!.route).to.equal("/boom");
  });

  it("GET /healthz reports ok, agent and version, and 503 when not ready", async function () {
    const ok = await app.inject({ method: "GET", url: "/healthz" });
    expect(ok.statusCode).to.equal(200);
    expect(ok.json()).to.deep.equal({ ok: true, agent: "su", version: PACKAGE_VERSION });

    ready = { ok: false, reason: "rpc unreachable" };
    const notReady = await app.inject({ method: "GET", url: "/healthz" });
    expect(notReady.statusCode).to.equal(503);
    expect(notReady.json()).to.deep.equal({
      ok: false,
      reason: "rpc unreachable",
      agent: "su",
      version: PACKAGE_VERSION,
    });

    ready = new Error("database locked at /secret/path");
    const threw = await app.inject({ method: "GET", url: "/healthz" });
    expect(threw.statusCode).to.equal(503);
    expect(threw.json()).to.deep.equal({
      ok: false,
      agent: "su",
      version: PACKAGE_VERSION,
      reason: "readiness check failed",
    });
    expect(logs.lines().some((l) => l.level === "warn" && l.msg === "readiness check threw")).to.equal(true);
  });

  it("GET /healthz without a readiness check is ok; the version can be given", async function () {
    const plain = createHttpServer({
      logger: createLogger({ agent: "cu", level: "silent" }),
      metrics: createMetrics({ agent: "cu", defaultMetrics: false }),
      agent: "cu",
      version: "9.9.9",
    });
    try {
      const res = await plain.inject({ method: "GET", url: "/healthz" });
      expect(res.json()).to.deep.equal({ ok: true, agent: "cu", version: "9.9.9" });
    } finally {
      await plain.close();
    }
  });

  it("counts requests by route pattern and status, and serves them on GET /metrics", async function () {
    await app.inject({ method: "POST", url: "/echo", payload: { a: 1 } });
    await app.inject({ method: "POST", url: "/echo", payload: { a: 2 } });
    await app.inject({ method: "GET", url: "/result/abc" });
    await app.inject({ method: "GET", url: "/result/def" });
    await app.inject({ method: "GET", url: "/nope" });
    await app.inject({ method: "GET", url: "/boom" });

    const counts = Object.fromEntries(
      (await metrics.get("holo_http_requests_total").get()).values.map((v) => [
        `${v.labels.route} ${v.labels.status}`,
        v.value,
      ]),
    );
    expect(counts).to.deep.equal({
      "/echo 200": 2,
      "/result/:message 200": 2,
      "unmatched 404": 1,
      "/boom 500": 1,
    });

    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).to.equal(200);
    expect(res.headers["content-type"]).to.match(/^text\/plain; version=0\.0\.4/);
    expect(res.body).to.include('holo_http_requests_total{route="/result/:message",status="200"} 2');
    expect(res.body).to.include('holo_http_requests_total{route="unmatched",status="404"} 1');
  });

  it("refuses a bad HttpError and a bad body limit", function () {
    expect(() => new HttpError(200, "Fine", "x")).to.throw(
      RangeError,
      /status must be an integer in 400\.\.599, got 200/,
    );
    expect(() => new HttpError(400, "bad name", "x")).to.throw(TypeError, /name must be a PascalCase word/);
    expect(() =>
      createHttpServer({
        logger: createLogger({ agent: "su", level: "silent" }),
        metrics: createMetrics({ agent: "su", defaultMetrics: false }),
        agent: "su",
        bodyLimit: 0,
      }),
    ).to.throw(RangeError, /bodyLimit must be a positive integer of bytes, got 0/);
  });

  it("serves on a real ephemeral port and closes cleanly", async function () {
    const server = createHttpServer({
      logger: createLogger({ agent: "watcher", level: "silent" }),
      metrics: createMetrics({ agent: "watcher", defaultMetrics: false }),
      agent: "watcher",
    });
    const address = await server.listen({ port: 0, host: "127.0.0.1" });
    try {
      expect(address).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${address}/healthz`);
      expect(health.status).to.equal(200);
      expect(await health.json()).to.deep.equal({ ok: true, agent: "watcher", version: PACKAGE_VERSION });
      const missing = await fetch(`${address}/missing`);
      expect(missing.status).to.equal(404);
      expect(await missing.json()).to.deep.include({ error: "NotFound" });
    } finally {
      await server.close();
    }
    expect(server.server.listening).to.equal(false);
    let refused: unknown;
    try {
      await fetch(`${address}/healthz`);
    } catch (e) {
      refused = e;
    }
    expect(refused, "the port is closed").to.be.instanceOf(TypeError);
  });
});
