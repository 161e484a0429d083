#!/usr/bin/env node
/** Launcher of the watcher (agents/watcher/README.md): the TypeScript sources, compiled once and cached (agents/common/launcher.js). */
"use strict";

require("../../common/launcher").launch("holo-watcher", require.resolve("../main.ts"));
