// The status, ls and run-hook bundles read their own command lines (src/client/hot/, without the
// argument parser): what one accepts it must read exactly as the whole client's parser does, and
// every other shape it must leave to that parser (undefined), so help, typos and usage errors stay
// the parser's.
import { describe, expect, it } from "vitest"
import { parseCommandLine } from "../../src/client/cli"
import { readLsCommandLine } from "../../src/client/commands/ls"
import { readShimCommandLine } from "../../src/client/commands/run-hook"
import { readStatusCommandLine } from "../../src/client/commands/status"

const cwd = "/home/ada/src/shop"

const readers = {
  status: {
    read: readStatusCommandLine,
    accepted: [
      ["status"],
      ["status", "--json"],
      ["--repo", "/elsewhere", "status"],
      ["status", "--repo", "sub", "--json"],
      ["--repo", "../other", "status", "--json"],
      // An absolute --repo as given: after a symlink, `..` is the kernel's to resolve.
      ["--repo", "/link/../elsewhere/", "status"]
    ],
    left: [
      [],
      ["ls"],
      ["status", "--help"],
      ["status", "-h"],
      ["--help", "status"],
      ["status", "--json", "--json"],
      ["--json", "status"],
      ["status", "status"],
      ["status", "extra"],
      ["status", "--repo"],
      ["status", "--repo", ""],
      ["status", "--repo", "--json"],
      ["--repo", "/a", "--repo", "/b", "status"],
      ["status", "--jsn"]
    ]
  },
  ls: {
    read: readLsCommandLine,
    accepted: [
      ["ls"],
      ["ls", "--json"],
      ["ls", "--all-repos"],
      ["ls", "--failed"],
      ["ls", "--limit", "0"],
      ["ls", "--limit", "5", "--json", "--failed", "--all-repos"],
      ["--repo", "sub", "ls", "--limit", "3"],
      ["ls", "--repo", "/elsewhere"],
      ["ls", "--repo", "/link/../elsewhere/"]
    ],
    left: [
      [],
      ["ls", "--help"],
      ["ls", "--limit"],
      ["ls", "--limit", "-1"],
      ["ls", "--limit", "x"],
      ["ls", "--limit", "1", "--limit", "2"],
      ["ls", "--json", "--json"],
      ["ls", "--format", "csv"],
      ["ls", "--watch"],
      ["ls", "--status", "failed"],
      ["ls", "--hook", "pre-commit"],
      ["ls", "extra"],
      ["--json", "ls"],
      ["--limit", "3", "ls"],
      ["ls", "--failed", "--status", "failed"],
      ["ls", "--repo"],
      ["ls", "--repo", ""],
      ["ls", "--repo", "--json"],
      ["--repo", "/a", "--repo", "/b", "ls"],
      ["status"]
    ]
  },
  "run-hook": {
    read: readShimCommandLine,
    accepted: [
      ["run-hook", "pre-commit", "--"],
      ["run-hook", "pre-commit"],
      ["run-hook", "commit-msg", "--", ".git/COMMIT_EDITMSG"],
      ["run-hook", "pre-push", "--", "origin", "git@example.com:shop.git"],
      ["run-hook", "post-checkout", "--", "a1", "b2", "1"],
      // git's arguments are the hook's, whatever they look like.
      ["run-hook", "pre-commit", "--", "-h", "--version", "--", ""],
      ["run-hook", "precommit", "--"]
    ],
    left: [
      [],
      ["run-hook"],
      ["run-hook", "--help"],
      ["run-hook", "pre-commit", "--help"],
      ["run-hook", "pre-commit", "--force", "--"],
      ["run-hook", "pre-commit", "--mode", "background", "--"],
      ["--repo", "/r", "run-hook", "pre-commit", "--"],
      ["run-hook", "Pre-Commit", "--"],
      ["run-hook", "pre-commit", "extra", "--"],
      ["status"]
    ]
  }
} as const

describe.each(Object.entries(readers))("the %s bundle's own reading of its command line", (_name, { read, accepted, left }) => {
  it.each(accepted.map((argv) => [argv]))("%j reads as the whole client reads it", (argv) => {
    const own = read(argv, cwd)
    expect(own).toBeDefined()
    expect(own).toEqual(parseCommandLine(argv, cwd))
  })

  it.each(left.map((argv) => [argv]))("%j is left to the whole client", (argv) => {
    expect(read(argv, cwd)).toBeUndefined()
  })
})
