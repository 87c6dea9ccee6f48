// batch/v1 validation: Job and CronJob specs, their update rules and the cron schedule.
import { FieldPath, invalid, required, type FieldError } from "../field-errors.js";
import type { CronJob } from "../gen/kubeplane/batch/v1/cron_job.js";
import type { Job, JobSpec } from "../gen/kubeplane/batch/v1/job.js";
import { isEmptySelector, validateEnum, validateImmutable, validateLabelSelector, validateNonnegative, validatePositive } from "./common.js";
import { cronScheduleProblem } from "./cron.js";
import { selectorMatches, validateTemplate } from "./workloads.js";

const JOB_RESTART_POLICIES = ["OnFailure", "Never"] as const;
/** Kubernetes keeps CronJob names short enough for the Job names it derives (name + "-" + 11-digit timestamp). */
const CRONJOB_NAME_MAX = 52;

/** A JobSpec: counts ≥ 0, completion mode, template with OnFailure/Never, selector matching when set. */
export function validateJobSpec(s: JobSpec | undefined, path: FieldPath, isTemplate: boolean): FieldError[] {
  if (!s) return [required(path, "")];
  const errs = validateNonnegative(s.parallelism, path.child("parallelism"));
  errs.push(...validateNonnegative(s.completions, path.child("completions")));
  errs.push(...validateNonnegative(s.backoffLimit, path.child("backoffLimit")));
  errs.push(...validateNonnegative(s.ttlSecondsAfterFinished, path.child("ttlSecondsAfterFinished")));
  errs.push(...validatePositive(s.activeDeadlineSeconds, path.child("activeDeadlineSeconds")));
  errs.push(...validateEnum(s.completionMode, ["NonIndexed", "Indexed"], path.child("completionMode"), false));
  if (s.completionMode === "Indexed" && s.completions === undefined) {
    errs.push(required(path.child("completions"), "when completion mode is Indexed"));
  }
  errs.push(...validateEnum(s.podReplacementPolicy, ["TerminatingOrFailed", "Failed"], path.child("podReplacementPolicy"), false));
  if (s.manualSelector === true && isEmptySelector(s.selector) && !isTemplate) errs.push(required(path.child("selector"), ""));
  if (s.selector) {
    errs.push(...validateLabelSelector(s.selector, path.child("selector")));
    if (!isEmptySelector(s.selector) && s.template && !selectorMatches(s.selector, s.template.metadata?.labels)) {
      errs.push(invalid(path.child("template").child("metadata").child("labels"), s.template.metadata?.labels ?? {}, "`selector` does not match template `labels`"));
    }
  }
  errs.push(...validateTemplate(s.template, JOB_RESTART_POLICIES, path.child("template")));
  if (s.template?.spec && s.template.spec.restartPolicy === "") {
    errs.push({ type: "FieldValueNotSupported", field: String(path.child("template").child("spec").child("restartPolicy")), value: "", detail: 'supported values: "OnFailure", "Never"' });
  }
  return dedupe(errs);
}

// The Job template's empty restartPolicy is reported both as Required (pod) and NotSupported (job); keep Kubernetes' one.
function dedupe(errs: FieldError[]): FieldError[] {
  return errs.filter((e) => !(e.type === "FieldValueRequired" && e.field.endsWith("template.spec.restartPolicy")));
}

/** A Job on create. */
export function validateJob(job: Job): FieldError[] {
  return validateJobSpec(job.spec, FieldPath.root("spec"), false);
}

/** A Job update: selector, template, completionMode and completions are immutable. */
export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const spec = FieldPath.root("spec");
  const errs = validateImmutable(job.spec?.selector, old.spec?.selector, spec.child("selector"));
  errs.push(...validateImmutable(job.spec?.template, old.spec?.template, spec.child("template")));
  errs.push(...validateImmutable(job.spec?.completionMode, old.spec?.completionMode, spec.child("completionMode")));
  errs.push(...validateImmutable(job.spec?.completions, old.spec?.completions, spec.child("completions")));
  return errs;
}

/** A CronJob: schedule, policies, history limits and its job template. */
export function validateCronJob(cj: CronJob): FieldError[] {
  const spec = FieldPath.root("spec");
  const errs: FieldError[] = [];
  const name = cj.metadata?.name ?? "";
  if (name.length > CRONJOB_NAME_MAX) errs.push(invalid(FieldPath.root("metadata").child("name"), name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  const s = cj.spec;
  if (!s) return [...errs, required(spec, "")];
  if (s.schedule === "") {
    errs.push(required(spec.child("schedule"), ""));
  } else if (/^\s*(CRON_)?TZ=/.test(s.schedule)) {
    errs.push(invalid(spec.child("schedule"), s.schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  } else {
    const problem = cronScheduleProblem(s.schedule);
    if (problem) errs.push(invalid(spec.child("schedule"), s.schedule, problem));
  }
  if (s.timeZone !== undefined && !validTimeZone(s.timeZone)) errs.push(invalid(spec.child("timeZone"), s.timeZone, "unknown time zone " + s.timeZone));
  errs.push(...validateEnum(s.concurrencyPolicy, ["Allow", "Forbid", "Replace"], spec.child("concurrencyPolicy")));
  errs.push(...validateNonnegative(s.startingDeadlineSeconds, spec.child("startingDeadlineSeconds")));
  errs.push(...validateNonnegative(s.successfulJobsHistoryLimit, spec.child("successfulJobsHistoryLimit")));
  errs.push(...validateNonnegative(s.failedJobsHistoryLimit, spec.child("failedJobsHistoryLimit")));
  errs.push(...validateJobSpec(s.jobTemplate?.spec, spec.child("jobTemplate").child("spec"), true));
  return errs;
}

function validTimeZone(tz: string): boolean {
  if (tz === "" || tz.toLowerCase() === "local") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
