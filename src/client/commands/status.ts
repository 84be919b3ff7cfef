// `hookctl status`: the supervisor's Status, as aligned lines or --json. A module of its own: the
// status bundle (dist/hookctl-status.cjs, src/client/hot-entries.ts) carries it and little else.
import type { Command } from "../cli"
import { expectKind } from "../connection"
import { EXIT_OK } from "../errors"
import { withConnection } from "./connect"
import { formatBytes, formatDuration } from "../format"
import { out, outLines } from "../output"
import { terminalSafe } from "../../protocol/terminal-text"
import { isRepoValue, repoOf } from "../repo-option"

export const runStatus = (cmd: Extract<Command, { kind: "status" }>) =>
  withConnection(async (c) => {
    const s = expectKind(await c.request("Status", {}), "SupervisorStatus")
    if (cmd.json) {
      await out(JSON.stringify(s) + "\n")
      return EXIT_OK
    }
    const rows: Array<[string, string]> = [
      ["pid", String(s.pid)],
      ["version", s.version],
      ["uptime", formatDuration(s.uptime_ms)],
      ["repos", String(s.repos)],
      ["running", String(s.running)],
      ["queued", String(s.queued)],
      ...(s.pools === undefined
        ? []
        : (["foreground", "background"] as const).map((pool): [string, string] => {
            const p = s.pools![pool]
            return [pool, `${p.running}/${p.max} running, ${p.queued} waiting for a slot`]
          })),
      ["connections", String(s.connections)],
      ["rss", formatBytes(s.rss_bytes)],
      ...(s.containment !== undefined ? [["containment", s.containment] as [string, string]] : [])
    ]
    await outLines(rows.map(([k, v]) => `${k.padEnd(12)}${terminalSafe(v)}`))
    return EXIT_OK
  })

/**
 * The status bundle's own reading of its command line (src/client/hot/status.ts): `status`, `--json`
 * after it and `--repo DIR`, each at most once; undefined for anything else, which the whole
 * client's parser reads instead (help, typos, other flags: its usage errors stay the only ones).
 */
export const readStatusCommandLine = (argv: ReadonlyArray<string>, cwd: string): Extract<Command, { kind: "status" }> | undefined => {
  let status = false
  let json = false
  let repo: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    if (word === "status" && !status) status = true
    else if (word === "--json" && status && !json) json = true
    else if (word === "--repo" && repo === undefined && isRepoValue(argv[i + 1])) repo = argv[++i]
    else return undefined
  }
  // status reports the supervisor, whatever the repository: --repo is accepted and not needed.
  return status ? { kind: "status", repo: repoOf(cwd, repo), json } : undefined
}
