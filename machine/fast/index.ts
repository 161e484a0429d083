/** Fast mode: V8 WebAssembly with injected step metering (see README.md). */
export { FastProcess, type FastOptions, type FastOutcome, type FastPath, type FastStats } from "./process";
export { instrument, type Instrumented, type InstrumentOptions, type MeterMode } from "./instrument";
