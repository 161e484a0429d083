#!/usr/bin/env node
/** Launcher of the scheduler unit (agents/scheduler/README.md): the TypeScript sources, compiled once and cached (agents/common/launcher.js). */
"use strict";

require("../../common/launcher").launch("holo-su", require.resolve("../main.ts"));
