// Admission metrics, named as kube-apiserver's: per plugin and per phase ("step"), by operation and outcome.
import { Histogram, type Registry } from "prom-client";

export interface AdmissionMetrics {
  /** apiserver_admission_controller_admission_duration_seconds{name,operation,rejected,type}. */
  controller: Histogram<"name" | "operation" | "rejected" | "type">;
  /** apiserver_admission_step_admission_duration_seconds{operation,rejected,type}: each phase as a whole. */
  step: Histogram<"operation" | "rejected" | "type">;
}

const buckets = [0.005, 0.025, 0.1, 0.5, 1, 2.5];

export function createAdmissionMetrics(registry: Registry): AdmissionMetrics {
  return {
    controller: new Histogram({
      name: "apiserver_admission_controller_admission_duration_seconds",
      help: "Admission controller latency histogram in seconds, identified by name and broken out for each operation and type (validate or admit).",
      labelNames: ["name", "operation", "rejected", "type"],
      buckets,
      registers: [registry],
    }),
    step: new Histogram({
      name: "apiserver_admission_step_admission_duration_seconds",
      help: "Admission sub-step latency histogram in seconds, broken out for each operation and type (validate or admit).",
      labelNames: ["operation", "rejected", "type"],
      buckets,
      registers: [registry],
    }),
  };
}
