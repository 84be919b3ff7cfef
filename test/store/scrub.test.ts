// Store: secret scrubbing (SPEC §4, issue 14 item 10) as tables: names that are dropped, values that
// are masked, and what a Retry takes back from the requester's environment.
import { describe, expect, it } from "vitest"
import { isSecretName, scrubArgs, scrubEnv, scrubValue, withRequesterSecrets } from "../../src/store/scrub"

describe("Store: isSecretName", () => {
  it.each([
    ["GH_TOKEN", true], ["aws_secret_key", true], ["PASSWORD", true], ["password", true], ["Token", true],
    ["SECRET", true], ["DB_PASSWORD", true], ["MY_SECRET", true], ["api_key", true],
    ["GITHUB_PAT", true], ["smtp_pass", true], ["GOOGLE_APPLICATION_CREDENTIALS", true], ["SENTRY_DSN", true],
    ["FOO_TOKENISH", false], ["TOKENS", false], ["KEY", false], ["KEYBOARD", false], ["PATH", false],
    ["SECRETARY", false], ["MONKEY", false], ["COMPASS", false], ["SKIP_PATH", false], ["PAT", false],
    ["DSN_HOST", false], ["PASSTHROUGH", false]
  ])("%s is secret: %s", (name, secret) => {
    expect(isSecretName(name)).toBe(secret)
  })
})

const GHP = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
const PAT = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
const GLPAT = "glpat-" + "xYz12345678901234567"
const NPM = "npm_" + "abcdefghijklmnopqrstuvwxyz0123456789"
const AWS = "AKIA" + "IOSFODNN7EXAMPLE"

describe("Store: scrubValue", () => {
  it.each([
    ["a URL password", "postgres://app:hunter2@db.internal:5432/prod", "postgres://app:***@db.internal:5432/prod"],
    ["a URL password with an empty user", "redis://:s3cret@cache:6379", "redis://:***@cache:6379"],
    ["a URL inside text", "clone https://bob:pa55@git.example.com/r.git now", "clone https://bob:***@git.example.com/r.git now"],
    ["two URLs", "a=http://u:p@h b=ftp://v:q@k", "a=http://u:***@h b=ftp://v:***@k"],
    ["a URL without credentials", "https://example.com/path?q=1", "https://example.com/path?q=1"],
    ["a URL with a user only", "ssh://git@github.com/o/r", "ssh://git@github.com/o/r"],
    ["a token as the user part of a URL", `https://${GHP}@github.com/o/r`, "https://ghp_***@github.com/o/r"],
    ["a classic GitHub token", GHP, "ghp_***"],
    ["other GitHub token kinds", "gho_" + "x".repeat(36) + " ghs_" + "y".repeat(36), "gho_*** ghs_***"],
    ["a fine-grained GitHub PAT", PAT, "github_pat_***"],
    ["a GitLab PAT", `token=${GLPAT}`, "token=glpat-***"],
    ["Slack tokens", "xoxb-1234567890-abcdefghij xoxp-0987654321-zyxwvu xoxa-2-abcdefghijk", "xoxb-*** xoxp-*** xoxa-***"],
    ["an AWS access key id", `AWS ${AWS}`, "AWS AKIA***"],
    ["an npm token", `//registry.npmjs.org/:_authToken=${NPM}`, "//registry.npmjs.org/:_authToken=npm_***"],
    ["an Authorization header", `Authorization: token ${GHP}`, "Authorization: token ghp_***"],
    ["plain text", "npm run build -- --watch", "npm run build -- --watch"],
    ["lookalikes that are too short", "ghp_short xoxb- AKIA123 npm_install glpat-x", "ghp_short xoxb- AKIA123 npm_install glpat-x"],
    ["a prefix inside a longer word", `myghp_${"a".repeat(36)}`, `myghp_${"a".repeat(36)}`],
    ["an empty string", "", ""]
  ])("masks %s", (_what, input, expected) => {
    expect(scrubValue(input)).toBe(expected)
  })

  it("is idempotent: a masked value stays as it is", () => {
    for (const v of ["postgres://app:***@db/x", "ghp_***", "AKIA***"]) expect(scrubValue(v)).toBe(v)
  })
})

describe("Store: scrubEnv and scrubArgs", () => {
  it("drops secret names, masks secret values, keeps the rest untouched", () => {
    expect(
      scrubEnv({
        GH_TOKEN: "t",
        GITHUB_PAT: GHP,
        DATABASE_URL: "postgres://app:hunter2@db/prod",
        NPM_CONFIG_USERCONFIG: "/home/u/.npmrc",
        HOOK_NOTE: `deploy with ${AWS}`,
        FOO_TOKENISH: "a",
        PATH: "/bin"
      })
    ).toEqual({
      DATABASE_URL: "postgres://app:***@db/prod",
      NPM_CONFIG_USERCONFIG: "/home/u/.npmrc",
      HOOK_NOTE: "deploy with AKIA***",
      FOO_TOKENISH: "a",
      PATH: "/bin"
    })
  })

  it("masks every argument", () => {
    expect(scrubArgs(["origin", "https://u:pw@git.example.com/r.git", GHP])).toEqual([
      "origin",
      "https://u:***@git.example.com/r.git",
      "ghp_***"
    ])
  })
})

describe("Store: withRequesterSecrets (Retry)", () => {
  it("takes back the real value of each masked variable and every secret-named one from the requester", () => {
    const stored = scrubEnv({ DATABASE_URL: "postgres://app:hunter2@db/prod", PATH: "/bin", NOTE: "ok" })
    const requester = { DATABASE_URL: "postgres://app:hunter2@db/prod", GH_TOKEN: "t", PATH: "/usr/bin", OTHER: "x" }
    expect(withRequesterSecrets(stored, requester)).toEqual({
      DATABASE_URL: "postgres://app:hunter2@db/prod",
      GH_TOKEN: "t",
      PATH: "/bin",
      NOTE: "ok"
    })
  })

  it("a masked variable takes the requester's current value (a rotated password), or stays masked without one", () => {
    const stored = scrubEnv({ DATABASE_URL: "postgres://app:hunter2@db/prod", API: "https://u:pw@api" })
    expect(withRequesterSecrets(stored, { DATABASE_URL: "postgres://app:rotated@db/prod" })).toEqual({
      DATABASE_URL: "postgres://app:rotated@db/prod",
      API: "https://u:***@api"
    })
  })
})
