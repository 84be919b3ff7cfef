// A real Unix-socket server speaking the framing of SPEC §2 with scripted answers, so the built
// hookctl can be exercised before (and independently of) the supervisor.
import { createServer, type Server, type Socket } from "node:net"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll } from "vitest"
import { FrameDecoder, encodeFrame, parseFrameBody } from "../../src/protocol/framing"
import type { ResponseKind, ResponsePayloads } from "../../src/protocol/types"
import { HOOKCTL_VERSION } from "../../src/client/version"
import { initRepo, isolatedEnv, tempDir } from "./support"

export interface ReceivedRequest {
  readonly v: number
  readonly id?: string
  readonly req: string
  readonly payload: Record<string, unknown>
}

export type Answer = { [K in ResponseKind]: { kind: K; payload: ResponsePayloads[K] } }[ResponseKind]

/** Returns the answers for one request; `hold` keeps the connection open without ending the stream. */
export type Script = (request: ReceivedRequest) => { answers: Answer[]; hold?: boolean }

/** The version the scripted server's Welcome reports unless told otherwise: hookctl's own (no notice). */
const SAME_VERSION: string = HOOKCTL_VERSION

export interface ServerOptions {
  /**
   * Answer hookctl's Hello with a Welcome itself (keeping it out of `requests`). On for the client
   * tests' `serve`; off for `listen`, whose script then sees the Hello like any request.
   */
  readonly answerHello?: boolean
  /** The server_version of its Welcome (hookctl prints a notice when it differs from its own). */
  readonly version?: string
  readonly pid?: number
  readonly startedAt?: number
  /** The state dir the Welcome names (where hookctl remembers the notice). */
  readonly stateDir?: string
}

export class ScriptedServer {
  /** Every request but the Hello handshakes it answered itself (see ServerOptions.answerHello). */
  readonly requests: ReceivedRequest[] = []
  readonly hellos: ReceivedRequest[] = []
  /** The request names each `data` event carried: a Hello sent "in the same write" shares its request's. */
  readonly chunks: string[][] = []
  private readonly server: Server
  /** Connections accepted so far. */
  connections = 0
  private closedConnections = 0
  private onClose: Array<() => void> = []

  private constructor(server: Server) {
    this.server = server
  }

  static listen(path: string, script: Script, options: ServerOptions = {}): Promise<ScriptedServer> {
    let instance: ScriptedServer
    const server = createServer((socket: Socket) => {
      instance.connections++
      const decoder = new FrameDecoder()
      socket.on("data", (chunk) => {
        const names: string[] = []
        instance.chunks.push(names)
        for (const body of decoder.push(chunk)) {
          const request = parseFrameBody(body) as unknown as ReceivedRequest
          names.push(request.req)
          if (request.req === "Hello" && options.answerHello === true) {
            instance.hellos.push(request)
            const welcome = {
              server_version: options.version ?? SAME_VERSION,
              protocol_versions: [1],
              pid: options.pid ?? 4242,
              started_at: options.startedAt ?? 1_700_000_000_000,
              state_dir: options.stateDir ?? "/nonexistent-hookd-state"
            }
            socket.write(encodeFrame({ v: 1, id: request.id, kind: "Welcome", payload: welcome }))
            continue
          }
          instance.requests.push(request)
          const { answers } = script(request)
          for (const a of answers) socket.write(encodeFrame({ v: 1, id: request.id, ...a }))
        }
      })
      socket.on("error", () => undefined)
      socket.on("close", () => {
        instance.closedConnections++
        for (const f of instance.onClose.splice(0)) f()
      })
    })
    instance = new ScriptedServer(server)
    return new Promise((resolve, reject) => {
      server.once("error", reject)
      server.listen(path, () => resolve(instance))
    })
  }

  /** Resolves once a client connection has closed (e.g. after Ctrl-C). */
  connectionClosed(): Promise<void> {
    return this.closedConnections > 0 ? Promise.resolve() : new Promise((resolve) => this.onClose.push(resolve))
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/**
 * One scripted server per describe block: a temp HOME with a git repo, the socket
 * path in HOOKD_SOCKET (autostart off), and the server closed after each test.
 */
export const useScriptedServer = (
  prefix: string,
  onReady: (ready: { readonly repo: string; readonly env: Record<string, string> }) => void
) => {
  const temp = tempDir(prefix)
  const socket = join(temp.dir, "hookd.sock")
  let server: ScriptedServer | undefined
  beforeAll(() => {
    const env = isolatedEnv(join(temp.dir, "home"), { HOOKD_SOCKET: socket, HOOKD_NO_AUTOSTART: "1" })
    onReady({ env, repo: initRepo(temp.dir, env) })
  })
  afterEach(async () => {
    await server?.close()
    server = undefined
  })
  afterAll(() => temp.cleanup())
  return {
    socket,
    serve: async (script: Script, options: ServerOptions = {}) =>
      (server = await ScriptedServer.listen(socket, script, { answerHello: true, ...options }))
  }
}
