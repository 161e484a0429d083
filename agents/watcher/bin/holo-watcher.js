#!/usr/bin/env node
/** Launcher of the watcher (agents/watcher/README.md): transpiles the sources with ts-node. */
"use strict";

const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..", "..", "..");

require("ts-node").register({
  transpileOnly: true,
  project: path.join(repoRoot, "tsconfig.json"),
  cwd: repoRoot,
});

const { main } = require("../main.ts");

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`holo-watcher: ${String(error)}\n`);
    process.exit(1);
  },
);
