// The authenticate step of the request path: a chain of authenticators, first verdict wins.
import type { Metadata } from "@grpc/grpc-js";
import type { PeerCertificate } from "node:tls";
import { withAuthenticatedGroup, type UserInfo } from "./user-info.js";

/** What an authenticator may look at: the call's metadata and its TLS peer. */
export interface AuthnRequest {
  metadata: Metadata;
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * One way to authenticate (client certificate, bearer token). Returns the user, or undefined when
 * the request carries no credential of its kind. Rejects with an Unauthorized ApiError when it
 * carries one that is invalid (expired, forged, revoked): Kubernetes then refuses the request
 * rather than trying the next authenticator.
 */
export interface Authenticator {
  authenticate(req: AuthnRequest): Promise<UserInfo | undefined> | UserInfo | undefined;
}

/** Runs the authenticators in order; the first that recognises a credential decides. */
export class UnionAuthenticator implements Authenticator {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  async authenticate(req: AuthnRequest): Promise<UserInfo | undefined> {
    for (const authenticator of this.authenticators) {
      const user = await authenticator.authenticate(req);
      if (user) return withAuthenticatedGroup(user);
    }
    return undefined;
  }
}

/** The bearer token of the call's `authorization` metadata, or undefined. */
export function bearerToken(metadata: Metadata): string | undefined {
  const value = metadata.get("authorization")[0];
  if (typeof value !== "string") return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m?.[1];
}
