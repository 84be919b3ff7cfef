// Placeholder; replaced by the JSON Schema generator.
export {}
