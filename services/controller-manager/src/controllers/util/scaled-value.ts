// IntOrString scaling ("2" or "25%" of a total), as workload controllers read maxSurge, maxUnavailable and partitions.

/**
 * An IntOrString (`"2"` or `"25%"`) as a count of `total` (Kubernetes' GetScaledValueFromIntOrPercent);
 * an empty value is `fallback`. Throws a RangeError for anything else (validation rejects it first).
 */
export function scaledValue(value: string, total: number, roundUp: boolean, fallback = 0): number {
  if (value === "") return fallback;
  if (/^\d+$/.test(value)) return Number(value);
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new RangeError(`invalid int or percentage: ${JSON.stringify(value)}`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
