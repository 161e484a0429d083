/**
 * A tiny WebAssembly keccak-f[1600] engine, assembled at load time from the instruction lists below
 * (no build step, no embedded blob, no dependency).
 *
 * Why not hash-wasm: its hasher needs an async factory, and on our build machines its permutation
 * runs about 1.5 M single-block hashes/s, while this one (25 lanes held in wasm locals, one round per
 * loop iteration) runs about 2 M/s and offers a batch entry point that hashes thousands of
 * `prefix ‖ item` messages per call, which is what a Merkle tree needs. See machine/hash/README.md.
 *
 * Memory layout of the module (one instance per thread, used only synchronously):
 *   [0, 200)              the sponge state, 25 little-endian u64 lanes
 *   [256, 256 + 136)      PREFIX: the domain tag of batch hashes
 *   [1024, 1024 + 192)    the 24 round constants (data segment)
 *   [IN, IN + IN_BYTES)   input area
 *   [OUT, OUT + OUT_BYTES) output area (digests of a batch)
 *
 * Exports:
 *   reset()                                      zero the state
 *   absorb(src, nBlocks)                         state ^= block; permute, for nBlocks blocks of 136 bytes at src
 *   hashItems(pre, preLen, src, itemLen, n, dst) for i < n: dst + 32i = keccak256(pre[0..preLen) ‖
 *                                                src[i·itemLen .. (i+1)·itemLen)); needs preLen + itemLen ≤ 135
 */

export const KECCAK_RATE = 136;
export const STATE_PTR = 0;
export const PREFIX_PTR = 256;
const RC_PTR = 1024;
export const IN_PTR = 65_536;
/** A multiple of the rate so that streamed input is always whole blocks. 963 · 136 = 130,968. */
export const IN_BYTES = KECCAK_RATE * 963;
export const OUT_PTR = IN_PTR + 131_072;
export const OUT_BYTES = 131_072;
const MEMORY_PAGES = (OUT_PTR + OUT_BYTES) / 65_536;

export interface KeccakExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  reset(): void;
  absorb(src: number, nBlocks: number): void;
  hashItems(pre: number, preLen: number, src: number, itemLen: number, count: number, dst: number): void;
}

const ROUND_CONSTANTS: readonly bigint[] = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
];

/** Rotation offsets r[x][y] of the rho step. */
const RHO: readonly (readonly number[])[] = [
  [0, 36, 3, 41, 18],
  [1, 44, 10, 45, 2],
  [62, 6, 43, 15, 61],
  [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14],
];

// ---------------------------------------------------------------- binary encoding helpers

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  while (true) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

const I32 = 0x7f;
const I64 = 0x7e;
const VOID_BLOCK = 0x40;

/** The instructions we need, as byte emitters. */
const op = {
  block: [0x02, VOID_BLOCK],
  loop: [0x03, VOID_BLOCK],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  call: (f: number) => [0x10, ...uleb(f)],
  get: (l: number) => [0x20, ...uleb(l)],
  set: (l: number) => [0x21, ...uleb(l)],
  i64Load: (offset: number) => [0x29, 3, ...uleb(offset)],
  i32Load8u: (offset: number) => [0x2d, 0, ...uleb(offset)],
  i64Store: (offset: number) => [0x37, 3, ...uleb(offset)],
  i32Store8: (offset: number) => [0x3a, 0, ...uleb(offset)],
  i32: (v: number) => [0x41, ...sleb(BigInt(v))],
  i64: (v: bigint) => [0x42, ...sleb(v)],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Or: [0x72],
  i64And: [0x83],
  i64Xor: [0x85],
  i64Rotl: [0x89],
  memoryCopy: [0xfc, 0x0a, 0x00, 0x00],
  memoryFill: [0xfc, 0x0b, 0x00],
};

// ---------------------------------------------------------------- function bodies

