// JSON on the wire: bigints travel as decimal strings (the zod uint schemas accept them back).

/** JSON.stringify with bigints written as decimal strings. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** A value as it looks after a trip through JSON: bigints become strings. */
export function toWire<T>(value: T): unknown {
  return JSON.parse(toWireJson(value));
}
