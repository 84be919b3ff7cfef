// Listening on the singleton's abstract-socket name (singleton.ts), effect-free so that the loader's
// first stage (first-stage.ts) takes the lock with the same code before the supervisor's bundle loads.
import * as net from "node:net"

export type LockListen = { readonly _tag: "Listening"; readonly server: net.Server } | { readonly _tag: "InUse" } | { readonly _tag: "Failed"; readonly error: Error }

/** Listens on the lock name; every connection is answered with our pid, so losers can name us. */
export const listenOnLockName = (name: string, done: (result: LockListen) => void): void => {
  const server = net.createServer((socket) => {
    socket.on("error", () => {})
    socket.unref()
    socket.end(String(process.pid))
  })
  server.once("error", (error: NodeJS.ErrnoException) => {
    done(error.code === "EADDRINUSE" ? { _tag: "InUse" } : { _tag: "Failed", error })
  })
  server.once("listening", () => {
    server.on("error", () => {})
    // The lock alone must not keep the process alive.
    server.unref()
    done({ _tag: "Listening", server })
  })
  server.listen({ path: name })
}
