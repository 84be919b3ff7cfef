// A real Unix-socket server speaking the framing of SPEC §2 with scripted answers, so the built
// hookctl can be exercised before (and independently of) the supervisor.
import { createServer, type Server, type Socket } from "node:net"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll } from "vitest"
import { FrameDecoder, encodeFrame, parseFrameBody } from "../../src/protocol/framing"
import type { ResponseKind, ResponsePayloads } from "../../src/protocol/types"
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

export class ScriptedServer {
  readonly requests: ReceivedRequest[] = []
  private readonly server: Server
  /** Connections accepted so far. */
  connections = 0
  private closedConnections = 0
  private onClose: Array<() => void> = []

  private constructor(server: Server) {
    this.server = server
  }

  static listen(path: string, script: Script): Promise<ScriptedServer> {
    let instance: ScriptedServer
    const server = createServer((socket: Socket) => {
      instance.connections++
      const decoder = new FrameDecoder()
      socket.on("data", (chunk) => {
        for (const body of decoder.push(chunk)) {
          const request = parseFrameBody(body) as unknown as ReceivedRequest
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
    serve: async (script: Script) => (server = await ScriptedServer.listen(socket, script))
  }
}
