#!/usr/bin/env node
/** Launcher of the compute unit (agents/compute/README.md): the TypeScript sources, compiled once and cached (agents/common/launcher.js). */
"use strict";

require("../../common/launcher").launch("holo-cu", require.resolve("../main.ts"));
