/**
 * Typed access to machine/spec/machine-spec.json, the single source of truth shared by the
 * TypeScript machine and the Solidity prover. Nothing else may define these constants.
 */
import spec from "./machine-spec.json";

export const MACHINE_SPEC = spec;
export const LAYOUT = spec.layout;
export type DomainTagName = keyof typeof spec.domainTags;
export const DOMAIN_TAGS: Readonly<Record<DomainTagName, string>> = spec.domainTags;

/** The UTF-8 bytes of a domain tag, prefixed to every hash preimage of that kind. */
export function domainTagBytes(name: DomainTagName): Uint8Array {
  return new TextEncoder().encode(DOMAIN_TAGS[name]);
}

/** One row of the opcode table (`opcodes` in the JSON). */
export interface OpcodeSpec {
  /** Text-format name for WebAssembly instructions, snake_case name for internal ones. */
  name: string;
  /** u16 opcode number as it appears in an instruction leaf. */
  opcode: number;
  /** The prover contract that executes it. */
  class: string;
  /** What `imm` holds, or null when unused (then it is 0). */
  imm: string | null;
  /** What `imm2` holds, or null when unused (then it is 0). */
  imm2: string | null;
  /** One-line step semantics. */
  semantics: string;
}

export const OPCODE_TABLE: readonly OpcodeSpec[] = spec.opcodes as OpcodeSpec[];

/** Opcode number by name, e.g. `OPCODE["i32.add"] === 0x6a`. Throws on an unknown name. */
export const OPCODE: Readonly<Record<string, number>> = new Proxy(
  Object.fromEntries(OPCODE_TABLE.map((o) => [o.name, o.opcode])) as Record<string, number>,
  {
    get(target, name: string) {
      const v = target[name];
      if (v === undefined) throw new Error(`machine spec: unknown opcode name ${String(name)}`);
      return v;
    },
  },
);

/** Error codes by name (`errors` in the JSON). */
export type ErrorName = (typeof spec.errors)[number]["name"];
export const ERROR_CODE: Readonly<Record<string, number>> = Object.fromEntries(
  spec.errors.map((e) => [e.name, e.code]),
);
export const ERROR_BY_CODE: ReadonlyMap<number, { name: string; code: number; specText: string }> = new Map(
  spec.errors.map((e) => [e.code, e]),
);

export const STATUS = spec.layout.status;
export const HOST_ABI = spec.hostAbi;
