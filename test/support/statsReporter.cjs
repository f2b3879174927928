// Mocha's spec reporter, plus the run's counts written as JSON to $ACA_TEST_STATS_FILE so that
// scripts/test.mjs can add up every suite into one closing line.
const fs = require('node:fs');
const Mocha = require('mocha');

class StatsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.ACA_TEST_STATS_FILE;
      if (file) {
        const { passes, failures, pending } = this.stats;
        fs.writeFileSync(file, JSON.stringify({ passes, failures, pending }));
      }
    });
  }
}

module.exports = StatsReporter;
