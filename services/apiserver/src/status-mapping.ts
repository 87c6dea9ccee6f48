// The edge of the request path: any failure as the gRPC status (with its Kubernetes Status) clients decode.
import type { ServiceError } from "@grpc/grpc-js";
import { apiErrors, isApiError, toGrpcStatus, type ApiError } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { isStoreUnavailable } from "@kubeplane/storage";

/** Any failure as an ApiError: itself, ServiceUnavailable for an unreachable store, else InternalError (logged). */
export function toApiError(err: unknown, logger: Logger): ApiError {
  if (isApiError(err)) return err;
  if (isStoreUnavailable(err)) return apiErrors.apiError("ServiceUnavailable", `the storage is unavailable: ${(err as Error).message}`, undefined, [], err);
  logger.error({ err }, "internal error");
  return apiErrors.internalError(err);
}

/** Turns any failure into the gRPC status clients decode back into an ApiError. */
export function toServiceError(err: unknown, logger: Logger): Partial<ServiceError> {
  return toGrpcStatus(toApiError(err, logger)) as Partial<ServiceError>;
}
