// `--repo DIR`, read the one way: by the whole client's parser (cli.ts) and by the hot bundles' own
// command-line readers (commands/status.ts, commands/ls.ts), which must read what they accept
// exactly as the parser does (test/client/hot-command-lines.test.ts).
import { isAbsolute, resolve } from "node:path"

/**
 * Whether `value`, the word after `--repo`, is one the parser takes as its value: there, not empty
 * and not an option (the parser refuses those; a hot reader leaves such a line to it).
 */
export const isRepoValue = (value: string | undefined): value is string => value !== undefined && value !== "" && !value.startsWith("-")

/**
 * The repository a command names: cwd without --repo; an absolute --repo as given (`/link/../x`
 * is the kernel's to resolve: after a symlink `..` is not what path.resolve makes of it); a
 * relative one from cwd.
 */
export const repoOf = (cwd: string, repo: string | undefined): string =>
  repo === undefined ? cwd : isAbsolute(repo) ? repo : resolve(cwd, repo)
