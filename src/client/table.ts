// Lays out a table within a terminal width: shrink the flexible columns first, then drop the least
// important ones. Widths are computed on plain text; colour is applied after padding.
import { paint, truncateEnd, truncateStart, type Colour } from "./format"
import { terminalSafe } from "../protocol/terminal-text"

export interface Column {
  readonly header: string
  readonly align?: "left" | "right"
  /** Higher survives longer when columns must be dropped; the first column is never dropped. */
  readonly priority: number
  /** A flexible column can be cut down to `minWidth` (with an ellipsis) before anything is dropped. */
  readonly minWidth?: number
  /** Which end of a cut cell to keep: paths keep their end. */
  readonly keep?: "start" | "end"
}

export interface Cell {
  readonly text: string
  readonly colour?: Colour
}

const GAP = 2

/** The widths each kept column gets, or undefined for a dropped column (pure; unit-tested). */
export const fitColumns = (
  columns: ReadonlyArray<Column>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  width: number
): Array<number | undefined> => {
  const natural = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => r[i]?.text.length ?? 0)))
  const widths: Array<number | undefined> = [...natural]
  const total = () => {
    const kept = widths.filter((w): w is number => w !== undefined)
    return kept.reduce((a, b) => a + b, 0) + GAP * Math.max(0, kept.length - 1)
  }
  // 1. Shrink flexible columns, widest first, one character at a time.
  for (;;) {
    const excess = total() - width
    if (excess <= 0) break
    let widest = -1
    for (let i = 0; i < columns.length; i++) {
      const w = widths[i]
      const min = columns[i].minWidth
      if (w === undefined || min === undefined || w <= Math.max(min, columns[i].header.length)) continue
      if (widest < 0 || w > (widths[widest] as number)) widest = i
    }
    if (widest < 0) break
    widths[widest] = (widths[widest] as number) - 1
  }
  // 2. Drop the least important columns until the rest fit (never the first column).
  while (total() > width) {
    let victim = -1
    for (let i = 1; i < columns.length; i++) {
      if (widths[i] === undefined) continue
      if (victim < 0 || columns[i].priority < columns[victim].priority) victim = i
    }
    if (victim < 0) break
    widths[victim] = undefined
  }
  // 3. Give any room freed by dropping back to the shrunk columns.
  for (let i = 0; i < columns.length; i++) {
    const w = widths[i]
    if (w === undefined || w >= natural[i]) continue
    widths[i] = w + Math.min(natural[i] - w, Math.max(0, width - total()))
  }
  return widths
}

const fit = (cell: Cell, column: Column, width: number, colour: boolean): string => {
  const text = column.keep === "end" ? truncateStart(cell.text, width) : truncateEnd(cell.text, width)
  const padding = " ".repeat(Math.max(0, width - text.length))
  const painted = paint(text, cell.colour, colour)
  return column.align === "right" ? padding + painted : painted + padding
}

/** The table as lines (header first), every line at most `width` characters of visible text. */
export const renderTable = (
  columns: ReadonlyArray<Column>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  width: number,
  colour: boolean
): string[] => {
  // Escaped before measuring: a newline in a path must neither break a row nor skew the widths.
  const safeRows = rows.map((cells) => cells.map((cell) => ({ ...cell, text: terminalSafe(cell.text) })))
  const widths = fitColumns(columns, safeRows, width)
  const line = (cells: ReadonlyArray<Cell>) =>
    columns
      .flatMap((column, i) => {
        const w = widths[i]
        return w === undefined ? [] : [fit(cells[i] ?? { text: "" }, column, w, colour)]
      })
      .join(" ".repeat(GAP))
      .trimEnd()
  const header = line(columns.map((c) => ({ text: c.header, colour: "bold" as const })))
  return [header, ...safeRows.map(line)]
}