/** f0 permute(): keccak-f[1600] on the state at STATE_PTR. Locals: a0..24, b0..24, c0..4, d0..4, r. */
function permuteBody(): number[] {
  const a = (i: number) => i;
  const b = (i: number) => 25 + i;
  const c = (i: number) => 50 + i;
  const d = (i: number) => 55 + i;
  const r = 60;
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  for (let i = 0; i < 25; i++) emit(op.i32(0), op.i64Load(STATE_PTR + 8 * i), op.set(a(i)));
  emit(op.i32(0), op.set(r), op.loop);
  // theta: c[x] = a[x] ^ a[x+5] ^ a[x+10] ^ a[x+15] ^ a[x+20]
  for (let x = 0; x < 5; x++) {
    emit(op.get(a(x)));
    for (let y = 1; y < 5; y++) emit(op.get(a(x + 5 * y)), op.i64Xor);
    emit(op.set(c(x)));
  }
  // d[x] = c[x-1] ^ rotl(c[x+1], 1)
  for (let x = 0; x < 5; x++) {
    emit(op.get(c((x + 4) % 5)), op.get(c((x + 1) % 5)), op.i64(1n), op.i64Rotl, op.i64Xor, op.set(d(x)));
  }
  // theta application + rho + pi: b[y, 2x+3y] = rotl(a[x, y] ^ d[x], r[x][y])
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      const target = y + 5 * ((2 * x + 3 * y) % 5);
      emit(op.get(a(x + 5 * y)), op.get(d(x)), op.i64Xor);
      const rot = RHO[x]![y]!;
      if (rot !== 0) emit(op.i64(BigInt(rot)), op.i64Rotl);
      emit(op.set(b(target)));
    }
  }
  // chi: a[x, y] = b[x, y] ^ (~b[x+1, y] & b[x+2, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      emit(
        op.get(b(x + 5 * y)),
        op.get(b(((x + 1) % 5) + 5 * y)),
        op.i64(-1n),
        op.i64Xor,
        op.get(b(((x + 2) % 5) + 5 * y)),
        op.i64And,
        op.i64Xor,
        op.set(a(x + 5 * y)),
      );
    }
  }
  // iota: a[0] ^= RC[round]; r counts bytes (8 per round)
  emit(op.get(a(0)), op.get(r), op.i64Load(RC_PTR), op.i64Xor, op.set(a(0)));
  emit(op.get(r), op.i32(8), op.i32Add, op.set(r));
  emit(op.get(r), op.i32(8 * 24), op.i32Sub, op.brIf(0), op.end);
  for (let i = 0; i < 25; i++) emit(op.i32(0), op.get(a(i)), op.i64Store(STATE_PTR + 8 * i));
  return code;
}

/** f1 reset(). */
function resetBody(): number[] {
  return [...op.i32(STATE_PTR), ...op.i32(0), ...op.i32(200), ...op.memoryFill];
}

/** f2 absorb(src, nBlocks). Params: 0 src, 1 nBlocks. */
function absorbBody(): number[] {
  const src = 0;
  const n = 1;
  const code: number[] = [...op.block, ...op.loop, ...op.get(n), 0x45 /* i32.eqz */, ...op.brIf(1)];
  for (let i = 0; i < 17; i++) {
    code.push(
      ...op.i32(0),
      ...op.i32(0),
      ...op.i64Load(STATE_PTR + 8 * i),
      ...op.get(src),
      ...op.i64Load(8 * i),
      ...op.i64Xor,
      ...op.i64Store(STATE_PTR + 8 * i),
    );
  }
  code.push(...op.call(0));
  code.push(...op.get(src), ...op.i32(KECCAK_RATE), ...op.i32Add, ...op.set(src));
  code.push(...op.get(n), ...op.i32(1), ...op.i32Sub, ...op.set(n));
  code.push(...op.br(0), ...op.end, ...op.end);
  return code;
}

