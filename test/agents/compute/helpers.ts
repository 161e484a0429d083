/** Shared fixtures of the compute-unit tests: a Hardhat JSON-RPC server, a game system, CUs over a store. */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";

import hre from "hardhat";

import { ChainClient } from "../../../agents/common/chain";
import { createLogger, type Logger } from "../../../agents/common/log";
import type { AgentMetrics } from "../../../agents/common/metrics";
import type { Store } from "../../../agents/common/store";
import { ComputeUnit, type ComputeOptions } from "../../../agents/compute/domain/compute";
import { ListLogSource } from "../../../agents/compute/domain/log-source";
import { openComputeStore } from "../../../agents/compute/domain/store";
import { startJsonRpcServer, type RunningJsonRpcServer } from "../../../cli/lib/jsonrpc";
import type { SlotInput } from "../../../sdk/ts/dispute/trace";
import type { GameSystem } from "../../helpers/game";
import { accountKey } from "../scheduler/helpers";

export const silent = createLogger({ agent: "cu-test", level: "silent" });

/** A logger whose JSON lines are kept in `lines`. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n")) if (l.trim() !== "") lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: createLogger({ agent: "cu-test", level: "debug", destination: stream }), lines };
}

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

export function sourceOf(sys: GameSystem, entries: readonly SlotInput[]): ListLogSource {
  const s = new ListLogSource();
  s.append(sys.process, entries);
  return s;
}

/** The JSON-RPC server, a temp dir, and CUs opened over store files (closed by `closeAll`). */
export class CuFixture {
  server!: RunningJsonRpcServer;
  rpcUrl = "";
  tmp = "";
  private readonly open: { store: Store; chain: ChainClient }[] = [];

  async start(): Promise<void> {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holo-cu-"));
    this.server = await startJsonRpcServer(hre, "127.0.0.1", 0);
    this.rpcUrl = `http://127.0.0.1:${this.server.port}`;
  }

  async stop(): Promise<void> {
    this.closeAll();
    await this.server.close(0);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  file(name: string): string {
    return path.join(this.tmp, name);
  }

  /**
   * Opens a CU over `file`: account 3 (deployGameSystem's `cu`) unless `account` names another Hardhat
   * account (deployGameSystem bonds every account from 2 on). `via` overrides the chain client's RPC (e.g. a
   * tampering proxy), cross-check RPCs and logger; `metrics` goes to the CU and its chain client.
   */
  async makeCu(
    sys: GameSystem,
    file: string,
    source: ListLogSource,
    {
      account = 3,
      via = {},
      ...options
    }: Partial<ComputeOptions> & {
      metrics?: AgentMetrics;
      account?: number;
      via?: { rpcUrl?: string; crossCheckRpcUrls?: string[]; logger?: Logger };
    } = {},
  ): Promise<{ cu: ComputeUnit; store: Store; chain: ChainClient }> {
    const store = openComputeStore(file);
    const chain = await ChainClient.connect({
      rpcUrl: via.rpcUrl ?? this.rpcUrl,
      crossCheckRpcUrls: via.crossCheckRpcUrls,
      wallet: accountKey(account),
      db: store.db,
      chainId: 31337,
      confirmations: 0,
      pollMs: 25,
      retry: { windowMs: 5_000, baseMs: 50, maxMs: 400 },
      logger: via.logger ?? silent,
      metrics: options.metrics,
    });
    this.open.push({ store, chain });
    try {
      const cu = await ComputeUnit.open({
        store,
        chain,
        resultRegistry: await sys.results.getAddress(),
        processRegistry: await sys.processes.getAddress(),
        source,
        processes: [{ id: sys.process, wasm: sys.wasm }],
        commitEverySlots: 3,
        commitEveryMs: 60_000,
        logger: silent,
        pageSize: 4,
        ...options,
      });
      return { cu, store, chain };
    } catch (error) {
      this.closeAll();
      throw error;
    }
  }

  /** Closes every CU's chain client and store (a "crash" between two opens of the same file). */
  closeAll(): void {
    for (const o of this.open.splice(0)) {
      o.chain.close();
      o.store.close();
    }
  }
}
