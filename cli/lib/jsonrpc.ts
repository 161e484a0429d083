/**
 * Serving an in-process Hardhat network over HTTP and WebSocket JSON-RPC, as `npx hardhat node` does,
 * through Hardhat's own `node:create-server` subtask.
 */
import type { EventEmitter } from "node:events";
import type { Server } from "node:http";

import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import type { HardhatRuntimeEnvironment, JsonRpcServer } from "hardhat/types";

import { listenError } from "./net";

/** A listening JSON-RPC server. */
export interface RunningJsonRpcServer {
  /** The address and port it listens on (the actual port when 0 was asked for). */
  address: string;
  port: number;
  /**
   * Stops it: no new connections, open WebSocket clients closed; HTTP connections still busy after
   * `graceMs` are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** The parts of Hardhat's `JsonRpcServer` that its interface does not declare. */
interface JsonRpcServerInternals {
  _httpServer?: Server;
  _wsServer?: EventEmitter;
}

/**
 * Serves `hre.network.provider` (the in-process Hardhat network) on `host:port`.
 *
 * @throws CliError naming the port if it is in use, or the host if it cannot be listened on.
 */
export async function startJsonRpcServer(
  hre: HardhatRuntimeEnvironment,
  host: string,
  port: number,
): Promise<RunningJsonRpcServer> {
  const server = (await hre.run(TASK_NODE_CREATE_SERVER, {
    hostname: host,
    port,
    provider: hre.network.provider,
  })) as JsonRpcServer;
  const { _httpServer: http, _wsServer: ws } = server as unknown as JsonRpcServerInternals;

  // Hardhat's listen() never settles if listening fails, and the WebSocket server re-emits the HTTP
  // server's error as an unhandled event: catch it and turn it into a rejection naming the port.
  ws?.on("error", () => undefined);
  let onError: (error: NodeJS.ErrnoException) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    onError = (error) => reject(listenError(error, host, port));
    http?.once("error", onError);
  });
  failed.catch(() => undefined); // handled by the race below; never an unhandled rejection
  const bound = await Promise.race([server.listen(), failed]);
  http?.off("error", onError);

  return {
    address: bound.address,
    port: bound.port,
    close: async (graceMs = 3_000) => {
      const closed = server.close();
      const timer = setTimeout(() => http?.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
