/* global process, module */
// A jest reporter that ends a run with one plain line, `tests: N passed, N failed, N skipped`,
// which CI and people can read without knowing jest's own summary. A suite that could not
// run at all counts as a failure here.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}

module.exports = SummaryReporter;
