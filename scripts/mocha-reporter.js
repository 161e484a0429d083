// Mocha reporter: the usual spec output, then the slowest test files (to balance the parallel shards of
// scripts/test-parallel.js), then one closing line `N passed, N failed, N skipped` that CI and people can read
// the same way whatever the runner.
const path = require("node:path");

const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

/** How many of the slowest files are listed. */
const SLOWEST = 12;

class HoloReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const seconds = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent?.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      seconds.set(file, (seconds.get(file) ?? 0) + (Date.now() - t0) / 1000);
    });
    runner.once(EVENT_RUN_END, () => {
      const slow = [...seconds].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
      if (slow.length > 0) {
        process.stdout.write(`\nslowest files:\n`);
        for (const [file, s] of slow) process.stdout.write(`  ${s.toFixed(1).padStart(7)} s  ${file}\n`);
      }
      const s = runner.stats;
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = HoloReporter;
