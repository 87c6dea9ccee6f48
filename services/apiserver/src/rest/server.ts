// The Kubernetes REST API's HTTPS listener: authenticate, authorize, then discovery, OpenAPI, resources and subresources.
import { createServer, type Server } from "node:https";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { apiErrors, type KindInfo } from "@kubeplane/api";
import type { Authenticator, UserInfo } from "../authn/index.js";
import type { Auditor, AuditRequest } from "../audit/index.js";
import type { FieldManagerRef } from "../fieldmanager/index.js";
import { managerFromUserAgent } from "../request-context.js";
import type { RestCall, RestDeps } from "./context.js";
import { attributesOf, authenticateRequest, authorizeRequest } from "./authenticate.js";
import { AGGREGATED_DISCOVERY_TYPE, aggregatedDiscovery, apiGroupList, apiGroupOf, apiResourceList, apiVersions, isReadOnly, servedKind, versionInfo, wantsAggregated } from "./discovery.js";
import { asApiError, receivedBody, sendError, sendJson, sentBody, statusJson } from "./http-io.js";
import { openApiDocument, openApiIndex } from "./openapi.js";
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ACCEPTED, openApiV2 } from "./openapi-v2.js";
import { patchObject } from "./patch.js";
import { CHANNEL_PROTOCOLS, negotiateChannelProtocol, remoteCommandStart, servePodStream } from "./pod-streams.js";
import { PORT_FORWARD_PROTOCOL, PORT_FORWARD_TUNNEL_PROTOCOL, portForwardTransport, servePortForward, type PortForwardSession } from "./port-forward.js";
import { requestInfo, type RequestInfo } from "./request-info.js";
import { createObject, deleteCollection, deleteObject, getObject, listObjects, updateObject } from "./resources.js";
import { serveSubresource } from "./subresources.js";
import { serveWatch } from "./watch.js";

export interface RestServerOptions {
  /** host:port; port 0 picks a free one. */
  listen: string;
  /** The apiserver's serving certificate and key, and the CA client certificates are verified against. */
  tls: { cert: Buffer; key: Buffer; ca: Buffer };
  authenticator: Authenticator;
  deps: RestDeps;
  /** Kubeplane's own version (reported inside gitVersion). */
  kubeplaneVersion: string;
  /** /readyz: whether the apiserver can serve (etcd, NATS, system namespaces). */
  ready(): Promise<boolean>;
  /** Audits every request (one event per stage the policy asks for); absent when auditing is off. */
  auditor?: Auditor | undefined;
}

/** A started REST listener. */
export interface RestServer {
  /** https://host:port */
  url: string;
  /**
   * Stops accepting, ends open watches and log streams, lets other in-flight requests finish for up
   * to `graceMs` (then cuts them), and resolves once the listener closed.
   */
  stop(graceMs?: number): Promise<void>;
}

const ANONYMOUS_PATHS = new Set(["/healthz", "/livez", "/readyz"]);

function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(":");
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(listen.slice(i + 1)) };
}

