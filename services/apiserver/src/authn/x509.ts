// Client-certificate authentication: the verified certificate's CN is the user, its O entries the groups.
import { peerIdentity } from "@kubeplane/service-kit";
import type { Authenticator, AuthnRequest } from "./authenticator.js";
import type { UserInfo } from "./user-info.js";

/**
 * Authenticates by the client certificate the TLS layer already verified against the client CA
 * (an unverified certificate never reaches here: grpc-js reports no peer for it).
 */
export class X509Authenticator implements Authenticator {
  authenticate(req: AuthnRequest): UserInfo | undefined {
    const peer = peerIdentity(req);
    if (!peer) return undefined;
    return { username: peer.commonName, groups: peer.organizations };
  }
}
