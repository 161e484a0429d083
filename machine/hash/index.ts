/** Hashing for the machine. See README.md. */
export {
  HASH_BYTES,
  KECCAK_RATE,
  MAX_SINGLE_BLOCK_MESSAGE,
  bytesEqual,
  hashTagged,
  hashTaggedInto,
  hashTaggedItems,
  initHash,
  keccak256,
  keccak256Concat,
  toHex,
} from "./keccak";
