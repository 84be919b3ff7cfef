// The package version, injected by the bundler (src/tools/bundle.mjs); "dev" when run unbundled.
declare const __HOOKD_VERSION__: string | undefined
export const HOOKD_VERSION: string = typeof __HOOKD_VERSION__ === "string" ? __HOOKD_VERSION__ : "dev"
