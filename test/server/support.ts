// Shared pieces of the socket-server tests: temp dirs, a server in a scope, the protocol's client, a toy request handler, and esbuild-bundled fixtures for child processes.
import * as fs from "node:fs"
import * as os from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { Deferred, Effect, Exit, Scope, Stream } from "effect"
import { FramedClient } from "../../src/protocol/client"
import { errorResponse, response, type LogRecord, type ResponseEnvelope } from "../../src/protocol/types"
import { serve, type RequestHandler, type ServeOptions, type ServerHandle } from "../../src/supervisor/socket-server"

export const makeTempDir = (prefix = "hookd-server-"): string => fs.mkdtempSync(join(os.tmpdir(), prefix))

// ---------------------------------------------------------------- server

export interface RunningServer {
  readonly handle: ServerHandle
  readonly close: () => Promise<void>
}

export const startServer = async (options: ServeOptions): Promise<RunningServer> => {
  const scope = Effect.runSync(Scope.make())
  const handle = await Effect.runPromise(serve(options).pipe(Scope.extend(scope)))
  return { handle, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** Resolves once the server's open-connection count satisfies `predicate` (checked on each poll tick). */
export const untilConnectionCount = async (handle: ServerHandle, predicate: (n: number) => boolean) => {
  for (;;) {
    if (predicate(await Effect.runPromise(handle.connectionCount))) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// ---------------------------------------------------------------- client

/** The protocol's own client (src/protocol/client.ts), connected; these tests frame raw envelopes with it. */
export const connect = (path: string): Promise<FramedClient> => FramedClient.connect(path)

/** Frames `message` as it is (any id, any version) and returns the next answer, untyped. */
export const ask = async (c: FramedClient, message: unknown): Promise<any> => {
  await c.sendFrame(message)
  return c.next()
}

// ---------------------------------------------------------------- requests and the toy handler

export const hello = (id?: string) => ({
  v: 1,
  ...(id === undefined ? {} : { id }),
  req: "Hello",
  payload: { client: "test", client_version: "0" }
})

/** A TailLogs request; the toy handler streams `count` frames (then waits forever when `follow`). */
export const tail = (count: number, follow = false, id?: string) => ({
  v: 1,
  ...(id === undefined ? {} : { id }),
  req: "TailLogs",
  payload: { job: { repo_root: "/repo", name: "job" }, follow, since_seq: count }
})

const record = (seq: number): LogRecord => ({ seq, ts: 0, kind: "stdout", data: `line ${seq}` })

export interface ToyHooks {
  /** Completed when a follow stream is interrupted (the client went away). */
  readonly followInterrupted?: Deferred.Deferred<void>
}

/**
 * Hello → Welcome; TailLogs → `since_seq` StreamFrames then StreamEnd (or, with follow, then a wait
 * that only interruption ends); Status → a defect; anything else → NO_MATCH.
 */
export const toyHandler =
  (hooks: ToyHooks = {}): RequestHandler =>
  (request, reply) => {
    switch (request.req) {
      case "Hello":
        return reply.send(
          response(
            "Welcome",
            { server_version: "test", protocol_versions: [1], pid: process.pid, started_at: 0, state_dir: "/state" },
            request.id
          )
        )
      case "TailLogs": {
        const count = request.payload.since_seq ?? 0
        const frames: Stream.Stream<ResponseEnvelope> = Stream.range(0, count - 1).pipe(
          Stream.map((seq) => response("StreamFrame", { record: record(seq) }, request.id))
        )
        if (!request.payload.follow) {
          return reply
            .stream(frames)
            .pipe(Effect.zipRight(reply.send(response("StreamEnd", { reason: "replayed" }, request.id))))
        }
        const waitForLiveRecords = Stream.fromEffect(
          Effect.never.pipe(
            Effect.onInterrupt(() =>
              hooks.followInterrupted ? Deferred.succeed(hooks.followInterrupted, undefined) : Effect.void
            )
          )
        )
        return reply.stream(Stream.concat(count > 0 ? frames : Stream.empty, waitForLiveRecords))
      }
      case "Status":
        return Effect.die(new Error("boom: handler blew up with a SECRET-STACK-MARKER"))
      default:
        return reply.send(errorResponse("NO_MATCH", `toy handler does not serve ${request.req}`, request.id))
    }
  }

export const notDraining = Effect.succeed(false)

// ---------------------------------------------------------------- fixtures

const requireBanner =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"

/** Bundles a fixture script (like the real daemon) so a child process starts in ~0.2 s. */
export const bundleFixture = async (name: string, outDir: string): Promise<string> => {
  const outfile = join(outDir, `${name}.mjs`)
  await build({
    entryPoints: [fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    banner: { js: requireBanner }
  })
  return outfile
}

/** Resolves with the first line a child writes on the stream. */
export const firstLine = (stream: NodeJS.ReadableStream): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = ""
    const onData = (data: Buffer | string) => {
      text += data.toString()
      const newline = text.indexOf("\n")
      if (newline >= 0) {
        stream.off("data", onData)
        resolve(text.slice(0, newline))
      }
    }
    stream.on("data", onData)
    stream.once("end", () => reject(new Error(`stream ended before a line; got ${JSON.stringify(text)}`)))
  })
