// The printed report: sections of aligned rows. A row is hookd's figure (or a peer's), what it is
// compared with in the same run ("0.41× tsp"), and — for issue 13's rows — the target and whether
// this run meets it. Rows are printed as soon as they are measured, so a long run shows progress;
// they are also kept, so the run can end with a Markdown table (bench/run.mjs --markdown FILE).

const LABEL = 50
const VALUE = 14

export class Report {
  rows = []
  skipped = []
  failed = []
  currentSection = ""

  header(lines) {
    for (const line of lines) console.log(line)
  }

  section(title) {
    this.currentSection = title
    console.log(`\n── ${title} ${"─".repeat(Math.max(0, 76 - title.length))}`)
  }

  /**
   * One figure. `vs`: the comparison measured alongside ("1.25× node -e 0"); `target`: issue 13's
   * target for this row; `met`: true/false when this run's figures decide it; `note`: anything else.
   */
  row(label, value, { vs, target, met, note } = {}) {
    this.rows.push({ section: this.currentSection, label, value, vs, target, met, note })
    const verdict = met === undefined ? "" : met ? " ✓" : " ✗"
    const tail = [vs, note, target ? `target ${target}${verdict}` : undefined].filter(Boolean).join("   ")
    console.log(`  ${label.padEnd(LABEL)} ${value.padStart(VALUE)}  ${tail}`.trimEnd())
  }

  /** A peer (or part) that could not be measured: "skipped: <why>", in place and in the summary. */
  skip(label, reason) {
    this.skipped.push(`${label}: ${reason}`)
    this.rows.push({ section: this.currentSection, label, value: "skipped", note: reason })
    console.log(`  ${label.padEnd(LABEL)} skipped: ${reason}`)
  }

  /** A part that broke (not a missing peer): "failed: <why>"; the run goes on but exits non-zero. */
  fail(label, reason) {
    this.failed.push(`${label}: ${reason}`)
    this.rows.push({ section: this.currentSection, label, value: "failed", note: reason })
    console.log(`  ${label.padEnd(LABEL)} failed: ${reason}`)
  }

  /** Output of a sub-benchmark run as a child process, indented. */
  lines(text) {
    for (const line of text.trimEnd().split("\n")) console.log(`  ${line}`)
  }

  /** The rows as Markdown tables, one per section. */
  markdown() {
    const cell = (s) => String(s ?? "").replaceAll("|", "\\|")
    const out = []
    let section
    for (const r of this.rows) {
      if (r.section !== section) {
        section = r.section
        out.push("", `**${cell(section)}**`, "", "| figure | value | compared in the same run | target | met |", "|---|---|---|---|---|")
      }
      const met = r.met === undefined ? "" : r.met ? "yes" : "**no**"
      out.push(`| ${cell(r.label.trim())} | ${cell(r.value)} | ${cell([r.vs, r.note].filter(Boolean).join("; "))} | ${cell(r.target)} | ${met} |`)
    }
    return out.join("\n").trim() + "\n"
  }
}

export const ms = (x) => (x === undefined ? "n/a" : `${x.toFixed(1)} ms`)
export const mib = (bytes) => (bytes === undefined ? "n/a" : `${(bytes / 1024 / 1024).toFixed(1)} MiB`)
export const perSec = (x, unit = "jobs/s") => (x === undefined ? "n/a" : `${x.toFixed(0)} ${unit}`)
