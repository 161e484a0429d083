/** The parts every agent shares (docs/agents.md §1); see README.md in this directory. */
export * from "./config";
export * from "./http";
export * from "./log";
export * from "./metrics";
export * from "./retry";
export * from "./store";
export * from "./chain";
export * from "./arweave";
