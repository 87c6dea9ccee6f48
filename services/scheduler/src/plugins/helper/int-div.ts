// Integer division as Go's int64 does it, so scores match kube-scheduler's to the point.

/** Go's int64 division for non-negative safe integers (a float quotient can round up across an integer). */
export function intDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}
