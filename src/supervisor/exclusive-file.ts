// Small files that several starters race to create or replace (the lock file, the singleton id).
// link() and rename() are the atomic steps: a file appears complete or not at all, and only the
// content a starter saw is ever removed.
import * as fs from "node:fs"
import { nodeCrypto } from "../protocol/builtins"

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException)?.code
const uniqueSibling = (file: string, what: string): string =>
  `${file}.${what}-${process.pid}-${nodeCrypto().randomBytes(4).toString("hex")}`

export const readIfPresent = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return undefined
    throw error
  }
}

/** Publishes `content` (mode 0600) unless the file exists; false when another starter was first. */
export const publishExclusively = (file: string, content: string): boolean => {
  const temp = uniqueSibling(file, "new")
  fs.writeFileSync(temp, content, { mode: 0o600, flag: "wx" })
  try {
    fs.linkSync(temp, file)
    return true
  } catch (error) {
    if (errnoOf(error) === "EEXIST") return false
    throw error
  } finally {
    fs.rmSync(temp, { force: true })
  }
}

/** Removes the file only if it still holds `content`; one replaced meanwhile is put back. */
export const removeIfStill = (file: string, content: string): void => {
  const aside = uniqueSibling(file, "old")
  try {
    fs.renameSync(file, aside)
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return
    throw error
  }
  try {
    if (readIfPresent(aside) !== content) {
      try {
        fs.linkSync(aside, file)
      } catch {
        // another starter already published a fresh one: it wins
      }
    }
  } finally {
    fs.rmSync(aside, { force: true })
  }
}
