// Store: env scrubbing (SPEC §4) as a table of names.
import { describe, expect, it } from "vitest"
import { isSecretName, scrubEnv } from "../../src/store/scrub"

describe("Store: scrubEnv", () => {
  it.each([
    ["GH_TOKEN", true], ["aws_secret_key", true], ["PASSWORD", true], ["password", true], ["Token", true],
    ["SECRET", true], ["DB_PASSWORD", true], ["MY_SECRET", true], ["api_key", true],
    ["FOO_TOKENISH", false], ["TOKENS", false], ["KEY", false], ["KEYBOARD", false], ["PATH", false],
    ["SECRETARY", false], ["MONKEY", false]
  ])("%s is secret: %s", (name, secret) => {
    expect(isSecretName(name)).toBe(secret)
  })

  it("drops secret names and keeps the rest untouched", () => {
    expect(scrubEnv({ GH_TOKEN: "t", FOO_TOKENISH: "a", PATH: "/bin", aws_secret_key: "k" }))
      .toEqual({ FOO_TOKENISH: "a", PATH: "/bin" })
  })
})
