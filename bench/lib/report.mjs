// The printed report: sections of aligned rows, each optionally with its ratio to `node -e 0`.
// Rows are printed as soon as they are measured, so a long run shows progress.

const LABEL = 46
const VALUE = 14

export class Report {
  /** Median wall time of `node -e 0` in this run, once measured. */
  baselineMs = undefined
  skipped = []

  header(lines) {
    for (const line of lines) console.log(line)
  }

  section(title) {
    console.log(`\n── ${title} ${"─".repeat(Math.max(0, 70 - title.length))}`)
  }

  /**
   * A figure; `ratioOfMs` (a duration) adds "N.NN× node -e 0", against `baselineMs` (a `node -e 0`
   * median taken alongside this figure) or else the run's baseline.
   */
  row(label, value, { ratioOfMs, baselineMs = this.baselineMs, note } = {}) {
    const ratio = ratioOfMs !== undefined && baselineMs ? `${(ratioOfMs / baselineMs).toFixed(2)}× node -e 0` : ""
    const tail = [ratio, note].filter(Boolean).join("  ")
    console.log(`  ${label.padEnd(LABEL)} ${value.padStart(VALUE)}  ${tail}`.trimEnd())
  }

  skip(label, reason) {
    this.skipped.push(`${label}: ${reason}`)
    console.log(`  ${label.padEnd(LABEL)} skipped: ${reason}`)
  }

  /** Output of a sub-benchmark, indented. */
  lines(text) {
    for (const line of text.trimEnd().split("\n")) console.log(`  ${line}`)
  }
}

export const ms = (x) => `${x.toFixed(1)} ms`
export const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
