// The edge of the request path: any failure as the gRPC status (with its Kubernetes Status) clients decode.
import type { ServiceError } from "@grpc/grpc-js";
import { apiErrors, isApiError, toGrpcStatus, type ApiError } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { isStoreUnavailable } from "@kubeplane/storage";

/** Turns any failure into the gRPC status clients decode back into an ApiError. */
export function toServiceError(err: unknown, logger: Logger): Partial<ServiceError> {
  let apiError: ApiError;
  if (isApiError(err)) apiError = err;
  else if (isStoreUnavailable(err)) {
    apiError = apiErrors.apiError("ServiceUnavailable", `the storage is unavailable: ${(err as Error).message}`, undefined, [], err);
  } else {
    logger.error({ err }, "internal error");
    apiError = apiErrors.internalError(err);
  }
  return toGrpcStatus(apiError) as Partial<ServiceError>;
}
