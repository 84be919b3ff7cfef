// Placeholder entry point; replaced by hookctl's main.
process.stderr.write("hookctl: not built yet\n")
process.exit(1)
