// Bytes in and out of the REST listener: request bodies, JSON replies and failures as meta/v1 Status.
import type { IncomingMessage, ServerResponse } from "node:http";
import { apiErrors, defaultJsonLimits, entityTooLarge, isApiError, metaV1, parseJsonBody as parseLimitedJson, type ApiError } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { isStoreUnavailable } from "@kubeplane/storage";
import { PROTOBUF_MAGIC, decodeK8sProtobuf } from "./k8s-protobuf.js";

/** Request body limits: libs/api's (3 MiB as kube-apiserver's default body limit, 100 levels of nesting); objects are limited further by the registry. */
const BODY_LIMITS = defaultJsonLimits;

const receivedBodies = new WeakMap<IncomingMessage, Buffer>();
const sentBodies = new WeakMap<ServerResponse, unknown>();

/** The body a request sent, once a handler read it (the audit records it at level Request and above). */
export function receivedBody(req: IncomingMessage): unknown {
  const body = receivedBodies.get(req);
  if (!body?.length) return undefined;
  try {
    return parseJsonBody(body);
  } catch {
    return undefined;
  }
}

/** The JSON body a response carried (the audit records it at level RequestResponse). */
export function sentBody(res: ServerResponse): unknown {
  return sentBodies.get(res);
}

/**
 * Reads the whole body; past the byte limit RequestEntityTooLarge (413). The rest of an oversized body
 * is read and dropped rather than the socket cut, so the client gets the 413 and not a reset.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= BODY_LIMITS.maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.off("end", onEnd);
      req.resume();
      reject(entityTooLarge("the request body", size, BODY_LIMITS.maxBytes));
    };
    const onEnd = (): void => {
      const body = Buffer.concat(chunks);
      receivedBodies.set(req, body);
      resolve(body);
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", reject);
  });
}

/**
 * Parses a JSON body within libs/api's size and nesting-depth limits (413 RequestEntityTooLarge,
 * 400 BadRequest), or the protobuf kubectl's typed clients send, for the kinds `decodeK8sProtobuf`
 * knows; BadRequest when it is neither.
 */
export function parseJsonBody(body: Buffer, what = "the request body"): unknown {
  if (body.subarray(0, PROTOBUF_MAGIC.length).equals(PROTOBUF_MAGIC)) return decodeK8sProtobuf(body);
  return parseLimitedJson(body, what, BODY_LIMITS);
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = "application/json", headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  sentBodies.set(res, body);
  res.writeHead(code, { "Content-Type": contentType, "Content-Length": data.length, "Cache-Control": "no-cache, private", ...headers });
  res.end(data);
}

/** Any failure as the ApiError it is reported as: storage outages are ServiceUnavailable, the rest InternalError (logged). */
export function asApiError(err: unknown, logger: Logger): ApiError {
  if (isApiError(err)) return err;
  if (isStoreUnavailable(err)) return apiErrors.apiError("ServiceUnavailable", `the storage is unavailable: ${(err as Error).message}`, undefined, [], err);
  logger.error({ err }, "internal error");
  return apiErrors.internalError(err);
}

/** The Status object of an ApiError in Kubernetes' JSON (details and causes only when present). */
export function statusJson(err: ApiError): Record<string, unknown> {
  const json = metaV1.Status.toJSON(err.status) as Record<string, unknown>;
  return { kind: "Status", apiVersion: "v1", metadata: {}, ...json };
}

/**
 * Ends the response with the error's Status and HTTP code (once headers are out, only the stream is cut);
 * a Status with `retryAfterSeconds` (429 of flow control and of the watch cap) sets `Retry-After`, as kube-apiserver.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): number {
  const apiError = asApiError(err, logger);
  if (res.headersSent) {
    res.destroy();
    return apiError.code;
  }
  const retryAfter = apiError.status.details?.retryAfterSeconds ?? 0;
  sendJson(res, apiError.code || 500, statusJson(apiError), "application/json", retryAfter > 0 ? { "Retry-After": String(retryAfter) } : {});
  return apiError.code;
}

/** The Success Status some deletes answer with (deletecollection of nothing, a delete of an already gone object). */
export function successStatus(details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", ...(details ? { details } : {}) };
}
