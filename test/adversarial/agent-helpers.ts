/**
 * Shared pieces of the adversarial agent tests (test/adversarial/agents.test.ts, fuzz-http.test.ts): a
 * tampering HTTP proxy (in front of ArLocal, the SU or the JSON-RPC server), a logger that keeps its JSON
 * lines, and a free-port helper.
 */
import http from "node:http";
import net from "node:net";
import { Writable } from "node:stream";

import { createLogger, type Logger } from "../../agents/common/log";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A logger whose JSON lines are kept in `lines`. */
export function capturingLogger(agent: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n")) {
        if (l.trim() !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ agent, level: "debug", destination: stream }), lines };
}

/** A request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  url: string;
  body: Buffer;
}

/** An upstream answer, which a tamper function may rewrite. */
export interface ProxiedResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * Rewrites an answer (return it changed, or a new one); `undefined` passes it on unchanged. Called before
 * the request is forwarded with `response` undefined: returning an answer then answers without asking
 * upstream.
 */
export type Tamper = (
  request: ProxiedRequest,
  response: ProxiedResponse | undefined,
) => ProxiedResponse | undefined | Promise<ProxiedResponse | undefined>;

export interface TamperingProxy {
  url: string;
  /** The tamper function in force (replace it between steps; `undefined`: an honest proxy). */
  tamper: Tamper | undefined;
  /** Requests seen, and how many answers were changed. */
  seen: ProxiedRequest[];
  tampered: number;
  close(): Promise<void>;
}

/** An HTTP proxy to `upstream` (an origin) whose answers go through `proxy.tamper`. */
export async function startTamperingProxy(upstream: string): Promise<TamperingProxy> {
  const proxy: TamperingProxy = {
    url: "",
    tamper: undefined,
    seen: [],
    tampered: 0,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const request: ProxiedRequest = {
          method: req.method ?? "GET",
          url: req.url ?? "/",
          body: Buffer.concat(chunks),
        };
        proxy.seen.push(request);
        try {
          let answer = await proxy.tamper?.(request, undefined);
          if (answer !== undefined) {
            proxy.tampered += 1;
          } else {
            const headers: Record<string, string> = {};
            if (req.headers["content-type"] !== undefined)
              headers["content-type"] = req.headers["content-type"];
            const up = await fetch(`${upstream}${request.url}`, {
              method: request.method,
              headers,
              body: request.method === "GET" || request.method === "HEAD" ? undefined : request.body,
            });
            const original: ProxiedResponse = {
              status: up.status,
              contentType: up.headers.get("content-type") ?? "application/octet-stream",
              body: Buffer.from(await up.arrayBuffer()),
            };
            const changed = await proxy.tamper?.(request, original);
            if (changed !== undefined) proxy.tampered += 1;
            answer = changed ?? original;
          }
          res.writeHead(answer.status, {
            "content-type": answer.contentType,
            "content-length": answer.body.length,
          });
          res.end(answer.body);
        } catch (error) {
          res.writeHead(502, { "content-type": "text/plain" });
          res.end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

/** A JSON answer. */
export function jsonAnswer(value: unknown, status = 200): ProxiedResponse {
  return { status, contentType: "application/json", body: Buffer.from(JSON.stringify(value)) };
}

/** The JSON-RPC method(s) of a proxied request (a batch gives several). */
export function rpcMethods(request: ProxiedRequest): string[] {
  try {
    const parsed = JSON.parse(request.body.toString("utf8")) as { method?: string } | { method?: string }[];
    return (Array.isArray(parsed) ? parsed : [parsed]).map((p) => String(p.method));
  } catch {
    return [];
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
