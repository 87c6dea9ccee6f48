// gRPC status code names as Prometheus labels (the spelling go-grpc-prometheus uses).
import { status } from "@grpc/grpc-js";

const names: Record<number, string> = {
  [status.OK]: "OK",
  [status.CANCELLED]: "Canceled",
  [status.UNKNOWN]: "Unknown",
  [status.INVALID_ARGUMENT]: "InvalidArgument",
  [status.DEADLINE_EXCEEDED]: "DeadlineExceeded",
  [status.NOT_FOUND]: "NotFound",
  [status.ALREADY_EXISTS]: "AlreadyExists",
  [status.PERMISSION_DENIED]: "PermissionDenied",
  [status.RESOURCE_EXHAUSTED]: "ResourceExhausted",
  [status.FAILED_PRECONDITION]: "FailedPrecondition",
  [status.ABORTED]: "Aborted",
  [status.OUT_OF_RANGE]: "OutOfRange",
  [status.UNIMPLEMENTED]: "Unimplemented",
  [status.INTERNAL]: "Internal",
  [status.UNAVAILABLE]: "Unavailable",
  [status.DATA_LOSS]: "DataLoss",
  [status.UNAUTHENTICATED]: "Unauthenticated",
};

/** "NotFound" for 5, and so on; unknown numbers are printed as they are. */
export function grpcCodeName(code: number): string {
  return names[code] ?? String(code);
}

/** Splits "/pkg.Service/Method" into its service and method. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const [, service = "unknown", method = "unknown"] = path.split("/");
  return { service, method };
}
