// @kubeplane/controller: the controller runtime (informers, work queues, reconcile loops, leader election).
export { connectControllerProcess, type ControllerProcess, type ControllerProcessConfig, type ServiceHooks } from "./connect.js";
export { Controller, TerminalError, type ControllerOptions, type Reconciler, type Request, type Result } from "./controller.js";
export { Expectations } from "./expectations.js";
export { LeaseElection, LeaseLostError, type LeaseElectionOptions } from "./lease-election.js";
export type { Logger } from "./logger.js";
export { LeadershipLostError, Manager, type ManagerOptions } from "./manager.js";
export { controllerMetrics, type ControllerMetrics } from "./metrics.js";
export { controllerRef, isControlledBy, newControllerRef, ownerKey } from "./owner-refs.js";
export { serveUntilStopped, type StartedComponent } from "./serve.js";
export { selectControllers } from "./select-controllers.js";
