// kpctl's client of the scheduler's own gRPC API (SchedulerService), used by `explain-schedule`.
import { credentials, Metadata, status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { apiErrorFromGrpc, schedulerV1 } from "@kubeplane/api";
import { KpctlError } from "./errors.js";

/** The part of the scheduler's API kpctl uses; tests pass a fake through `KpctlIo.connectScheduler`. */
export interface SchedulerClient {
  /** Rejects with an ApiError (NotFound, …) from the scheduler, or a KpctlError when it cannot be reached. */
  explainSchedule(namespace: string, name: string): Promise<schedulerV1.ExplainScheduleResponse>;
  close(): void;
}

/** Dials the scheduler at `address` (plaintext: the scheduler's listener serves no TLS by default). */
export function connectScheduler(address: string, timeoutMs = 30_000): SchedulerClient {
  const client = new schedulerV1.SchedulerServiceClient(address, credentials.createInsecure());
  return {
    explainSchedule(namespace, name) {
      return new Promise((resolve, reject) => {
        client.explainSchedule({ namespace, name }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
          if (!err) resolve(res);
          else reject(toError(err, address));
        });
      });
    },
    close: () => client.close(),
  };
}

function toError(err: ServiceError, address: string): Error {
  if (err.code === grpcStatus.UNAVAILABLE || err.code === grpcStatus.DEADLINE_EXCEEDED) {
    return new KpctlError(`Unable to connect to the scheduler ${address}: ${err.details}`, "ESCHEDULER", { cause: err });
  }
  return apiErrorFromGrpc(err);
}
