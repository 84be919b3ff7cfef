// Did-you-mean: edit distance and the closeness rule.
import { describe, expect, it } from "vitest"
import { closest, didYouMean, editDistance } from "../../src/client/suggest"

describe("editDistance", () => {
  it.each([
    ["check", "check", 0],
    ["chek", "check", 1],
    ["chekc", "check", 1], // a transposition is one edit
    ["", "abc", 3],
    ["kitten", "sitting", 3]
  ])("%s → %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
  })
})

describe("closest", () => {
  const names = ["check", "lint", "install", "typecheck"]
  it.each([
    ["chek", "check"],
    ["lnit", "lint"],
    ["instal", "install"],
    ["typechek", "typecheck"],
    ["CHECK", "check"],
    ["ins", "install"], // a prefix of exactly one name
    ["zzz", undefined],
    ["deploy", undefined],
    ["c", undefined]
  ])("%s → %s", (word, expected) => {
    expect(closest(word, names)).toBe(expected)
  })
  it("ties go to the earlier candidate", () => {
    expect(closest("lt", ["at", "lx"])).toBe("at")
  })
  it("formats the hint", () => {
    expect(didYouMean("chek", ["check"])).toBe(' — did you mean "check"?')
    expect(didYouMean("--stauts", ["--status"], (w) => w)).toBe(" — did you mean --status?")
    expect(didYouMean("nothing-like-it", ["check"])).toBe("")
  })
})
