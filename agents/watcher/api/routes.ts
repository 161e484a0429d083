/**
 * The watcher's HTTP API: `/healthz`, `/metrics` (createHttpServer), and two status pages:
 *
 * - `GET /checks` — every commitment seen, with its verdict (`pending | agree | disagree | badParent`)
 * - `GET /games` — every game played, with its role, side, status and clocks
 */
import type { GamePlayer } from "../../common/games";
import { createHttpServer, type HttpServer } from "../../common/http";
import type { Logger } from "../../common/log";
import type { AgentMetrics } from "../../common/metrics";
import type { Watcher } from "../domain/watcher";

export function createWatcherApi(o: {
  watcher: Watcher;
  player: GamePlayer;
  logger: Logger;
  metrics: AgentMetrics;
}): HttpServer {
  const app = createHttpServer({ logger: o.logger, metrics: o.metrics, agent: "watcher" });
  const json = (v: unknown) =>
    JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x))) as unknown;
  app.get("/checks", () => json(o.watcher.checks()));
  app.get("/games", () => json(o.player.games()));
  return app;
}