/** Starts the HTTPS listener; resolves once it listens. */
export async function startRestServer(opts: RestServerOptions): Promise<RestServer> {
  const { deps } = opts;
  /** Open watches and log streams: ended at stop, as they never finish by themselves. */
  const longRunning = new Set<AbortController>();
  // Client certificates are requested and verified against the cluster CA, not required: bearer tokens are accepted too.
  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const userAgent = req.headers["user-agent"];
    const audit = opts.auditor?.begin({ requestURI: req.url ?? "/", sourceIPs: [req.socket.remoteAddress ?? ""], ...(userAgent ? { userAgent } : {}) });
    let failure: { reason: string; message: string } | undefined;
    audit?.setRequestObject(() => receivedBody(req));
    const complete = (): void => audit?.complete({ code: res.statusCode, ...(failure ?? {}) }, () => sentBody(res));
    res.once("finish", complete);
    res.once("close", complete);
    handle(req, res, opts, audit, longRunning).catch((err: unknown) => {
      const apiError = asApiError(err, deps.logger);
      failure = { reason: apiError.reason, message: apiError.message };
      sendError(res, apiError, deps.logger);
    });
  });
  /** Open exec, attach and port-forward connections: closed at stop (going away), as an upgraded socket is no longer the listener's. */
  const streams = new Set<OpenStream>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const userAgent = req.headers["user-agent"];
    const audit = opts.auditor?.begin({ requestURI: req.url ?? "/", sourceIPs: [req.socket.remoteAddress ?? ""], ...(userAgent ? { userAgent } : {}) });
    upgrade(req, socket, head, opts, audit, streams).catch((err: unknown) => {
      const apiError = asApiError(err, deps.logger);
      audit?.complete({ code: apiError.code || 500, reason: apiError.reason, message: apiError.message });
      refuseUpgrade(socket, apiError.code || 500, statusJson(apiError));
    });
  });
  const { host, port } = splitHostPort(opts.listen);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `https://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    stop: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        // A keep-alive connection becomes idle when its request ends: close those as they appear.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(cut);
          clearInterval(idle);
          resolve();
        });
        for (const c of longRunning) c.abort();
        for (const ws of streams) ws.close(1001, "apiserver shutting down");
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: RestServerOptions, audit: AuditRequest | undefined, longRunning: Set<AbortController>): Promise<void> {
  const url = new URL(req.url ?? "/", "https://localhost");
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
  if (ANONYMOUS_PATHS.has(path)) {
    const ok = path !== "/readyz" || (await opts.ready().catch(() => false));
    res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" });
    res.end(ok ? "ok" : "not ready");
    return;
  }
  const authenticated = await authenticateRequest(req, opts.authenticator);
  const info = requestInfo(req.method ?? "GET", path, url.searchParams);
  const kind = info.isResourceRequest ? servedKind(info.apiGroup, info.apiVersion, info.resource) : undefined;
  const fieldSelector = url.searchParams.get("fieldSelector") ?? "";
  const attrsFor = (user: UserInfo) => attributesOf(user, info, kind?.namespaced ?? true, fieldSelector);
  audit?.setAttributes(attrsFor(authenticated));
  audit?.requestReceived();
  const { user, attrs } = await authorize(req, authenticated, opts, attrsFor, audit);
  if (!info.isResourceRequest) {
    serveNonResource(req, res, info, opts);
    return;
  }
  if (!kind || (info.namespace && !kind.namespaced && info.resource !== "namespaces")) {
    throw apiErrors.apiError("NotFound", `the server could not find the requested resource`);
  }
  const controller = new AbortController();
  if (info.verb === "watch" || info.subresource === "log") {
    longRunning.add(controller);
    res.on("close", () => longRunning.delete(controller));
  }
  res.on("close", () => controller.abort());
  const call: RestCall = { req, res, info, kind, query: url.searchParams, user, attrs, signal: controller.signal, warnings: [], audit, fieldManager: fieldManagerOf(req, url.searchParams) };
  await serveResource(call, opts.deps);
}

/** A write's field manager: the fieldManager parameter (at most 128 printable characters), else the User-Agent's product. */
function fieldManagerOf(req: IncomingMessage, query: URLSearchParams): FieldManagerRef | undefined {
  const given = query.get("fieldManager");
  if (given !== null && given !== "") {
    if (given.length > 128) throw apiErrors.badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
    if (/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(given)) throw apiErrors.badRequest(`fieldManager: Invalid value: ${JSON.stringify(given)}: must only contain printable characters`);
    return { manager: given, operation: "Update" };
  }
  const manager = managerFromUserAgent(req.headers["user-agent"]);
  return manager ? { manager, operation: "Update" } : undefined;
}

const STREAM_SUBRESOURCES = new Set(["exec", "attach"]);

/** An upgraded connection the listener closes at stop. */
type OpenStream = Pick<WebSocket, "close">;

/**
 * An HTTP Upgrade: pods/exec and pods/attach over kubectl's WebSocket channel protocol, after the
 * same authenticate and authorize steps as any request; authorized as `create` on the subresource
 * whether the method is GET or POST (Kubernetes' AuthorizePodWebsocketUpgradeCreatePermission),
 * so a user who may only read pods cannot exec. pods/portforward is SPDY, tunnelled in a WebSocket
 * or over a SPDY upgrade (port-forward.ts). Anything else is refused with a Status, which makes
 * kubectl fall back or report it.
 */
async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, opts: RestServerOptions, audit: AuditRequest | undefined, streams: Set<OpenStream>): Promise<void> {
  const url = new URL(req.url ?? "/", "https://localhost");
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
  const authenticated = await authenticateRequest(req, opts.authenticator);
  const parsed = requestInfo(req.method ?? "GET", path, url.searchParams);
  const info = parsed.isResourceRequest && parsed.subresource ? { ...parsed, verb: "create" } : parsed;
  const attrsFor = (user: UserInfo) => attributesOf(user, info, true, "");
  audit?.setAttributes(attrsFor(authenticated));
  audit?.requestReceived();
  const { user } = await authorize(req, authenticated, opts, attrsFor, audit);
  const isPod = info.isResourceRequest && info.apiGroup === "" && info.apiVersion === "v1" && info.resource === "pods" && info.namespace !== "" && info.name !== "";
  if (isPod && info.subresource === "portforward") {
    const transport = portForwardTransport(req);
    if (!transport) throw apiErrors.badRequest(`pods/portforward is served over a WebSocket (subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL}) or an upgrade to SPDY/3.1 (X-Stream-Protocol-Version ${PORT_FORWARD_PROTOCOL})`);
    let session: PortForwardSession | undefined;
    let closed = false;
    session = await servePortForward(opts.deps, { req, socket, head, info, user, onClose: () => {
      closed = true;
      if (session) streams.delete(session);
      audit?.complete({ code: 101 });
    } }, transport);
    if (!closed) streams.add(session);
    return;
  }
  const isPodStream = info.isResourceRequest && info.apiGroup === "" && info.apiVersion === "v1" && info.resource === "pods" && info.namespace !== "" && STREAM_SUBRESOURCES.has(info.subresource);
  const isWebSocket = (req.headers.upgrade ?? "").toLowerCase() === "websocket";
  if (!isPodStream || !isWebSocket) {
    const what = info.subresource || info.resource || info.path;
    throw apiErrors.apiError("BadRequest", `${what} cannot be upgraded to ${req.headers.upgrade ?? "(none)"}: this apiserver's REST API upgrades pods/exec and pods/attach to a WebSocket (${CHANNEL_PROTOCOLS.join(", ")}), and pods/portforward`);
  }
  const protocol = negotiateChannelProtocol(req.headers["sec-websocket-protocol"]);
  if (!protocol) throw apiErrors.badRequest(`none of the offered subprotocols (${req.headers["sec-websocket-protocol"] ?? "none"}) is supported: ${CHANNEL_PROTOCOLS.join(", ")}`);
  const start = remoteCommandStart(info, url.searchParams);
  let ws: WebSocket | undefined;
  ws = await servePodStream(opts.deps, { req, socket, head, info, user, onClose: () => {
    if (ws) streams.delete(ws);
    audit?.complete({ code: 101 });
  } }, start);
  if (ws.readyState === ws.OPEN) streams.add(ws);
}

