// Kubernetes-style API errors (meta/v1 Status) and their mapping to gRPC status codes.
import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { Status, type StatusCause } from "./gen/kubeplane/meta/v1/meta.js";
import { fieldErrorMessage, type FieldError } from "./field-errors.js";

/** The trailing-metadata key that carries the protobuf meta/v1 Status of a failed call. */
export const STATUS_METADATA_KEY = "kubeplane-status-bin";

export type StatusReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "BadRequest"
  | "Forbidden"
  | "Unauthorized"
  | "Gone"
  | "MethodNotAllowed"
  | "UnsupportedMediaType"
  | "RequestEntityTooLarge"
  | "TooManyRequests"
  | "Timeout"
  | "ServiceUnavailable"
  | "InternalError";

const httpCodes: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Forbidden: 403,
  Unauthorized: 401,
  Gone: 410,
  MethodNotAllowed: 405,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  Timeout: 504,
  ServiceUnavailable: 503,
  InternalError: 500,
};

const grpcCodes: Record<StatusReason, GrpcStatus> = {
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  Conflict: GrpcStatus.ABORTED,
  Invalid: GrpcStatus.INVALID_ARGUMENT,
  BadRequest: GrpcStatus.INVALID_ARGUMENT,
  Forbidden: GrpcStatus.PERMISSION_DENIED,
  Unauthorized: GrpcStatus.UNAUTHENTICATED,
  Gone: GrpcStatus.OUT_OF_RANGE,
  MethodNotAllowed: GrpcStatus.UNIMPLEMENTED,
  UnsupportedMediaType: GrpcStatus.INVALID_ARGUMENT,
  RequestEntityTooLarge: GrpcStatus.INVALID_ARGUMENT,
  TooManyRequests: GrpcStatus.RESOURCE_EXHAUSTED,
  Timeout: GrpcStatus.DEADLINE_EXCEEDED,
  ServiceUnavailable: GrpcStatus.UNAVAILABLE,
  InternalError: GrpcStatus.INTERNAL,
};

/** What an error is about: the resource ("pods", group "apps" for deployments) and the name. */
export interface ErrorSubject {
  group?: string;
  resource: string;
  /** The Kind, for Invalid ("Pod \"web\" is invalid: …"). */
  kind?: string;
  name?: string;
}

/**
 * An API call's failure as Kubernetes reports it: a meta/v1 Status with reason, HTTP-style code,
 * message and field causes. Thrown by the apiserver's handlers, carried over gRPC, and rebuilt by
 * clients, so `isNotFound(err)` works on either side.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: Status;

  constructor(status: Status, options?: { cause?: unknown }) {
    super(status.message, options);
    this.status = status;
  }

  get reason(): StatusReason {
    return this.status.reason as StatusReason;
  }

  /** The HTTP status code Kubernetes would answer with. */
  get code(): number {
    return this.status.code;
  }

  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

export function apiError(
  reason: StatusReason,
  message: string,
  subject?: ErrorSubject,
  causes: StatusCause[] = [],
  cause?: unknown,
): ApiError {
  return new ApiError(
    Status.fromPartial({
      apiVersion: "v1",
      kind: "Status",
      status: "Failure",
      message,
      reason,
      code: httpCodes[reason],
      details: subject
        ? { name: subject.name ?? "", group: subject.group ?? "", kind: subject.resource, causes }
        : causes.length
          ? { causes }
          : undefined,
    }),
    { cause },
  );
}

function qualified(s: ErrorSubject): string {
  return s.group ? `${s.resource}.${s.group}` : s.resource;
}

export function notFound(subject: ErrorSubject): ApiError {
  return apiError("NotFound", `${qualified(subject)} "${subject.name ?? ""}" not found`, subject);
}

export function alreadyExists(subject: ErrorSubject): ApiError {
  return apiError("AlreadyExists", `${qualified(subject)} "${subject.name ?? ""}" already exists`, subject);
}

export function conflict(subject: ErrorSubject, why: string): ApiError {
  return apiError(
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(subject)} "${subject.name ?? ""}": ${why}`,
    subject,
  );
}

/** The Conflict of a stale resourceVersion, worded as Kubernetes words it. */
export function staleConflict(subject: ErrorSubject): ApiError {
  return conflict(subject, "the object has been modified; please apply your changes to the latest version and try again");
}

/** Invalid: every field error becomes a cause; the message lists them all. */
export function invalid(subject: ErrorSubject, errors: readonly FieldError[]): ApiError {
  const kind = subject.kind ?? qualified(subject);
  const list = errors.map(fieldErrorMessage);
  const message = `${kind} "${subject.name ?? ""}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(", ")}]`}`;
  const causes = errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
  return apiError("Invalid", message, subject, causes);
}

/** BadRequest: a request that could not be decoded (wrong JSON types, unknown fields, bad selector). */
export function badRequest(message: string, errors: readonly FieldError[] = []): ApiError {
  const causes = errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field }));
  const full = errors.length ? `${message}: ${errors.map(fieldErrorMessage).join(", ")}` : message;
  return apiError("BadRequest", full, undefined, causes);
}

