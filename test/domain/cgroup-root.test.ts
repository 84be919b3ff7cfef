import { describe, expect, it } from "vitest"
import { cgroup2MountPoint, chooseCgroupRoot, ownCgroupPath, type CgroupFacts } from "../../src/domain/cgroup-root"

const UNIFIED = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
const HYBRID = [
  "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
  "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0",
  "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
  ""
].join("\n")
const SERVICE = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service\n"

describe("cgroup2MountPoint / ownCgroupPath", () => {
  it.each<[string, string, string | undefined]>([
    ["unified layout", UNIFIED, "/sys/fs/cgroup"],
    ["hybrid layout", HYBRID, "/sys/fs/cgroup/unified"],
    ["v1 only", "cgroup /sys/fs/cgroup/memory cgroup rw 0 0\n", undefined],
    ["an escaped space", "cgroup2 /mnt/my\\040cgroups cgroup2 rw 0 0\n", "/mnt/my cgroups"],
    ["nothing (not Linux)", "", undefined]
  ])("%s", (_label, mounts, expected) => {
    expect(cgroup2MountPoint(mounts)).toBe(expected)
  })

  it("reads the v2 line among v1 lines", () => {
    expect(ownCgroupPath("4:memory:/x\n0::/system.slice/hookd.service\n")).toBe("/system.slice/hookd.service")
    expect(ownCgroupPath("4:memory:/x\n")).toBeUndefined()
  })
})

describe("chooseCgroupRoot", () => {
  const facts = (extra: Partial<CgroupFacts>): CgroupFacts => ({ configuredRoot: undefined, mounts: UNIFIED, selfCgroup: SERVICE, ...extra })
  it.each<[string, Partial<CgroupFacts>, ReturnType<typeof chooseCgroupRoot>]>([
    [
      "a systemd service's own cgroup (Delegate=yes)",
      {},
      { _tag: "Root", root: "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service", source: "systemd delegation", leaveRoot: true }
    ],
    [
      "the same in the hybrid layout",
      { mounts: HYBRID },
      { _tag: "Root", root: "/sys/fs/cgroup/unified/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service", source: "systemd delegation", leaveRoot: true }
    ],
    [
      "already in the service's supervisor cgroup (moved there by an earlier start): the service's cgroup, nothing to leave",
      { selfCgroup: "0::/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service/supervisor\n" },
      { _tag: "Root", root: "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service", source: "systemd delegation", leaveRoot: false }
    ],
    ["a supervisor cgroup that is not a service's", { selfCgroup: "0::/user.slice/session-2.scope/supervisor\n" }, { _tag: "None", reason: expect.stringContaining("not in a systemd service's") }],
    [
      "HOOKD_CGROUP_ROOT naming hookd's own cgroup: it leaves it",
      { configuredRoot: "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service/" },
      { _tag: "Root", root: "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/hookd.service", source: "HOOKD_CGROUP_ROOT", leaveRoot: true }
    ],
    ["HOOKD_CGROUP_ROOT wins", { configuredRoot: "/sys/fs/cgroup/mine" }, { _tag: "Root", root: "/sys/fs/cgroup/mine", source: "HOOKD_CGROUP_ROOT", leaveRoot: false }],
    ["HOOKD_CGROUP_ROOT wins even without a mount (the probe decides)", { configuredRoot: "/x", mounts: "" }, { _tag: "Root", root: "/x", source: "HOOKD_CGROUP_ROOT", leaveRoot: false }],
    ["an empty HOOKD_CGROUP_ROOT is unset", { configuredRoot: "", selfCgroup: "0::/\n" }, { _tag: "None", reason: expect.stringContaining("the root cgroup") }],
    ["a relative HOOKD_CGROUP_ROOT", { configuredRoot: "cg" }, { _tag: "None", reason: 'HOOKD_CGROUP_ROOT must be an absolute path, got "cg"' }],
    ["no cgroup2 mount", { mounts: "cgroup /sys/fs/cgroup/memory cgroup rw 0 0\n" }, { _tag: "None", reason: "no cgroup v2 filesystem is mounted" }],
    ["no v2 line", { selfCgroup: "4:memory:/\n" }, { _tag: "None", reason: "hookd is not in a cgroup v2 hierarchy" }],
    ["the root cgroup", { selfCgroup: "0::/\n" }, { _tag: "None", reason: expect.stringContaining("hookd runs in the root cgroup") }],
    [
      "a login session's scope",
      { selfCgroup: "0::/user.slice/user-1000.slice/session-2.scope\n" },
      { _tag: "None", reason: expect.stringContaining("the cgroup /user.slice/user-1000.slice/session-2.scope, not in a systemd service's") }
    ]
  ])("%s", (_label, extra, expected) => {
    expect(chooseCgroupRoot(facts(extra))).toEqual(expected)
  })
})
