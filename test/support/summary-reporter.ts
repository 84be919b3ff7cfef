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
    }
    // Errors outside any test (a failing hook or import) fail the run without failing a test.
    failed += errors.length
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`
  }

  // The default reporter prints its summary in onFinished, which runs after onTestRunEnd: print there, last.
  onFinished(): void {
    if (this.line !== "") process.stdout.write(`\n${this.line}\n`)
  }
}