/**
 * TooManyRequests (429, gRPC RESOURCE_EXHAUSTED): the server refused the call for overload; the
 * client should retry after `retryAfterSeconds` (Status details, as Kubernetes' Retry-After).
 */
export function tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
  const err = apiError("TooManyRequests", message);
  err.status.details = { name: "", group: "", kind: "", uid: "", causes: [], retryAfterSeconds };
  return err;
}

export function gone(message: string): ApiError {
  return apiError("Gone", message);
}

export function forbidden(subject: ErrorSubject, why: string): ApiError {
  return apiError("Forbidden", `${qualified(subject)} "${subject.name ?? ""}" is forbidden: ${why}`, subject);
}

export function methodNotSupported(subject: ErrorSubject, verb: string): ApiError {
  return apiError("MethodNotAllowed", `the server does not allow this method on the requested resource: ${verb} ${qualified(subject)}`, subject);
}

export function internalError(err: unknown): ApiError {
  const message = err instanceof Error ? err.message : String(err);
  return apiError("InternalError", `Internal error occurred: ${message}`, undefined, [], err);
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

const hasReason = (reason: StatusReason) => (err: unknown): boolean => isApiError(err) && err.reason === reason;
export const isNotFound = hasReason("NotFound");
export const isAlreadyExists = hasReason("AlreadyExists");
export const isConflict = hasReason("Conflict");
export const isInvalid = hasReason("Invalid");
export const isBadRequest = hasReason("BadRequest");
export const isGone = hasReason("Gone");
export const isForbidden = hasReason("Forbidden");
export const isTooManyRequests = hasReason("TooManyRequests");

/** Bounds of a Status on the wire: gRPC sends it in HTTP/2 trailers, which peers cap (~64 KiB). */
const WIRE_MESSAGE_CHARS = 4096;
const WIRE_CAUSES = 20;
const WIRE_CAUSE_CHARS = 512;

/**
 * A string safe for a gRPC trailer: lone UTF-16 surrogates (which grpc-js's encodeURI of the
 * message throws on, killing the process) become U+FFFD, and long text is cut with a marker.
 */
function wireText(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
  return cut.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** The Status as sent: message and causes bounded and well-formed, whatever a hostile request put in them. */
function wireStatus(status: Status): Status {
  const details = status.details
    ? {
        ...status.details,
        name: wireText(status.details.name, 512),
        causes: status.details.causes.slice(0, WIRE_CAUSES).map((c) => ({ reason: c.reason, message: wireText(c.message, WIRE_CAUSE_CHARS), field: wireText(c.field, 512) })),
      }
    : undefined;
  return { ...status, message: wireText(status.message, WIRE_MESSAGE_CHARS), details };
}

/** The gRPC status an ApiError is sent as: code by reason, the Status (bounded, well-formed) in trailing metadata. */
export function toGrpcStatus(err: ApiError): Partial<StatusObject> {
  const status = wireStatus(err.status);
  const metadata = new Metadata();
  metadata.set(STATUS_METADATA_KEY, Buffer.from(Status.encode(status).finish()));
  return { code: grpcCodes[err.reason] ?? GrpcStatus.UNKNOWN, details: status.message, metadata };
}

const reasonsByGrpc: Partial<Record<GrpcStatus, StatusReason>> = {
  [GrpcStatus.NOT_FOUND]: "NotFound",
  [GrpcStatus.ALREADY_EXISTS]: "AlreadyExists",
  [GrpcStatus.ABORTED]: "Conflict",
  [GrpcStatus.INVALID_ARGUMENT]: "BadRequest",
  [GrpcStatus.PERMISSION_DENIED]: "Forbidden",
  [GrpcStatus.UNAUTHENTICATED]: "Unauthorized",
  [GrpcStatus.OUT_OF_RANGE]: "Gone",
  [GrpcStatus.UNIMPLEMENTED]: "MethodNotAllowed",
  [GrpcStatus.RESOURCE_EXHAUSTED]: "TooManyRequests",
  [GrpcStatus.DEADLINE_EXCEEDED]: "Timeout",
  [GrpcStatus.UNAVAILABLE]: "ServiceUnavailable",
};

/**
 * The ApiError a failed gRPC call carries: the Status from trailing metadata when the apiserver
 * sent one, else one made from the gRPC code (e.g. ServiceUnavailable when it could not be reached).
 */
export function apiErrorFromGrpc(err: ServiceError): ApiError {
  const raw = err.metadata?.get(STATUS_METADATA_KEY)?.[0];
  if (raw instanceof Buffer || raw instanceof Uint8Array) {
    try {
      return new ApiError(Status.decode(raw), { cause: err });
    } catch {
      // fall through: a garbled Status is reported by its gRPC code
    }
  }
  const reason = reasonsByGrpc[err.code] ?? "InternalError";
  return apiError(reason, err.details || err.message, undefined, [], err);
}
