// Carries out a plan's steps, or prints them for --dry-run. File steps always happen; commands stop
// at the first sign that no service manager is reachable, or at the first required one that fails.
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs"
import type { ServiceContext } from "./context"
import type { Step } from "./plan"
import { shellQuote } from "./render"
import { describeFailure, runCommand, succeeded } from "./run-command"

export type ApplyOutcome =
  | { readonly kind: "done" }
  /** No user service manager: the files were handled, the commands were not (all) run. */
  | { readonly kind: "no-manager"; readonly reason: string }
  /** The manager answered, but a command it had to carry out failed. */
  | { readonly kind: "failed"; readonly reason: string }

export const describeStep = (step: Step): string => {
  switch (step.kind) {
    case "mkdir":
      return `create directory ${step.path}`
    case "write":
      return `write ${step.path}`
    case "remove":
      return `remove ${step.path}`
    case "rmdir-if-empty":
      return `remove directory ${step.path} if empty`
    case "run":
      return `run: ${shellQuote(step.argv)}`
  }
}

/** --dry-run: each file with its full content, then each command; nothing is touched. */
export const printPlan = (steps: ReadonlyArray<Step>, ctx: ServiceContext): void => {
  for (const step of steps) {
    if (step.kind === "write") {
      ctx.out(`would write ${step.path}:\n`)
      ctx.out(`----- begin ${step.path} -----\n${step.content}${step.content.endsWith("\n") ? "" : "\n"}----- end ${step.path} -----\n`)
    } else {
      ctx.out(`would ${describeStep(step)}\n`)
    }
  }
}

/** Written beside the target and renamed over it: a reader never sees half a unit file. */
const writeAtomically = (path: string, content: string, mode: number): void => {
  const temporary = `${path}.tmp-${process.pid}`
  writeFileSync(temporary, content, { mode })
  renameSync(temporary, path)
}

const removeDirIfEmpty = (path: string): boolean => {
  if (!existsSync(path) || readdirSync(path).length > 0) return false
  rmdirSync(path)
  return true
}

/** Runs the steps in order, reporting each on ctx.out. File-system errors propagate (exit 1). */
export const applyPlan = async (steps: ReadonlyArray<Step>, ctx: ServiceContext): Promise<ApplyOutcome> => {
  let noManager: string | undefined
  for (const step of steps) {
    switch (step.kind) {
      case "mkdir":
        if (!existsSync(step.path)) {
          mkdirSync(step.path, { recursive: true, mode: step.mode })
          ctx.out(`created ${step.path}\n`)
        }
        break
      case "write":
        writeAtomically(step.path, step.content, step.mode)
        ctx.out(`wrote ${step.path}\n`)
        break
      case "remove":
        if (existsSync(step.path)) {
          rmSync(step.path, { force: true })
          ctx.out(`removed ${step.path}\n`)
        }
        break
      case "rmdir-if-empty":
        if (removeDirIfEmpty(step.path)) ctx.out(`removed empty directory ${step.path}\n`)
        break
      case "run": {
        if (noManager !== undefined) break
        const result = await runCommand(step.argv, ctx.env, ctx.commandTimeoutMs)
        if (succeeded(result)) {
          ctx.out(`ran: ${shellQuote(step.argv)}\n`)
          break
        }
        const reason = describeFailure(step.argv, result)
        if (result.kind === "missing" || step.role === "probe") {
          noManager = reason
        } else if (step.role === "required") {
          return { kind: "failed", reason }
        } else {
          ctx.out(`ran: ${shellQuote(step.argv)} (failed, which is fine here: ${reason})\n`)
        }
        break
      }
    }
  }
  return noManager === undefined ? { kind: "done" } : { kind: "no-manager", reason: noManager }
}
