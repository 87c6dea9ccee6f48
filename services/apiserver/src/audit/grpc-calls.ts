// The one auditing point of the ApiServerService: wraps every handler outside authentication, so refusals are audited too.
import type { Metadata, sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedServiceImplementation } from "@grpc/grpc-js";
import { apiErrorFromGrpc, kindForResource } from "@kubeplane/api";
import { requestUser, type UserInfo } from "../authn/index.js";
import type { RequestAttributes } from "../authz/attributes.js";
import { callAttributes, peekMeta } from "../authz/call-attributes.js";
import type { AuditResponse, Auditor } from "./auditor.js";
import { attachCallAudit, type CallAudit } from "./call-context.js";
import { requestBody, responseBody } from "./grpc-objects.js";

type Call = (ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>) & { metadata: Metadata; request: unknown };

const NOBODY: UserInfo = { username: "", groups: [] };

/** The address of a grpc-js peer ("127.0.0.1:5000", "[::1]:5000", "ipv4:10.0.0.1:5000") without its port. */
export function peerAddress(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, "");
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (v6) return v6[1]!;
  const m = /^(.*):\d+$/.exec(p);
  return m && !m[1]!.includes(":") ? m[1]! : p;
}

interface ListLike {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  dryRun?: boolean;
}

/**
 * The event's requestURI for a gRPC call: the gRPC method's path followed by the Kubernetes REST
 * path the call corresponds to and its query, e.g.
 * `/kubeplane.apiserver.v1.ApiServerService/Create/api/v1/namespaces/team/pods` or
 * `/kubeplane.apiserver.v1.ApiServerService/Watch/apis/apps/v1/deployments?watch=true&resourceVersion=42`.
 */
export function grpcRequestUri(grpcPath: string, a: RequestAttributes, version: string, req: unknown): string {
  if (!a.resourceRequest) return `${grpcPath}${a.path}`;
  let path = a.apiGroup ? `/apis/${a.apiGroup}/${version}` : `/api/${version}`;
  if (a.namespace) path += `/namespaces/${a.namespace}`;
  path += `/${a.resource}`;
  if (a.name) path += `/${a.name}`;
  if (a.subresource) path += `/${a.subresource}`;
  const r = (req ?? {}) as ListLike;
  const query = new URLSearchParams();
  if (a.verb === "watch") query.set("watch", "true");
  if (a.verb === "list" || a.verb === "watch") {
    if (r.labelSelector) query.set("labelSelector", r.labelSelector);
    if (r.fieldSelector) query.set("fieldSelector", r.fieldSelector);
    if (r.limit) query.set("limit", String(r.limit));
    if (r.continueToken) query.set("continue", r.continueToken);
    if (r.resourceVersion) query.set("resourceVersion", r.resourceVersion);
  }
  if (r.dryRun === true) query.set("dryRun", "All");
  const q = query.toString();
  return `${grpcPath}${path}${q ? `?${q}` : ""}`;
}

function authenticatedUser(call: object): UserInfo | undefined {
  try {
    return requestUser(call);
  } catch {
    return undefined; // authentication refused the call
  }
}

function responseOf(method: string, err: unknown): AuditResponse {
  if (!err) return { code: method === "create" ? 201 : 200 };
  const e = apiErrorFromGrpc(err as ServiceError);
  return { code: e.status.code, reason: e.status.reason, message: e.status.message };
}

/**
 * Wraps every handler of `implementation` (the ApiServerService, already wrapped by
 * authentication and authorization) so that each call is audited by `auditor`: ResponseComplete
 * when a unary call answers or a stream ends (a cancelled stream is complete with its code so
 * far, 200), ResponseStarted at a stream's first message (when gRPC sends the response headers),
 * RequestReceived once authenticated (the authorize step reports it: `auditAuthorization`), Panic
 * when a handler throws. Refusals by authentication (401) and authorization (403) are audited like
 * any answer. Returns `implementation` itself when auditing is off.
 */
export function auditCalls<T extends object>(implementation: T, auditor: Auditor | undefined): T {
  if (!auditor) return implementation;
  const wrapped: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(implementation as UntypedServiceImplementation)) {
    if (typeof handler !== "function") continue;
    const fn = handler as (...args: unknown[]) => void;
    wrapped[method] = (call: Call, callback?: sendUnaryData<unknown>) => {
      const attrs = callAttributes(method, call.request, NOBODY);
      const resource = (call.request as { resource?: { group: string; version: string; resource: string } } | undefined)?.resource;
      const version = resource?.version || (attrs.resourceRequest ? kindForResource(attrs.apiGroup, attrs.resource)?.version : "") || "v1";
      const userAgent = call.metadata.get("user-agent")[0];
      const request = auditor.begin({
        requestURI: grpcRequestUri(call.getPath(), attrs, version, call.request),
        sourceIPs: [peerAddress(call.getPeer())],
        ...(typeof userAgent === "string" ? { userAgent } : {}),
      });
      if (attrs.resourceRequest) request.setObjectRef({ apiVersion: version, ...(method === "create" ? { name: peekMeta((call.request as { object?: never }).object).name } : {}) });
      const settle = (): void => {
        const user = audit.authenticated ?? authenticatedUser(call);
        request.setAttributes(user ? { ...attrs, user } : attrs);
      };
      const audit: CallAudit = {
        request,
        requestReceived: () => {
          settle();
          request.requestReceived();
        },
        responseStarted: () => {
          settle();
          request.responseStarted();
        },
      };
      attachCallAudit(call, audit);
      request.setRequestObject(() => requestBody(method, call.request));
      const complete = (err: unknown, reply?: unknown): void => {
        settle();
        if (method === "create" && reply) {
          const name = peekMeta((reply as { object?: never }).object).name; // generateName: the name the store chose
          if (name) request.setObjectRef({ name });
        }
        request.complete(responseOf(method, err), reply === undefined ? undefined : () => responseBody(method, call.request, reply));
      };

      let next: sendUnaryData<unknown> | undefined;
      if (callback) {
        next = (err, value, ...rest) => {
          complete(err, err ? undefined : value);
          callback(err, value, ...rest);
        };
      } else {
        const stream = call as ServerWritableStream<unknown, unknown>;
        let failure: unknown;
        stream.on("error", (err: unknown) => {
          failure ??= err;
        });
        const end = (): void => complete(failure);
        stream.once("finish", end);
        stream.once("cancelled", end);
        stream.once("close", end);
        const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
        stream.write = ((...args: unknown[]) => {
          audit.responseStarted();
          stream.write = write as typeof stream.write;
          return write(...args);
        }) as typeof stream.write;
      }
      try {
        fn.call(implementation, call, next);
      } catch (err) {
        settle();
        request.panic(err);
        throw err;
      }
    };
  }
  return wrapped as T;
}
