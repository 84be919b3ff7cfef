// Placeholder until the service installer lands: `hookctl service …` delegates here.
export const runServiceCommand = async (_args: ReadonlyArray<string>): Promise<number> => {
  process.stderr.write("hookctl service: not implemented yet\n")
  return 2
}
