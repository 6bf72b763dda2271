// Prints one plain closing line, 'N passed, N failed, N skipped', which CI reads.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped, numTodoTests: todo } = results;
    const failedSuites = results.numFailedTestSuites;
    process.stdout.write(`\ntests: ${passed} passed, ${failed + (failed === 0 ? failedSuites : 0)} failed, ${skipped + todo} skipped\n`);
  }
}
module.exports = SummaryReporter;
