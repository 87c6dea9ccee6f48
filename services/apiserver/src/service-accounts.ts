// Assembles ServiceAccount support from the apiserver's config: token authenticator and TokenRequest (admission: admission/plugins/service-account.ts).
import { readFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { kindFor, type coreV1Config, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { ServiceStartError, type Logger } from "@kubeplane/service-kit";
import type { ApiserverConfig } from "./config.js";
import { ServiceAccountTokenAuthenticator, type ServiceAccountTokenGetter } from "./authn/service-account.js";
import { signingKeyFromPem, verifyingKeyFromPem } from "./authn/service-account-jwt.js";
import { ServiceAccountTokenIssuer } from "./authn/service-account-token.js";
import type { Registry } from "./registry.js";
import type { TokenRequestDeps } from "./token-request.js";

const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;

/** The ServiceAccount parts of an apiserver; each is absent when its key is not configured. */
export interface ServiceAccountSupport {
  authenticator?: ServiceAccountTokenAuthenticator;
  tokens?: TokenRequestDeps;
}

function readKey<T>(path: string, what: string, parse: (pem: Buffer) => T): T {
  try {
    return parse(readFileSync(path));
  } catch (err) {
    throw new ServiceStartError(`cannot use ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Tokens are verified when serviceAccountKeyFile (or the signing key, whose public half then
 * verifies) is set; issued (and mounted into pods by the ServiceAccount admission plugin) when
 * serviceAccountSigningKeyFile is set. `registry` is read lazily, so it may be constructed after this.
 */
export function serviceAccountSupport(config: ApiserverConfig, registry: () => Registry, logger: Logger): ServiceAccountSupport {
  const getter: ServiceAccountTokenGetter = {
    getServiceAccount: async (ns, name) => (await registry().tryGet(serviceAccounts, ns, name))?.obj,
    getPod: async (ns, name) => (await registry().tryGet(pods, ns, name))?.obj,
  };
  const signing = config.serviceAccountSigningKeyFile ? readKey(config.serviceAccountSigningKeyFile, "serviceAccountSigningKeyFile", signingKeyFromPem) : undefined;
  const keys: KeyObject[] = config.serviceAccountKeyFile.map((f) => readKey(f, "serviceAccountKeyFile", verifyingKeyFromPem));
  if (signing && keys.length === 0) keys.push(verifyingKeyFromPem(signing.privateKey.export({ type: "pkcs8", format: "pem" })));
  const support: ServiceAccountSupport = {};
  if (keys.length > 0) {
    support.authenticator = new ServiceAccountTokenAuthenticator({ keys, issuer: config.serviceAccountIssuer, audiences: config.apiAudiences, getter, logger });
  }
  if (signing) {
    support.tokens = {
      get registry() {
        return registry();
      },
      issuer: new ServiceAccountTokenIssuer(signing, config.serviceAccountIssuer),
      apiAudiences: config.apiAudiences,
      maxExpirationSeconds: Math.floor(config.serviceAccountMaxTokenExpiration / 1000),
    };
  }
  return support;
}
