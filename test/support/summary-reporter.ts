// Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own summary, so
// tools that read a run's last line (CI) see the counts in a runner-neutral form.
import type { Reporter, TestModule } from "vitest/node"

type TestRunEndReason = "passed" | "interrupted" | "failed"

export default class SummaryReporter implements Reporter {
  private line = ""

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>, _reason: TestRunEndReason): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failed++
        else skipped++
      }
      // A file that cannot be imported, or a beforeAll/afterAll that throws or times out, fails its
      // module or suite, not a test (the tests it kept from running count as skipped): each such
      // error counts as one failure, or the line would say "0 failed" for a red run.
      failed += module.errors().length
      for (const suite of module.children.allSuites()) failed += suite.errors().length
    }
    // Errors outside any file (e.g. an unhandled rejection) fail the run too.
    failed += errors.length
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`
  }

  // The default reporter prints its summary in onFinished, which runs after onTestRunEnd: print there, last.
  onFinished(): void {
    if (this.line !== "") process.stdout.write(`\n${this.line}\n`)
  }
}