/** Answers a refused upgrade with its Status as a plain HTTP response, then closes the socket. */
function refuseUpgrade(socket: Duplex, code: number, status: Record<string, unknown>): void {
  if (!socket.writable) return;
  const body = Buffer.from(JSON.stringify(status));
  socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ""}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString("utf8")}`);
}

/** The authorize step, recorded on the audit as kube-apiserver does (the decision, and the impersonated user). */
async function authorize(req: IncomingMessage, authenticated: UserInfo, opts: RestServerOptions, attrsFor: (user: UserInfo) => ReturnType<typeof attributesOf>, audit: AuditRequest | undefined) {
  try {
    const result = await authorizeRequest(req, authenticated, opts.deps.authorizer, attrsFor, (actingAs) => {
      if (actingAs !== authenticated) audit?.setImpersonatedUser(actingAs);
    });
    audit?.annotate("authorization.k8s.io/decision", "allow");
    return result;
  } catch (err) {
    if ((err as { reason?: string }).reason === "Forbidden") {
      audit?.annotate("authorization.k8s.io/decision", "forbid");
      audit?.annotate("authorization.k8s.io/reason", (err as Error).message);
    }
    throw err;
  }
}

function serveNonResource(req: IncomingMessage, res: ServerResponse, info: RequestInfo, opts: RestServerOptions): void {
  if (info.verb !== "get" && info.verb !== "head") throw apiErrors.apiError("MethodNotAllowed", `the server does not allow this method on the requested resource (${info.verb} ${info.path})`);
  const parts = info.path.split("/").filter(Boolean);
  const accept = req.headers.accept;
  let body: unknown;
  if (info.path === "/version") body = versionInfo(opts.kubeplaneVersion, `${process.platform}/${process.arch}`);
  else if (info.path === "/api" || info.path === "/apis") {
    if (wantsAggregated(accept)) {
      sendJson(res, 200, aggregatedDiscovery(info.path === "/api"), AGGREGATED_DISCOVERY_TYPE);
      return;
    }
    body = info.path === "/api" ? apiVersions() : apiGroupList();
  } else if (parts[0] === "api" && parts.length === 2) body = apiResourceList("", parts[1]!);
  else if (parts[0] === "apis" && parts.length === 2) body = apiGroupOf(parts[1]!);
  else if (parts[0] === "apis" && parts.length === 3) body = apiResourceList(parts[1]!, parts[2]!);
  else if (info.path === "/openapi/v2") {
    const v2 = openApiV2();
    if (OPENAPI_V2_PROTOBUF_ACCEPTED.some((t) => (accept ?? "").includes(t))) {
      res.writeHead(200, { "Content-Type": OPENAPI_V2_PROTOBUF, "Content-Length": v2.proto.length, ETag: v2.etag, "Cache-Control": "no-cache, private" });
      res.end(v2.proto);
      return;
    }
    body = v2.json;
  } else if (info.path === "/openapi/v3") body = openApiIndex();
  else if (parts[0] === "openapi" && parts[1] === "v3" && parts.length > 2) body = openApiDocument(parts.slice(2).join("/"));
  if (body === undefined) throw apiErrors.apiError("NotFound", `the server could not find the requested resource`);
  sendJson(res, 200, body);
}

async function serveResource(call: RestCall, deps: RestDeps): Promise<void> {
  const { info, kind } = call;
  if (kind.namespaced && !info.namespace && info.name) throw apiErrors.apiError("NotFound", "the server could not find the requested resource");
  if (isReadOnly(kind) && (info.subresource || (info.verb !== "get" && info.verb !== "list"))) throw methodNotAllowed(kind, info);
  if (info.subresource) return serveSubresource(call, deps);
  switch (info.verb) {
    case "get":
      return getObject(call, deps);
    case "list":
      return listObjects(call, deps);
    case "watch":
      return serveWatch(call, deps);
    case "create":
      if (info.name) throw methodNotAllowed(kind, info);
      return createObject(call, deps);
    case "update":
      return updateObject(call, deps);
    case "patch":
      return patchObject(call, deps);
    case "delete":
      return deleteObject(call, deps);
    case "deletecollection":
      return deleteCollection(call, deps);
    default:
      throw methodNotAllowed(kind, info);
  }
}

function methodNotAllowed(kind: KindInfo, info: RequestInfo): Error {
  return apiErrors.methodNotSupported({ group: kind.group, resource: kind.resource, name: info.name }, info.verb);
}
