/** ArLocal (npm `arlocal`), a local Arweave gateway, for the devnet: its data in a directory of ours. */
import fs from "node:fs";
import net from "node:net";

import { assertListenable } from "../lib/net";

export interface RunningArLocal {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on `host`. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts ArLocal on `port` (0: a free one) with its database in `dir` (created).
 *
 * @throws CliError `E_PORT_IN_USE` when the port is taken.
 */
export async function startArLocal(port: number, dir: string): Promise<RunningArLocal> {
  const chosen = port === 0 ? await freePort() : port;
  // ArLocal's server has no error handler: a taken port would crash the process, so check first.
  await assertListenable("127.0.0.1", chosen);
  fs.mkdirSync(dir, { recursive: true });
  // Loaded here: only a devnet with agents needs it.
  const { default: ArLocal } = await import("arlocal");
  const arlocal = new ArLocal(chosen, false, dir, false);
  // It prints "arlocal started on port …" with console.log once listening (after start() resolves): keep
  // stdout for results by dropping that line.
  const log = console.log;
  console.log = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("arlocal started on port")) {
      console.log = log;
      return;
    }
    log(...args);
  };
  // Its Apollo server installs SIGINT/SIGTERM handlers that stop it and then re-send the signal to this
  // process, which would cut the devnet's own clean shutdown short: they are removed.
  const before = new Map((["SIGINT", "SIGTERM"] as const).map((s) => [s, process.listeners(s)]));
  try {
    await arlocal.start();
  } catch (error) {
    console.log = log;
    throw error;
  } finally {
    for (const [signal, kept] of before) {
      for (const listener of process.listeners(signal)) {
        if (!kept.includes(listener)) process.off(signal, listener);
      }
    }
  }
  return {
    url: `http://127.0.0.1:${chosen}`,
    port: chosen,
    async stop() {
      await arlocal.stop();
    },
  };
}
