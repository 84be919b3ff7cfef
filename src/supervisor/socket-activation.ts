// systemd socket activation (SPEC §7): the listening socket arrives as fd 3.
const FIRST_ACTIVATION_FD = 3

/**
 * Returns 3 when exactly one socket was passed to this very process, else undefined. Always removes
 * LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES from `env` so that jobs do not inherit them.
 */
export const takeActivationFd = (env: NodeJS.ProcessEnv = process.env): number | undefined => {
  const fds = env.LISTEN_FDS
  const pid = env.LISTEN_PID
  delete env.LISTEN_FDS
  delete env.LISTEN_PID
  delete env.LISTEN_FDNAMES
  return fds === "1" && pid === String(process.pid) ? FIRST_ACTIVATION_FD : undefined
}
