// Wall-clock time in epoch milliseconds with sub-millisecond precision, comparable with the
// `date +%s%N` a job prints on the same machine. performance.timeOrigin + performance.now() is
// that already, up to how the origin was taken; the offset is calibrated against the instant
// Date.now() ticks to the next millisecond (a bounded spin of at most ~1 ms per sample).

const tickOffset = () => {
  const first = Date.now()
  let now = first
  for (let spins = 0; now === first && spins < 10_000_000; spins++) now = Date.now()
  return now - (performance.timeOrigin + performance.now())
}

const calibrate = () => {
  const offsets = Array.from({ length: 7 }, tickOffset).sort((a, b) => a - b)
  return offsets[3]
}

let offset

/** Epoch ms, µs precision. */
export const epochMs = () => {
  offset ??= calibrate()
  return performance.timeOrigin + performance.now() + offset
}

/** Converts a FramedClient receivedAt (timeOrigin + now) to the calibrated epoch clock. */
export const toEpochMs = (originMs) => {
  offset ??= calibrate()
  return originMs + offset
}
