// Calls the gRPC API's own handlers in-process for a REST request that is already authenticated and authorized.
import { EventEmitter } from "node:events";
import { Metadata, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from "@grpc/grpc-js";
import { apiErrorFromGrpc, apiserverV1, type KindInfo } from "@kubeplane/api";
import { setRequestUser, type UserInfo } from "../authn/index.js";
import type { AuditRequest } from "../audit/index.js";
import { attachCallAudit } from "../audit/call-context.js";
import { callWarnings, setCallFieldManager } from "../call-context.js";
import type { FieldManagerRef } from "../fieldmanager/index.js";

type UnaryHandler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;
type StreamHandler<Req, Res> = (call: ServerWritableStream<Req, Res>) => void;

/** The gRPC handlers the REST layer reuses (createHandlers' result, before authentication and authorization wrap it). */
export type GrpcHandlers = Pick<
  apiserverV1.ApiServerServiceServer,
  "get" | "list" | "create" | "update" | "updateStatus" | "updateApproval" | "delete" | "bind" | "getScale" | "updateScale" | "evict" | "createToken" | "podLogs" | "podExecStream" | "podAttach" | "podPortForward"
>;

/** Who a bridged call is made for: the REST request's user, where admission's warnings go, and its audit. */
export interface Caller {
  readonly user: UserInfo;
  readonly warnings: string[];
  readonly audit?: AuditRequest | undefined;
  /** The field manager of the caller's writes (the fieldManager parameter or the User-Agent's product). */
  readonly fieldManager?: FieldManagerRef | undefined;
}

/**
 * A server call as the handlers (and the flow-control wrapper) use it: an event emitter with the
 * request, the caller's user, and the caller's audit (admission annotates it).
 */
function fakeCall<Req>(request: Req, caller: Caller): EventEmitter & Record<string, unknown> {
  const call = Object.assign(new EventEmitter(), {
    request,
    metadata: new Metadata(),
    cancelled: false,
    getPeer: () => "rest",
    getAuthContext: () => null,
    getDeadline: () => Infinity,
    getPath: () => "",
  });
  setRequestUser(call, caller.user);
  if (caller.fieldManager) setCallFieldManager(call, caller.fieldManager);
  const audit = caller.audit;
  // The REST server emits RequestReceived itself, once authenticated; the bridged call only adds to the audit.
  if (audit) attachCallAudit(call, { request: audit, requestReceived: () => undefined, responseStarted: () => audit.responseStarted() });
  return call as unknown as EventEmitter & Record<string, unknown>;
}

/**
 * Runs a unary handler for `caller`: the same request path as a gRPC call after its authorize step
 * (flow control, decode, admission, strategy, store, metrics). Admission's warnings are added to
 * `caller.warnings`. A failure rejects with its ApiError.
 */
export function invokeUnary<Req, Res>(handler: UnaryHandler<Req, Res>, request: Req, caller: Caller): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    const call = fakeCall(request, caller);
    handler(call as unknown as ServerUnaryCall<Req, Res>, (err, value) => {
      for (const w of callWarnings(call)) if (!caller.warnings.includes(w)) caller.warnings.push(w);
      if (err) reject(apiErrorFromGrpc(err as ServiceError));
      else resolve(value as Res);
    });
  });
}

/**
 * A server-streaming handler for `caller`: each message goes to `onMessage` (false: the handler waits
 * for "drain"); resolves at the stream's end or when `signal` aborts, rejects with its ApiError.
 */
export function invokeStream<Req, Res>(handler: StreamHandler<Req, Res>, request: Req, caller: Caller, signal: AbortSignal, onMessage: (m: Res) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const call = fakeCall(request, caller);
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      if (err) reject(apiErrorFromGrpc(err as ServiceError));
      else resolve();
    };
    call.on("error", (err: unknown) => finish(err ?? new Error("stream failed")));
    Object.assign(call, {
      write: (m: Res) => (done ? false : onMessage(m)),
      end: () => finish(),
    });
    signal.addEventListener("abort", () => {
      call["cancelled"] = true;
      call.emit("cancelled");
      call.emit("close");
      finish();
    }, { once: true });
    handler(call as unknown as ServerWritableStream<Req, Res>);
  });
}

/** The gRPC Resource of a kind. */
export function resourceOf(info: KindInfo): apiserverV1.Resource {
  return { group: info.group, version: info.version, resource: info.resource };
}

/** A JSON request object as the handlers take it. */
export function jsonRaw(obj: unknown): apiserverV1.RawObject {
  return { data: Buffer.from(JSON.stringify(obj)), encoding: apiserverV1.Encoding.ENCODING_JSON };
}

/** A handler's JSON reply object. */
export function fromRaw(raw: apiserverV1.RawObject | undefined): Record<string, unknown> {
  if (!raw) return {};
  return JSON.parse(Buffer.from(raw.data).toString("utf8")) as Record<string, unknown>;
}

export const JSON_ENCODING = apiserverV1.Encoding.ENCODING_JSON;
