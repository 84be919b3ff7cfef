// Deciding from the file header whether a database is ours, before anything can write to it: even
// `PRAGMA journal_mode=WAL` rewrites header bytes, and a foreign or newer file must stay byte-identical.
import { Effect } from "effect"
import { closeSync, openSync, readSync } from "node:fs"
import { ForeignDatabase, NewerSchema, StoreError } from "./errors"

/** "HKD1", hookd's SQLite application_id. */
export const HOOKD_APPLICATION_ID = 0x484b4431

export type HeaderInfo =
  | { readonly kind: "empty" }
  | { readonly kind: "not-sqlite" }
  | { readonly kind: "sqlite"; readonly applicationId: number; readonly userVersion: number }

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1")

/** Parse the first 100 bytes of a database file (user_version at 60, application_id at 68, big-endian). */
export const parseHeader = (bytes: Buffer): HeaderInfo => {
  if (bytes.length === 0) return { kind: "empty" }
  if (bytes.length < 100 || !bytes.subarray(0, 16).equals(SQLITE_MAGIC)) return { kind: "not-sqlite" }
  return { kind: "sqlite", userVersion: bytes.readUInt32BE(60), applicationId: bytes.readUInt32BE(68) }
}

export type Identity = "fresh" | "hookd" | "foreign" | "newer"

/** What to do with a database, given its application_id and user_version and the newest version we know. */
export const classifyIdentity = (applicationId: number, userVersion: number, knownVersion: number): Identity => {
  if (applicationId !== 0 && applicationId !== HOOKD_APPLICATION_ID) return "foreign"
  if (userVersion > knownVersion) return "newer"
  return applicationId === 0 ? "fresh" : "hookd"
}

/** Fail with the refusal an identity calls for, or succeed for databases we may open and migrate. */
export const refuseUnlessOurs = (
  path: string,
  applicationId: number,
  userVersion: number,
  knownVersion: number
): Effect.Effect<void, ForeignDatabase | NewerSchema> => {
  switch (classifyIdentity(applicationId, userVersion, knownVersion)) {
    case "foreign":
      return Effect.fail(new ForeignDatabase({ path }))
    case "newer":
      return Effect.fail(new NewerSchema({ path, found: userVersion, known: knownVersion }))
    default:
      return Effect.void
  }
}

/**
 * Check the on-disk header with plain file reads. (A WAL database may carry newer header values in
 * its -wal file; bring-up checks the PRAGMAs again after opening, still before any write.)
 */
export const checkFileHeader = (
  path: string,
  knownVersion: number
): Effect.Effect<void, ForeignDatabase | NewerSchema | StoreError> =>
  Effect.try({
    try: () => {
      const fd = openSync(path, "r")
      try {
        const bytes = Buffer.alloc(100)
        const read = readSync(fd, bytes, 0, 100, 0)
        return parseHeader(bytes.subarray(0, read))
      } finally {
        closeSync(fd)
      }
    },
    catch: (cause) => new StoreError({ path, operation: "read header", cause })
  }).pipe(
    Effect.flatMap((header) => {
      switch (header.kind) {
        case "empty":
          return Effect.void
        case "not-sqlite":
          return Effect.fail(new ForeignDatabase({ path }))
        case "sqlite":
          return refuseUnlessOurs(path, header.applicationId, header.userVersion, knownVersion)
      }
    })
  )
