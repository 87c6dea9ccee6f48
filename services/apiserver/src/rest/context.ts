// What every REST handler gets: the parsed request, who makes it, and the apiserver's parts it calls.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { UserInfo } from "../authn/index.js";
import type { AuditRequest } from "../audit/index.js";
import type { Authorizer, EscalationCheck, RequestAttributes } from "../authz/index.js";
import type { WatchLimiter } from "../flowcontrol/index.js";
import type { Registry } from "../registry.js";
import type { WatchEventsDeps } from "../watch-events.js";
import type { FieldManagerRef } from "../fieldmanager/index.js";
import type { GrpcHandlers } from "./handler-bridge.js";
import type { RequestInfo } from "./request-info.js";

/** The apiserver's parts the REST layer uses; built once by the apiserver. */
export interface RestDeps {
  /** The gRPC API's handlers (unwrapped): the REST verbs run the same request path. */
  handlers: GrpcHandlers;
  registry: Registry;
  authorizer: Authorizer;
  escalation: EscalationCheck;
  watch: WatchEventsDeps;
  /** Flow control's per-user watch cap, shared with the gRPC Watch (a REST watch holds one slot while it streams). */
  watchLimiter?: WatchLimiter | undefined;
  logger: Logger;
}

/** One authorized resource request. */
export interface RestCall {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  kind: KindInfo;
  query: URLSearchParams;
  /** The user the request acts as (after impersonation). */
  user: UserInfo;
  attrs: RequestAttributes;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Warnings for the `Warning` header (fieldValidation=Warn, admission's). */
  warnings: string[];
  /** This request's audit, when auditing is on. */
  audit?: AuditRequest | undefined;
  /** Who its writes are recorded for in managedFields (the fieldManager parameter, else the User-Agent's product). */
  fieldManager?: FieldManagerRef | undefined;
}

/** One authorized upgrade request (exec, attach, port-forward): the socket the HTTP server handed over. */
export interface UpgradeRequest {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  info: RequestInfo;
  user: UserInfo;
  /** Called once when the upgraded connection ends (the audit's ResponseComplete). */
  onClose(): void;
}
