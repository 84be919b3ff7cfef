// The package version, inlined by esbuild at build time (only this field of package.json).
import { version } from "../../package.json"

export const HOOKCTL_VERSION: string = version
