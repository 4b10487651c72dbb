/** Ends the run with one plain line that any CI log reader understands: `jest: N passed, N failed, N skipped`. */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const {
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: skipped,
      numTodoTests: todo,
    } = results;
    process.stdout.write(`jest: ${passed} passed, ${failed} failed, ${skipped + todo} skipped\n`);
  }
}
module.exports = SummaryReporter;
