// `limits: {memory, cpu}` on a job (issue 14 item 7): what the schema accepts, its messages, and
// what RunJobs carries (memory_bytes, cpu_percent).
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { jobLimits } from "../../src/config/jobs"
import { validateConfig } from "../../src/config/validate"
import { parseYaml } from "../../src/config/yaml-source"
import { parseCpuPercent } from "../../src/config/units"

const validate = (limits: string) => {
  const text = `hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: x\n        limits: ${limits}\n`
  const parsed = parseYaml("hookd.yml", text)
  if (parsed._tag !== "Parsed") throw new Error(parsed.problem.message)
  return validateConfig(parsed.parsed.value, parsed.parsed.locations, ["hookd.yml"])
}

describe("limits in hookd.yml", () => {
  it.each([
    ["{memory: 2GiB, cpu: 50%}", { memory_bytes: 2 * 2 ** 30, cpu_percent: 50 }],
    ["{memory: 512MB}", { memory_bytes: 512e6 }],
    ["{memory: 1048576}", { memory_bytes: 1048576 }],
    ["{cpu: 200%}", { cpu_percent: 200 }],
    ["{cpu: 12.5%}", { cpu_percent: 12.5 }],
    ["{}", {}]
  ])("%s → %j", (limits, expected) => {
    const result = validate(limits)
    expect(Either.isRight(result)).toBe(true)
    if (Either.isRight(result)) expect(jobLimits(result.right.hooks!["pre-commit"]!.jobs![0]!.limits!)).toEqual(expected)
  })

  it.each([
    ["{memory: 2G}", "hooks.pre-commit.jobs[0].limits.memory", 'expected a size like 512MiB or 2GiB (or 2GB), the most memory the job\'s processes may use together, got "2G"'],
    ["{memory: 0}", "hooks.pre-commit.jobs[0].limits.memory", "expected a size like 512MiB or 2GiB (or 2GB), the most memory the job's processes may use together, got 0"],
    ["{cpu: 50}", "hooks.pre-commit.jobs[0].limits.cpu", "expected a string, got 50"],
    ["{cpu: '50'}", "hooks.pre-commit.jobs[0].limits.cpu", 'expected a share of one CPU like 50% (half a CPU) or 200% (two CPUs), got "50"'],
    ["{cpu: 0%}", "hooks.pre-commit.jobs[0].limits.cpu", 'expected a share of one CPU like 50% (half a CPU) or 200% (two CPUs), got "0%"'],
    ["{memroy: 1GB}", "hooks.pre-commit.jobs[0].limits.memroy", 'unknown key "memroy" (did you mean "memory"?); allowed keys: memory, cpu']
  ])("%s is refused at %s", (limits, path, message) => {
    const result = validate(limits)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect({ path: result.left.path, message: result.left.message, line: result.left.line }).toEqual({ path, message, line: 6 })
  })

  it.each([
    ["50%", 50],
    [" 100% ", 100],
    ["0.5%", 0.5],
    ["0%", undefined],
    ["50", undefined],
    ["%", undefined],
    ["-5%", undefined],
    ["half", undefined]
  ])("parseCpuPercent(%j) = %s", (text, expected) => {
    expect(parseCpuPercent(text)).toBe(expected)
  })
})
