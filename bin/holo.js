#!/usr/bin/env node
/**
 * Launcher of `holo`, the Holoproof command line (see cli/README.md).
 *
 * Works from any directory: it transpiles the TypeScript sources with ts-node using the repository's
 * tsconfig, and points Hardhat at the repository's configuration before anything loads Hardhat.
 */
"use strict";

const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..");

process.env.HARDHAT_CONFIG = path.join(repoRoot, "hardhat.config.ts");

require("ts-node").register({
  transpileOnly: true,
  project: path.join(repoRoot, "tsconfig.json"),
  cwd: repoRoot,
});

const { main } = require(path.join(repoRoot, "cli", "main.ts"));

main(process.argv).then(
  (code) => exit(code),
  (error) => {
    // main() reports its own errors; this is a bug in the launcher or the CLI.
    console.error("error: unexpected failure of holo:", error);
    exit(1);
  },
);

/** Exits once stdout and stderr have flushed what was written to them. */
function exit(code) {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
