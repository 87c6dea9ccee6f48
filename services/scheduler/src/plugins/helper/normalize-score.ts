// Score normalization shared by Score plugins (kube-scheduler's plugins/helper/normalize_score.go).

/**
 * kube-scheduler's helper.DefaultNormalizeScore: scales `scores` in place so the largest becomes
 * `maxPriority` (integer arithmetic), reversed when fewer is better.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: Float64Array): void {
  let maxCount = 0;
  for (let i = 0; i < scores.length; i++) maxCount = Math.max(maxCount, scores[i]!);
  if (maxCount === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.trunc((maxPriority * scores[i]!) / maxCount);
    scores[i] = reverse ? maxPriority - scaled : scaled;
  }
}
