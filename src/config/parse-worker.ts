// The YAML parse of a big config file, in a worker thread (bundled as dist/yaml-worker.mjs): the
// supervisor's event loop keeps answering other clients meanwhile (issue 14 item 8 — a 1 MiB file
// takes ~1.8 s of CPU to parse). One parse per worker: it gets {file, text} and posts the result.
import { parentPort, workerData } from "node:worker_threads"
import { parseYaml } from "./yaml-source"

const { file, text } = workerData as { readonly file: string; readonly text: string }
parentPort?.postMessage(parseYaml(file, text))