/** f3 hashItems(pre, preLen, src, itemLen, count, dst). Params 0..5. */
function hashItemsBody(): number[] {
  const [pre, preLen, src, itemLen, count, dst] = [0, 1, 2, 3, 4, 5];
  return [
    ...op.block,
    ...op.loop,
    ...op.get(count),
    0x45, // i32.eqz
    ...op.brIf(1),
    // state = 0; state[0..preLen) = pre; state[preLen..preLen+itemLen) = item (xor into zero = copy)
    ...op.i32(STATE_PTR),
    ...op.i32(0),
    ...op.i32(200),
    ...op.memoryFill,
    ...op.i32(STATE_PTR),
    ...op.get(pre),
    ...op.get(preLen),
    ...op.memoryCopy,
    ...op.get(preLen),
    ...op.get(src),
    ...op.get(itemLen),
    ...op.memoryCopy,
    // padding: 0x01 after the message, 0x80 into the last byte of the rate (message ≤ 135 bytes)
    ...op.get(preLen),
    ...op.get(itemLen),
    ...op.i32Add,
    ...op.i32(1),
    ...op.i32Store8(STATE_PTR),
    ...op.i32(0),
    ...op.i32(0),
    ...op.i32Load8u(STATE_PTR + KECCAK_RATE - 1),
    ...op.i32(0x80),
    ...op.i32Or,
    ...op.i32Store8(STATE_PTR + KECCAK_RATE - 1),
    ...op.call(0),
    ...op.get(dst),
    ...op.i32(STATE_PTR),
    ...op.i32(32),
    ...op.memoryCopy,
    ...op.get(src),
    ...op.get(itemLen),
    ...op.i32Add,
    ...op.set(src),
    ...op.get(dst),
    ...op.i32(32),
    ...op.i32Add,
    ...op.set(dst),
    ...op.get(count),
    ...op.i32(1),
    ...op.i32Sub,
    ...op.set(count),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

function body(locals: number[][], code: number[]): number[] {
  const content = [...vec(locals), ...code, ...op.end];
  return [...uleb(content.length), ...content];
}

/** The module's bytes. Deterministic; exported for tests and for inspection (`wasm2wat`). */
export function keccakWasmBytes(): Uint8Array {
  const typeVoid = [0x60, 0, 0];
  const typeTwo = [0x60, 2, I32, I32, 0];
  const typeSix = [0x60, 6, I32, I32, I32, I32, I32, I32, 0];
  const rcBytes: number[] = [];
  for (const rc of ROUND_CONSTANTS)
    for (let k = 0n; k < 8n; k++) rcBytes.push(Number((rc >> (8n * k)) & 0xffn));
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([typeVoid, typeTwo, typeSix])),
    ...section(3, vec([[0], [0], [1], [2]])),
    ...section(5, vec([[0x00, ...uleb(MEMORY_PAGES)]])),
    ...section(
      7,
      vec([
        [...str("memory"), 0x02, 0],
        [...str("reset"), 0x00, 1],
        [...str("absorb"), 0x00, 2],
        [...str("hashItems"), 0x00, 3],
      ]),
    ),
    ...section(
      10,
      vec([
        body(
          [
            [50, I64],
            [10, I64],
            [1, I32],
          ],
          permuteBody(),
        ),
        body([], resetBody()),
        body([], absorbBody()),
        body([], hashItemsBody()),
      ]),
    ),
    ...section(11, vec([[0x00, ...op.i32(RC_PTR), ...op.end, ...uleb(rcBytes.length), ...rcBytes]])),
  ];
  return Uint8Array.from(bytes);
}

/**
 * The slice of the WebAssembly JS API we use. The project compiles with lib es2022 (no DOM), whose
 * declarations lack `WebAssembly`, so it is typed here, locally, rather than as a global declaration.
 */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/** Compiles and instantiates the engine synchronously (a ~1.3 KB module; allowed everywhere in Node). */
export function instantiateKeccak(): KeccakExports {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const module = new wasm.Module(keccakWasmBytes());
  const instance = new wasm.Instance(module, {});
  return instance.exports as KeccakExports;
}
