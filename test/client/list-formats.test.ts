// `hookctl ls --format …`: every format, printed by the built hookctl, parses back (RFC 4180 csv, GFM
// markdown, the yaml package, tsv, ndjson) into the same rows as --json.
import { beforeEach, describe, expect, it } from "vitest"
import { parse as parseYaml } from "yaml"
import { cellText, JOB_INFO_FIELDS } from "../../src/client/list-formats"
import type { JobInfo } from "../../src/protocol/types"
import { useScriptedServer } from "./scripted-server"
import { runHookctl } from "./support"

const TS = 1_700_000_000_000
const jobInfo = (over: Partial<JobInfo>): JobInfo => ({
  repo_id: "0123456789abcdef", repo_root: "/r", invocation_id: "feedbeef00112233", name: "install", hook: "post-checkout",
  worktree: "/r", command: "npm ci", cwd: null, status: "completed", exit_code: 0, signal: null, pid: 1, tags: ["deps", "slow"],
  needs: [], background: true, queued_at: TS, started_at: TS, finished_at: TS + 36, duration_ms: 36, log_bytes: 10,
  skip_reason: null, error: null, input_key: null, input_match: null, ...over
})
// Values that break naive writers: commas, quotes, a pipe, a tab, newlines (CRLF too), a backslash, non-ASCII.
const JOBS: JobInfo[] = [
  jobInfo({}),
  jobInfo({
    name: "lint", command: `eslint "src/**" --ext .ts,.tsx | tee out.txt`, cwd: "packages/a b", status: "failed", exit_code: 2,
    tags: [], error: "line one\nline two\r\nwith\ttab and \\ backslash", worktree: "/r/wt-ü"
  }),
  jobInfo({ name: "queued", status: "queued", exit_code: null, started_at: null, finished_at: null, duration_ms: null, log_bytes: null, pid: null })
]

/** The rows a table format should hold: every JobInfo field as text (null empty, lists comma-joined). */
const expectedRows = (jobs: ReadonlyArray<JobInfo>) => jobs.map((job) => JOB_INFO_FIELDS.map((f) => cellText(job[f])))

/** A small RFC 4180 parser: quoted fields with doubled quotes and embedded CR/LF; records end in CRLF. */
const parseCsv = (text: string): string[][] => {
  const records: string[][] = []
  let field = ""
  let record: string[] = []
  let i = 0
  let quoted = false
  while (i < text.length) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 2)
      else if (c === '"') (quoted = false), i++
      else (field += c), i++
    } else if (c === '"' && field === "") (quoted = true), i++
    else if (c === ",") record.push(field), (field = ""), i++
    else if (c === "\r" && text[i + 1] === "\n") record.push(field), records.push(record), (record = []), (field = ""), (i += 2)
    else if (c === "\n") throw new Error(`bare LF at ${i}: RFC 4180 records end with CRLF`)
    else (field += c), i++
  }
  if (field !== "" || record.length > 0) throw new Error("the last record does not end with CRLF")
  return records
}

/** The visible escapes hookctl writes for control characters (`\t`, `\n`, `\r`, `\e`); any other `\x` is `x`. */
const unescape = (c: string): string => ({ n: "\n", r: "\r", t: "\t", e: "\x1b" })[c] ?? c

/** GFM table: header, delimiter row, then rows; cells split on unescaped pipes, `\|` `\\` and <br> undone. */
const parseMarkdown = (text: string): string[][] => {
  const lines = text.trimEnd().split("\n")
  expect(lines[1]).toMatch(/^\|( --- \|)+$/)
  return [lines[0], ...lines.slice(2)].map((line) => {
    expect(line.startsWith("| ") && line.endsWith(" |")).toBe(true)
    const cells: string[] = []
    let cell = ""
    const body = line.slice(2, -2)
    for (let i = 0; i < body.length; i++) {
      if (body[i] === "\\") cell += unescape(body[++i])
      else if (body.startsWith(" | ", i)) cells.push(cell), (cell = ""), (i += 2)
      else cell += body[i]
    }
    cells.push(cell)
    return cells.map((c) => c.replace(/<br>/g, "\n"))
  })
}

/** TSV as hookctl writes it: visible escapes for control characters, doubled backslashes. */
const parseTsv = (text: string): string[][] =>
  text
    .replace(/\n$/, "")
    .split("\n")
    .map((line) => line.split("\t").map((cell) => cell.replace(/\\(.)/g, (_, c: string) => unescape(c))))

describe("ls --format", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-formats-", (ready) => ({ repo, env } = ready))
  let listed: JobInfo[] = JOBS
  beforeEach(async () => {
    listed = JOBS
    await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: listed } }] }))
  })
  const ls = async (...args: string[]) => {
    const r = await runHookctl(["ls", ...args], { cwd: repo, env })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    return r.stdout
  }

  it("json is the JobInfo array; ndjson one object per line; --json/--ndjson are aliases", async () => {
    const json = JSON.parse(await ls("--format", "json"))
    expect(json).toEqual(JOBS)
    expect(JSON.parse(await ls("--json"))).toEqual(json)
    const lines = (await ls("--format", "ndjson")).trimEnd().split("\n")
    expect(lines.map((l) => JSON.parse(l))).toEqual(json)
    expect(await ls("--ndjson")).toBe(lines.join("\n") + "\n")
  })

  it("csv (RFC 4180) parses back into the same rows", async () => {
    const [header, ...rows] = parseCsv(await ls("--format", "csv"))
    expect(header).toEqual(JOB_INFO_FIELDS)
    expect(rows).toEqual(expectedRows(JSON.parse(await ls("--json"))))
  })

  it("markdown (a GFM table) parses back into the same rows", async () => {
    const [header, ...rows] = parseMarkdown(await ls("--format", "markdown"))
    expect(header).toEqual(JOB_INFO_FIELDS)
    // A cell is one line: \r\n became <br> like \n; everything else survives.
    expect(rows).toEqual(expectedRows(JSON.parse(await ls("--json"))).map((r) => r.map((c) => c.replace(/\r\n/g, "\n"))))
  })

  it("yaml (through the yaml package) parses back into the same objects", async () => {
    expect(parseYaml(await ls("--format", "yaml"))).toEqual(JSON.parse(await ls("--json")))
  })

  it("tsv (and --tsv) parses back into the same rows", async () => {
    const text = await ls("--format", "tsv")
    expect(await ls("--tsv")).toBe(text)
    const [header, ...rows] = parseTsv(text)
    expect(header).toEqual(JOB_INFO_FIELDS)
    expect(rows).toEqual(expectedRows(JSON.parse(await ls("--json"))))
  })

  it("an empty list is still well-formed in every format", async () => {
    listed = []
    const run = async (f: string) => (await runHookctl(["ls", "--format", f], { cwd: repo, env })).stdout
    expect(JSON.parse(await run("json"))).toEqual([])
    expect(await run("ndjson")).toBe("")
    expect(parseCsv(await run("csv"))).toEqual([[...JOB_INFO_FIELDS]])
    expect(parseYaml(await run("yaml"))).toEqual([])
    expect(parseMarkdown(await run("markdown"))).toEqual([[...JOB_INFO_FIELDS]])
  })
})
