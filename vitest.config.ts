import { defineConfig } from "vitest/config"

// Folders whose tests start real supervisors, services or long-lived processes: each file runs in a
// fresh process (they change the process' signal handlers and child set, and a leftover would leak
// into the next file). Everything else is a unit test and shares its worker's module cache: loading
// effect once per worker instead of once per file is most of what makes the suite fast.
const blackBox = ["test/e2e/**/*.test.ts", "test/server/**/*.test.ts", "test/service/**/*.test.ts", "test/security/**/*.test.ts"]

const shared = {
  testTimeout: 30000,
  hookTimeout: 30000
}

export default defineConfig({
  test: {
    // Once per run, for every project: builds dist/ (hookd, hookctl) that black-box tests execute.
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Two cores: two workers per pool. Black-box tests mostly wait on their child processes, so the
    // unit pool's CPU work overlaps with them.
    maxWorkers: 2,
    minWorkers: 1,
    poolOptions: {
      threads: { isolate: false },
      forks: { isolate: true }
    },
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: blackBox,
          pool: "threads",
          isolate: false
        }
      },
      {
        test: {
          ...shared,
          name: "black-box",
          include: blackBox,
          pool: "forks",
          isolate: true
        }
      }
    ]
  }
})
