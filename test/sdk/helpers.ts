/**
 * Shared by test/sdk and test/processes: builds the modules (cached by mtime, see
 * scripts/build-processes.ts) and drives a process through the V8 host like a scheduler would:
 * consecutive slots, one message id per slot, the process id as the target.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { buildProcess, compileModule, checkModule, ROOT, SDK_DIR } from "../../scripts/build-processes";
import {
  ProcessHost,
  parseAddress,
  viewOutbound,
  type HostOptions,
  type HostOutcome,
  type OutboundView,
} from "../../sdk/host";
import { RESULT_KIND } from "../../machine/process";
import type { Message } from "../../machine/process/message";

const built = new Map<string, Uint8Array>();

/** The binary of example process `name` (built and checked on first use). */
export function processWasm(name: string): Uint8Array {
  let b = built.get(name);
  if (!b) {
    buildProcess(name);
    b = new Uint8Array(fs.readFileSync(path.join(ROOT, "build", "processes", `${name}.wasm`)));
    built.set(name, b);
  }
  return b;
}

/**
 * The binary of the SDK probe process (sdk/probe/assembly/index.ts; it lives outside test/ because
 * `hardhat test` loads every .ts file under test/).
 */
export function probeWasm(): Uint8Array {
  let b = built.get("#probe");
  if (!b) {
    b = compileModule("sdk/probe/assembly/index.ts", path.join(ROOT, "build", "test", "probe.wasm"), [
      SDK_DIR,
      path.join(ROOT, "sdk", "probe"),
    ]);
    checkModule(b);
    built.set("#probe", b);
  }
  return b;
}

/** 32 deterministic bytes from a label. */
export function bytes32(label: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(label).digest());
}

/** An Arweave-style address (base64url of 32 bytes) from a label. */
export function arAddress(label: string): string {
  const b = bytes32(label);
  b[0] |= 1; // never 12 leading zero bytes
  return Buffer.from(b).toString("base64url");
}

/** An Ethereum address (0x + 40 lowercase hex) from a label. */
export function ethAddress(label: string): string {
  return "0x" + Buffer.from(bytes32(label).subarray(0, 20)).toString("hex");
}

export type TagsIn = Record<string, string> | { name: string; value: string }[];

export interface Outcome extends HostOutcome {
  ok: boolean;
  /** Outbound messages, decoded. */
  messages: OutboundView[];
  spawns: OutboundView[];
  /** The output items, concatenated, as text. */
  output: string;
  /** The message as sent. */
  message: Message;
}

export interface SendOptions {
  data?: string | Uint8Array;
  slot?: bigint;
  id?: Uint8Array;
  timestamp?: bigint;
  blockHeight?: bigint;
}

/** A process under test: a V8 host plus a scheduler's slot counter. */
export class Harness {
  nextSlot = 0n;
  readonly processId: string;

  private constructor(
    readonly host: ProcessHost,
    readonly processIdBytes: Uint8Array,
  ) {
    this.processId = Buffer.from(processIdBytes).toString("base64url");
  }

  static async create(wasm: Uint8Array, opts: HostOptions & { processId?: string } = {}): Promise<Harness> {
    const host = await ProcessHost.instantiate(wasm, opts);
    const pid = bytes32(opts.processId ?? "process");
    pid[0] |= 1;
    return new Harness(host, pid);
  }

  /** The message a `send` would run (without running it). */
  message(from: string | Uint8Array, tags: TagsIn, opts: SendOptions = {}): Message {
    const slot = opts.slot ?? this.nextSlot;
    const data = opts.data ?? "";
    return {
      id: opts.id ?? bytes32(`message ${slot}`),
      from: typeof from === "string" ? parseAddress(from) : from,
      target: this.processIdBytes,
      slot,
      timestamp: opts.timestamp ?? 1_700_000_000_000n + slot,
      blockHeight: opts.blockHeight ?? 1_500_000n,
      tags: Array.isArray(tags) ? tags : Object.entries(tags).map(([name, value]) => ({ name, value })),
      data: typeof data === "string" ? new TextEncoder().encode(data) : data,
    };
  }

  /** Runs a message at the next slot (or `opts.slot`). */
  send(from: string | Uint8Array, tags: TagsIn, opts: SendOptions = {}): Outcome {
    const message = this.message(from, tags, opts);
    if (opts.slot === undefined) this.nextSlot++;
    return withViews(this.host.handleMessage(message), message);
  }
}

/** Adds decoded views to a host outcome. */
export function withViews(o: HostOutcome, message: Message): Outcome {
  const items = o.result.ok ? o.result.items : [];
  const td = new TextDecoder();
  return {
    ...o,
    ok: o.result.ok,
    messages: items.filter((i) => i.kind === RESULT_KIND.message).map((i) => viewOutbound(i.bytes)),
    spawns: items.filter((i) => i.kind === RESULT_KIND.spawn).map((i) => viewOutbound(i.bytes)),
    output: items
      .filter((i) => i.kind === RESULT_KIND.output)
      .map((i) => td.decode(i.bytes))
      .join(""),
    message,
  };
}

/** The tags of an outbound message as name → value pairs, in order. */
export function tagPairs(m: OutboundView): [string, string][] {
  return m.Tags.map((t) => [t.name, t.value]);
}

// wabt is CommonJS with an async factory.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wabtFactory: () => Promise<Wabt> = require("wabt");
interface Wabt {
  parseWat(
    name: string,
    src: string,
    features?: Record<string, boolean>,
  ): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void };
}
let wabt: Wabt | undefined;

/** Compiles WebAssembly text to a binary (for hand-written host tests). */
export async function wat(src: string): Promise<Uint8Array> {
  wabt ??= await wabtFactory();
  const m = wabt.parseWat("test.wat", src, {
    bulk_memory: true,
    sign_extension: true,
    mutable_globals: true,
  });
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}
