// Mocha reporter: the usual spec output, then one closing line `N passed, N failed, N skipped` that CI
// and people can read the same way whatever the runner.
const Mocha = require("mocha");

const { EVENT_RUN_END } = Mocha.Runner.constants;

class HoloReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`\n${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = HoloReporter;
