// The status bundle reads its own command line (src/client/hot/status.ts, without the argument
// parser): what it accepts it must read exactly as the whole client's parser does, and everything
// else it must leave to that parser (undefined), so help, typos and usage errors stay the parser's.
import { describe, expect, it } from "vitest"
import { parseCommandLine } from "../../src/client/cli"
import { readStatusCommandLine } from "../../src/client/commands/status"

const cwd = "/home/ada/src/shop"

describe("the status bundle's own reading of its command line", () => {
  it.each([
    [["status"]],
    [["status", "--json"]],
    [["--repo", "/elsewhere", "status"]],
    [["status", "--repo", "sub", "--json"]],
    [["--repo", "../other", "status", "--json"]]
  ])("%j reads as the whole client reads it", (argv) => {
    const own = readStatusCommandLine(argv, cwd)
    expect(own).toBeDefined()
    expect(own).toEqual(parseCommandLine(argv, cwd))
  })

  it.each([
    [[]],
    [["ls"]],
    [["status", "--help"]],
    [["status", "-h"]],
    [["--help", "status"]],
    [["status", "--json", "--json"]],
    [["--json", "status"]],
    [["status", "status"]],
    [["status", "extra"]],
    [["status", "--repo"]],
    [["status", "--repo", ""]],
    [["status", "--repo", "--json"]],
    [["--repo", "/a", "--repo", "/b", "status"]],
    [["status", "--jsn"]]
  ])("%j is left to the whole client", (argv) => {
    expect(readStatusCommandLine(argv, cwd)).toBeUndefined()
  })
})
