// Whether and when a Job finished (its Complete or Failed condition): the Job and CronJob controllers both ask.
import type { batchV1Job } from "@kubeplane/api";
import { parseTime } from "./time.js";

type Job = batchV1Job.Job;

/** How a Job ended: its Complete or Failed condition (status True), and when. */
export interface JobFinish {
  type: "Complete" | "Failed";
  /** When it finished (ms): the condition's transition, or completionTime. */
  at: number | undefined;
}

/** The Job's terminal condition, if it has one. */
export function jobFinish(job: Job): JobFinish | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === "Complete" || c.type === "Failed") && c.status === "True") {
      const at = parseTime(c.lastTransitionTime) ?? (c.type === "Complete" ? parseTime(job.status?.completionTime) : undefined);
      return { type: c.type, at };
    }
  }
  return undefined;
}
