// The failure-notice lines run-hook prints (pure, table-driven).
import { describe, expect, it } from "vitest"
import { formatFailureNotices } from "../../src/client/notices"
import type { FailureNotice } from "../../src/protocol/types"

const NOW = 1_800_000_000_000
const notice = (over: Partial<FailureNotice>): FailureNotice => ({
  invocation_id: "8b31c0de00112233",
  name: "install",
  hook: "post-checkout",
  status: "failed",
  exit_code: 1,
  signal: null,
  finished_at: NOW - 120_000,
  ...over
})

describe("formatFailureNotices", () => {
  it.each([
    [notice({}), "hookd: post-checkout job install failed (exit 1) 2m ago — hookctl logs 8b31c0de:install"],
    [notice({ status: "timed_out", exit_code: null }), "hookd: post-checkout job install timed out 2m ago — hookctl logs 8b31c0de:install"],
    [notice({ status: "failed", exit_code: null, signal: "SIGKILL" }), "hookd: post-checkout job install failed (SIGKILL) 2m ago — hookctl logs 8b31c0de:install"],
    [notice({ status: "crashed", exit_code: null }), "hookd: post-checkout job install crashed (the supervisor stopped while it ran) 2m ago — hookctl logs 8b31c0de:install"],
    [notice({ name: "a\u001b[31mb" }), "hookd: post-checkout job a\\e[31mb failed (exit 1) 2m ago — hookctl logs 8b31c0de:a\\e[31mb"]
  ])("%o", (n, line) => expect(formatFailureNotices([n], NOW)).toEqual([line]))

  it("prints at most three, then '… and N more'", () => {
    const lines = formatFailureNotices(Array.from({ length: 5 }, (_, i) => notice({ name: `j${i}` })), NOW)
    expect(lines).toHaveLength(4)
    expect(lines[3]).toBe("hookd: … and 2 more — hookctl ls --status failed")
  })
})
