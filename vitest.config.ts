import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30000,
    hookTimeout: 30000,
    // Black-box tests start real supervisors and child processes; two cores, so keep the pool small.
    maxWorkers: 2,
    minWorkers: 1
  }
})
