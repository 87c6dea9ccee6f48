// The ingress bench's figures from interleaved rounds: the median of each side, its spread, and the ratio of medians.

/** A figure over the measured rounds: the median and the smallest and largest round. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max of `xs`, rounded to `digits`. */
export function spread(xs: number[], digits = 0): Spread {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const round = (x: number): number => Number(x.toFixed(digits));
  return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!) };
}

/** `a / b` to two decimals. */
export function ratio(a: number, b: number): number {
  return Number((a / b).toFixed(2));
}

/** "median (min–max)" with `unit`, thousands separated. */
export function formatSpread(s: Spread, unit: string): string {
  const f = (x: number): string => x.toLocaleString("en-US");
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}
