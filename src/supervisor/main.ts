// Placeholder entry point; replaced by the supervisor's main.
process.stderr.write("hookd: not built yet\n")
process.exit(1)
