// Validates a ContainerLogsRequest into LogReadOptions (Kubernetes' PodLogOptions validation).
import { apiErrors, invalid, type FieldError, type kubeletV1 } from "@kubeplane/api";
import type { LogReadOptions } from "./container-log-reader.js";

/** The read options of a request, or Invalid with the offending fields. `now` resolves sinceSeconds. */
export function logReadOptions(req: kubeletV1.ContainerLogsRequest, now: Date): Omit<LogReadOptions, "follow"> {
  const errors: FieldError[] = [];
  if (req.tailLines !== undefined && req.tailLines < 0) errors.push(invalid("tailLines", req.tailLines, "must be greater than or equal to 0"));
  if (req.limitBytes !== undefined && req.limitBytes < 1) errors.push(invalid("limitBytes", req.limitBytes, "must be greater than 0"));
  if (req.sinceSeconds !== undefined && req.sinceTime) errors.push(invalid("sinceSeconds", req.sinceSeconds, "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  if (req.sinceSeconds !== undefined && req.sinceSeconds < 1) errors.push(invalid("sinceSeconds", req.sinceSeconds, "must be greater than 0"));
  const sinceTime = req.sinceTime ? Date.parse(req.sinceTime) : undefined;
  if (sinceTime !== undefined && Number.isNaN(sinceTime)) errors.push(invalid("sinceTime", req.sinceTime, "must be an RFC 3339 time"));
  if (errors.length) throw apiErrors.invalid({ resource: "pods", kind: "PodLogOptions", name: req.pod }, errors);
  return {
    tailLines: req.tailLines,
    limitBytes: req.limitBytes,
    timestamps: req.timestamps,
    sinceMillis: sinceTime ?? (req.sinceSeconds !== undefined ? now.getTime() - req.sinceSeconds * 1000 : undefined),
  };
}
