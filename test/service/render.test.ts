// Pure pieces of the installer: template substitution, escaping, argument parsing, plans.
import { describe, expect, it } from "vitest"
import { parseServiceArgs } from "../../src/service/cli"
import { COMMAND_TIMEOUT_MS } from "../../src/service/context"
import { launchdInstallSteps, systemdInstallSteps, systemdUninstallSteps } from "../../src/service/plan"
import {
  escapeSystemdExecArg,
  escapeSystemdExecPath,
  escapeSystemdQuoted,
  escapeXml,
  placeholdersOf,
  renderTemplate,
  shellQuote,
  TemplateError
} from "../../src/service/render"
import { choosePlatform, systemdUserDir } from "../../src/service/targets"
import { launchdPath } from "../../src/service/unit-files"

describe("renderTemplate", () => {
  it("replaces every placeholder, however often it appears", () => {
    expect(renderTemplate("@A@ and @B@ and @A@", { A: "1", B: "2" })).toBe("1 and 2 and 1")
  })
  it("refuses a placeholder without a value instead of leaving it in the file", () => {
    expect(() => renderTemplate("ExecStart=@NODE@ @HOOKD@", { NODE: "/n" })).toThrow(TemplateError)
  })
  it("leaves text with single at-signs alone", () => {
    expect(renderTemplate("mail me@example.com, @ 3", {})).toBe("mail me@example.com, @ 3")
  })
  it("lists the placeholders a template uses", () => {
    expect(placeholdersOf("@NODE@ @HOOKD@ @NODE@")).toEqual(["NODE", "HOOKD"])
  })
})

describe("escapers", () => {
  it.each([
    ["plain", "/usr/bin/node", "/usr/bin/node"],
    ["xml specials", `a&b<c>"d'e`, "a&amp;b&lt;c&gt;&quot;d&apos;e"]
  ])("escapeXml: %s", (_name, input, expected) => expect(escapeXml(input)).toBe(expected))

  it.each([
    ["spaces stay (the template quotes)", "/a b/c", "/a b/c"],
    ["% is doubled (specifier)", "/a%t", "/a%%t"],
    ["quote and backslash are escaped", `/a"b\\c`, `/a\\"b\\\\c`]
  ])("escapeSystemdQuoted: %s", (_name, input, expected) => expect(escapeSystemdQuoted(input)).toBe(expected))

  it("escapeSystemdExecArg also doubles $ so it is not expanded", () => {
    expect(escapeSystemdExecArg("/x/$HOME/%i")).toBe("/x/$$HOME/%%i")
  })
  it("escapeSystemdExecPath keeps $ (literal in the program) and refuses what systemd refuses", () => {
    expect(escapeSystemdExecPath("/x/$y/%z")).toBe("/x/$y/%%z")
    for (const bad of [`/a"b`, "/a'b", "/a\\b"]) expect(() => escapeSystemdExecPath(bad)).toThrow(/quote or a backslash/)
  })
  it("refuses control characters in unit files", () => {
    expect(() => escapeSystemdQuoted("/a\nExecStartPre=/bin/evil")).toThrow(TemplateError)
  })
  it("shellQuote quotes only what needs it", () => {
    expect(shellQuote(["systemctl", "--user", "daemon-reload"])).toBe("systemctl --user daemon-reload")
    expect(shellQuote(["/a b/node", "it's"])).toBe(`'/a b/node' 'it'\\''s'`)
  })
})

describe("parseServiceArgs", () => {
  it.each([
    [["install"], { ok: true, action: "install", dryRun: false }],
    [["install", "--dry-run"], { ok: true, action: "install", dryRun: true }],
    [["--dry-run", "uninstall"], { ok: true, action: "uninstall", dryRun: true }],
    [["status"], { ok: true, action: "status", dryRun: false }],
    [["--help"], { ok: true, help: true }]
  ])("accepts %j", (args, expected) => expect(parseServiceArgs(args)).toEqual(expected))

  it.each([[[]], [["start"]], [["install", "now"]], [["install", "--force"]], [["status", "--dry-run"]]])(
    "rejects %j",
    (args) => expect(parseServiceArgs(args).ok).toBe(false)
  )
})

describe("platform and paths", () => {
  it("HOOKD_SERVICE_PLATFORM overrides the OS; a bad value is a usage error", () => {
    expect(choosePlatform({ HOOKD_SERVICE_PLATFORM: "darwin" }, "linux")).toEqual({ ok: true, platform: "darwin" })
    expect(choosePlatform({}, "linux")).toEqual({ ok: true, platform: "linux" })
    expect(choosePlatform({ HOOKD_SERVICE_PLATFORM: "windows" }, "linux")).toMatchObject({ ok: false, usage: true })
    expect(choosePlatform({}, "win32")).toMatchObject({ ok: false, usage: false })
  })
  it("unit files go to $XDG_CONFIG_HOME/systemd/user, else ~/.config; a relative XDG_CONFIG_HOME is ignored", () => {
    expect(systemdUserDir({ HOME: "/h", XDG_CONFIG_HOME: "/c" })).toBe("/c/systemd/user")
    expect(systemdUserDir({ HOME: "/h" })).toBe("/h/.config/systemd/user")
    expect(systemdUserDir({ HOME: "/h", XDG_CONFIG_HOME: "rel" })).toBe("/h/.config/systemd/user")
  })
  it("the LaunchAgent PATH starts with node's directory and has no duplicates", () => {
    expect(launchdPath("/usr/local/bin/node")).toBe("/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    expect(launchdPath("/Users/me/.nvm/versions/node/v20/bin/node").split(":")[0]).toBe("/Users/me/.nvm/versions/node/v20/bin")
  })
})

describe("plans", () => {
  const units = [
    { path: "/c/systemd/user/hookd.socket", content: "s" },
    { path: "/c/systemd/user/hookd.service", content: "v" }
  ]
  it("install writes the files before the first command, and probes before enabling", () => {
    const kinds = systemdInstallSteps(units).map((s) => (s.kind === "run" ? `${s.role}: ${s.argv.join(" ")}` : s.kind))
    expect(kinds).toEqual([
      "mkdir",
      "write",
      "write",
      "probe: systemctl --user daemon-reload",
      "required: systemctl --user enable --now hookd.socket"
    ])
  })
  it("uninstall stops both units before removing their files, then reloads", () => {
    const steps = systemdUninstallSteps(["/c/systemd/user/hookd.socket"], "/c/systemd/user")
    expect(steps[0]).toMatchObject({ kind: "run", role: "probe", argv: ["systemctl", "--user", "disable", "--now", "hookd.socket", "hookd.service"] })
    expect(steps.at(-1)).toMatchObject({ kind: "run", argv: ["systemctl", "--user", "daemon-reload"] })
  })
  it("launchd install creates the log directory launchd will not create", () => {
    const steps = launchdInstallSteps({ path: "/h/Library/LaunchAgents/x.plist", content: "" }, "/h/Library/Logs/hookd", 501)
    expect(steps).toContainEqual({ kind: "mkdir", path: "/h/Library/Logs/hookd", mode: 0o700 })
  })
})

describe("never hanging", () => {
  it("bounds each service-manager call to at most 4 s, so an unreachable bus cannot stall install past 5 s", () => {
    expect(COMMAND_TIMEOUT_MS).toBeLessThanOrEqual(4_000)
    expect(COMMAND_TIMEOUT_MS).toBeGreaterThanOrEqual(1_000)
  })
})
