import { defineConfig } from "vitest/config"

// Black-box tests start real supervisors, or serve sockets in-process (process.umask, which a worker
// thread may not call): they run in child processes and each file gets fresh modules. Everything
// else is a unit test and shares its worker thread's module cache: loading effect once per worker
// instead of once per file is most of what makes the suite fast. A unit test's helper module must
// therefore keep no state between files (e.g. no afterEach at its top level: it would be registered
// for the first file that imports the module only).
const blackBox = [
  "test/e2e/**/*.test.ts",
  "test/server/**/*.test.ts",
  "test/service/socket-activation.test.ts",
  "test/security/**/*.test.ts",
  // The fault suite (npm run test:faults) starts and kills real supervisors.
  "test/faults/**/*.test.ts"
]

const shared = {
  testTimeout: 30000,
  hookTimeout: 30000
}

export default defineConfig({
  test: {
    // Once per run, for every project: builds dist/ (hookd, hookctl) that black-box tests execute.
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Two cores: two workers per pool. The pools run at once, so the unit tests' CPU work fills the
    // time black-box tests spend waiting on their child processes.
    maxWorkers: 2,
    minWorkers: 1,
    // The pool-level switch decides whether a worker process or thread is reused for the next file
    // (starting one per file costs CPU); each project's own `isolate` decides whether that file gets
    // fresh modules.
    poolOptions: {
      threads: { isolate: false },
      forks: { isolate: false }
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
          // A file's beforeAll may start a supervisor and fire a dozen git hooks (each a hookctl and
          // a job): on a machine loaded many times over that took longer than 30 s. Failing a test
          // is for wrong answers, not for a busy machine.
          testTimeout: 60000,
          hookTimeout: 60000,
          pool: "forks",
          isolate: true
        }
      }
    ]
  }
})
