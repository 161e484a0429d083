// The Holoproof host ABI (docs/process-abi.md): the only imports a process may have. AssemblyScript
// imports a `declare`d function from the module named after the declaring file, so this file must be
// called `holo.ts`: each function below is the import `holo.<name>` (test/processes/build.test.ts checks
// every built module's imports). No `@external` decorators, so Prettier can format the file. Pointers and
// lengths are byte offsets into the process's one memory.

/** Length of the current message's canonical encoding. */
export declare function msg_len(): i32;

/** Copies message bytes `[off, off + len)` to memory at `dst` (traps when out of bounds). */
export declare function msg_read(dst: usize, off: u32, len: u32): void;

/** Appends memory `[ptr, ptr + len)` to the result as an output item. */
export declare function output(ptr: usize, len: u32): void;

/** Appends an outbound message item (bytes in the outbound encoding, docs/writing-processes.md). */
export declare function send(ptr: usize, len: u32): void;

/** Appends a spawn item (bytes in the outbound encoding, target = the module id). */
export declare function spawn(ptr: usize, len: u32): void;
