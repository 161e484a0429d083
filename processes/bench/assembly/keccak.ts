// keccak256 (the original Keccak padding, as Ethereum uses it): Keccak-f[1600] on 25 u64 lanes,
// integer instructions only.

const RC: StaticArray<u64> = [
  0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000, 0x000000000000808b,
  0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008a, 0x0000000000000088,
  0x0000000080008009, 0x000000008000000a, 0x000000008000808b, 0x800000000000008b, 0x8000000000008089,
  0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
  0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
];

// Rotation offsets and lane permutation of the ρ and π steps, in the order of the usual in-place loop.
const ROTC: StaticArray<i32> = [
  1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
];
const PILN: StaticArray<i32> = [
  10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
];

const RATE: i32 = 136;

const bc: usize = memory.data(40);

/** Keccak-f[1600] on the 25 lanes at `st` (200 bytes). */
export function keccakF(st: usize): void {
  for (let round = 0; round < 24; round++) {
    // θ
    for (let i = 0; i < 5; i++) {
      store<u64>(
        bc + ((<usize>i) << 3),
        load<u64>(st + ((<usize>i) << 3)) ^
          load<u64>(st + ((<usize>(i + 5)) << 3)) ^
          load<u64>(st + ((<usize>(i + 10)) << 3)) ^
          load<u64>(st + ((<usize>(i + 15)) << 3)) ^
          load<u64>(st + ((<usize>(i + 20)) << 3)),
      );
    }
    for (let i = 0; i < 5; i++) {
      const t =
        load<u64>(bc + ((<usize>((i + 4) % 5)) << 3)) ^
        rotl<u64>(load<u64>(bc + ((<usize>((i + 1) % 5)) << 3)), 1);
      for (let j = 0; j < 25; j += 5) {
        const a = st + ((<usize>(j + i)) << 3);
        store<u64>(a, load<u64>(a) ^ t);
      }
    }
    // ρ and π
    let t = load<u64>(st + 8);
    for (let i = 0; i < 24; i++) {
      const j = unchecked(PILN[i]);
      const a = st + ((<usize>j) << 3);
      const b = load<u64>(a);
      store<u64>(a, rotl<u64>(t, <u64>unchecked(ROTC[i])));
      t = b;
    }
    // χ
    for (let j = 0; j < 25; j += 5) {
      for (let i = 0; i < 5; i++) store<u64>(bc + ((<usize>i) << 3), load<u64>(st + ((<usize>(j + i)) << 3)));
      for (let i = 0; i < 5; i++) {
        const a = st + ((<usize>(j + i)) << 3);
        store<u64>(
          a,
          load<u64>(a) ^
            (~load<u64>(bc + ((<usize>((i + 1) % 5)) << 3)) & load<u64>(bc + ((<usize>((i + 2) % 5)) << 3))),
        );
      }
    }
    // ι
    store<u64>(st, load<u64>(st) ^ unchecked(RC[round]));
  }
}

const state: usize = memory.data(200);

/** keccak256 of `len` bytes at `ptr`, written to the 32 bytes at `out`. */
export function keccak256(ptr: usize, len: i32, out: usize): void {
  memory.fill(state, 0, 200);
  let off = 0;
  while (len - off >= RATE) {
    for (let i = 0; i < RATE; i++) store<u8>(state + i, load<u8>(state + i) ^ load<u8>(ptr + off + i));
    keccakF(state);
    off += RATE;
  }
  const rest = len - off;
  for (let i = 0; i < rest; i++) store<u8>(state + i, load<u8>(state + i) ^ load<u8>(ptr + off + i));
  store<u8>(state + rest, load<u8>(state + rest) ^ 0x01);
  store<u8>(state + RATE - 1, load<u8>(state + RATE - 1) ^ 0x80);
  keccakF(state);
  memory.copy(out, state, 32);
}
