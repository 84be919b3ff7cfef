// Request builders for the benchmarks: the tests' own (test/support/requests.ts: `job`, `runJobs`),
// bundled for plain .mjs, so a bench request is built exactly as a test's — one copy of each builder.
import { importBundled } from "./bundle.mjs"

/** job(name, run, extra): a background job spec; runJobs(repo, jobs, extra): a post-checkout RunJobs. */
export const { job, runJobs } = await importBundled("requests", { entryPoints: ["test/support/requests.ts"] })

/** `count` jobs running `run`, named t00000, t00001, … (declaration order = name order). */
export const manyJobs = (count, run = "true", extra = {}) =>
  Array.from({ length: count }, (_, i) => job(`t${String(i).padStart(5, "0")}`, run, extra))
