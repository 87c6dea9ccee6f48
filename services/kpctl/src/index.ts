// @kubeplane/kpctl: the operators' CLI as a function, so tests and tools can run it in-process.
export { run, COMMANDS, GLOBAL_FLAGS } from "./run.js";
export type { JsonVerbs, KpctlClient, KpctlIo, OutputStream } from "./cli-io.js";
export { planApply, LAST_APPLIED_ANNOTATION, type ApplyPlan } from "./apply-plan.js";
export { CLIENT_VERSION } from "./commands/version.js";
