// Adds many observations to a prom-client Histogram at once: counts per bucket, as the access log reader aggregates them.
import type { Histogram, LabelValues } from "prom-client";

/**
 * prom-client 15's state of one label set (lib/histogram.js): counts per bucket keyed by upper
 * bound (not cumulative; a value above every bound is only in `count`), sum and count. Its
 * layout is checked by histogram-batch.test.ts against `observe`.
 */
interface HistogramEntry {
  labels: LabelValues<string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

const sameLabels = (a: LabelValues<string>, b: LabelValues<string>): boolean => {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
};

/**
 * Adds `count` observations summing to `sum` to `histogram`'s series `labels`, where
 * `perBucket[i]` of them fell at or below `bounds[i]` and above `bounds[i - 1]` (`bounds` are the
 * histogram's buckets, in order). The same result as `count` calls of `observe`, at the cost of
 * one: prom-client hashes and validates the labels on every `observe`, even through `labels()`,
 * a cost that shows per request on a data plane (the ingress access log reader, the DNS query path).
 */
export function addObservations<T extends string>(histogram: Histogram<T>, labels: LabelValues<T>, bounds: readonly number[], perBucket: ArrayLike<number>, sum: number, count: number): void {
  if (count === 0) return;
  const state = histogram as unknown as { hashMap: Record<string, HistogramEntry> };
  let entry = Object.values(state.hashMap).find((e) => sameLabels(e.labels, labels));
  if (!entry) {
    histogram.zero(labels);
    entry = Object.values(state.hashMap).find((e) => sameLabels(e.labels, labels));
    if (!entry) throw new Error("prom-client's Histogram keeps no state for the labels zero() was given");
  }
  for (let i = 0; i < bounds.length; i++) if (perBucket[i]) entry.bucketValues[bounds[i]!] = (entry.bucketValues[bounds[i]!] ?? 0) + perBucket[i]!;
  entry.sum += sum;
  entry.count += count;
}

/** The index of the first bound `value` is at or below, or `bounds.length` when above all (the +Inf bucket). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  return i;
}
