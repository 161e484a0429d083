/** Errors of the memory Merkle tree. A failed operation leaves memory, size and hashes untouched. */

export class MemoryError extends Error {
  override name = "MemoryError";
}

/** An access [address, address + length) outside [0, memorySize). */
export class MemoryOutOfBoundsError extends MemoryError {
  override name = "MemoryOutOfBoundsError";
  constructor(
    readonly address: number,
    readonly length: number,
    readonly memorySize: number,
    readonly operation: string,
  ) {
    super(
      `memory ${operation} out of bounds: [${address}, ${address} + ${length}) outside a memory of ${memorySize} bytes`,
    );
  }
}

/** memory.grow past the memory's page limit (or past the 4 GiB wasm32 address space). */
export class MemoryGrowError extends MemoryError {
  override name = "MemoryGrowError";
  constructor(
    readonly currentPages: number,
    readonly deltaPages: number,
    readonly maxPages: number,
  ) {
    super(`memory.grow by ${deltaPages} pages from ${currentPages} exceeds the limit of ${maxPages} pages`);
  }
}
