// Where hookd may put its jobs' cgroups (issue 14 item 7). Pure: the caller reads
// /proc/self/mounts and /proc/self/cgroup and then proves the answer by creating a cgroup there.

export interface CgroupFacts {
  /** HOOKD_CGROUP_ROOT, when set. */
  readonly configuredRoot: string | undefined
  /** The text of /proc/self/mounts ("" when unreadable: not Linux). */
  readonly mounts: string
  /** The text of /proc/self/cgroup. */
  readonly selfCgroup: string
}

export type CgroupRootChoice =
  | {
      readonly _tag: "Root"
      readonly root: string
      readonly source: "HOOKD_CGROUP_ROOT" | "systemd delegation"
      /**
       * hookd's own process is in the root itself (systemd puts a service's processes there): it
       * must move to `<root>/supervisor` (SUPERVISOR_CGROUP) before the root can hand controllers to
       * the job cgroups — cgroup v2's no-internal-processes rule.
       */
      readonly leaveRoot: boolean
    }
  | { readonly _tag: "None"; readonly reason: string }

/** The child of a delegated root that hookd moves its own processes into. */
export const SUPERVISOR_CGROUP = "supervisor"

/** Mount points escape space, tab, newline and backslash as octal (\040…). */
const unescapeMountPoint = (text: string): string => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))

/** The mount point of the (first) cgroup2 filesystem: /sys/fs/cgroup, or /sys/fs/cgroup/unified in the hybrid layout. */
export const cgroup2MountPoint = (mounts: string): string | undefined => {
  for (const line of mounts.split("\n")) {
    const [, mountPoint, type] = line.split(" ")
    if (type === "cgroup2" && mountPoint !== undefined) return unescapeMountPoint(mountPoint)
  }
  return undefined
}

/** The process's cgroup v2 path ("0::/path" line), e.g. "/user.slice/…/hookd.service". */
export const ownCgroupPath = (selfCgroup: string): string | undefined =>
  selfCgroup
    .split("\n")
    .find((line) => line.startsWith("0::"))
    ?.slice(3)

const joinPath = (mountPoint: string, cgroupPath: string): string => `${mountPoint.replace(/\/+$/, "")}${cgroupPath}`

/**
 * HOOKD_CGROUP_ROOT wins (it must be absolute). Otherwise hookd's own cgroup, but only when it is
 * a systemd service's (`*.service`): systemd hands a service its subtree with Delegate=yes (and
 * only then makes it writable for a user service). The root cgroup, a login session's scope or a
 * container's cgroup belong to someone else; there hookd keeps process groups.
 */
export const chooseCgroupRoot = (facts: CgroupFacts): CgroupRootChoice => {
  const configured = facts.configuredRoot
  const mountPoint = cgroup2MountPoint(facts.mounts)
  const own = ownCgroupPath(facts.selfCgroup)
  if (configured !== undefined && configured !== "") {
    if (!configured.startsWith("/")) return { _tag: "None", reason: `HOOKD_CGROUP_ROOT must be an absolute path, got "${configured}"` }
    const root = configured.replace(/(.)\/+$/, "$1")
    const leaveRoot = mountPoint !== undefined && own !== undefined && joinPath(mountPoint, own) === root
    return { _tag: "Root", root, source: "HOOKD_CGROUP_ROOT", leaveRoot }
  }
  if (mountPoint === undefined) return { _tag: "None", reason: "no cgroup v2 filesystem is mounted" }
  if (own === undefined) return { _tag: "None", reason: "hookd is not in a cgroup v2 hierarchy" }
  const parts = own.split("/")
  // Started again inside the service's supervisor cgroup (a hookd that moved there exec'd itself): the same root.
  if (parts.at(-1) === SUPERVISOR_CGROUP && (parts.at(-2) ?? "").endsWith(".service")) {
    return { _tag: "Root", root: joinPath(mountPoint, parts.slice(0, -1).join("/")), source: "systemd delegation", leaveRoot: false }
  }
  const unit = parts.at(-1) ?? ""
  if (!unit.endsWith(".service")) {
    const where = own === "/" ? "the root cgroup" : `the cgroup ${own}`
    return {
      _tag: "None",
      reason: `hookd runs in ${where}, not in a systemd service's delegated cgroup (run it as hookd.service with Delegate=yes, or set HOOKD_CGROUP_ROOT to a writable cgroup v2 directory)`
    }
  }
  return { _tag: "Root", root: joinPath(mountPoint, own), source: "systemd delegation", leaveRoot: true }
}
