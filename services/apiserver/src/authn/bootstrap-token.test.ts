// Unit tests of the bootstrap token authenticator: who a valid token is, and every way a token is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { coreV1Config, isApiError } from "@kubeplane/api";
import { BootstrapTokenAuthenticator } from "./bootstrap-token.js";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function secret(data: Record<string, string>, opts: { type?: string; deleting?: boolean } = {}): coreV1Config.Secret {
  return coreV1Config.Secret.fromPartial({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { namespace: "kube-system", name: `bootstrap-token-${data["token-id"] ?? "x"}`, deletionTimestamp: opts.deleting ? "2026-01-01T00:00:00Z" : "" },
    type: opts.type ?? "bootstrap.kubernetes.io/token",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  });
}

const valid = { "token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true", "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token" };
const now = new Date("2026-12-06T12:00:00Z");

function authenticator(secrets: coreV1Config.Secret[]): BootstrapTokenAuthenticator {
  return new BootstrapTokenAuthenticator(async (id) => secrets.find((s) => s.metadata!.name === `bootstrap-token-${id}`), () => now);
}

function request(token?: string) {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  return { metadata, getAuthContext: () => null };
}

async function refusal(a: BootstrapTokenAuthenticator, token: string): Promise<string> {
  try {
    await a.authenticate(request(token));
  } catch (err) {
    assert.ok(isApiError(err) && err.reason === "Unauthorized", `expected Unauthorized, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`token ${token} was accepted`);
}

test("a valid token is system:bootstrap:<id> in system:bootstrappers and its extra groups", async () => {
  const user = await authenticator([secret(valid)]).authenticate(request("abcdef.0123456789abcdef"));
  assert.deepEqual(user, { username: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token"] });
});

test("a token that expires later is accepted; one whose expiration has passed is refused", async () => {
  const later = authenticator([secret({ ...valid, expiration: "2026-12-06T13:00:00Z" })]);
  assert.equal((await later.authenticate(request("abcdef.0123456789abcdef")))?.username, "system:bootstrap:abcdef");
  const past = authenticator([secret({ ...valid, expiration: "2026-12-06T11:59:59Z" })]);
  assert.match(await refusal(past, "abcdef.0123456789abcdef"), /expired/);
  const garbage = authenticator([secret({ ...valid, expiration: "tomorrow" })]);
  assert.match(await refusal(garbage, "abcdef.0123456789abcdef"), /expired/);
});

test("an unknown id, a wrong secret, a deleted or foreign-typed Secret and a non-authentication token are refused", async () => {
  assert.match(await refusal(authenticator([]), "abcdef.0123456789abcdef"), /no token/);
  assert.match(await refusal(authenticator([secret(valid)]), "abcdef.0123456789abcde0"), /wrong secret/);
  assert.match(await refusal(authenticator([secret(valid, { deleting: true })]), "abcdef.0123456789abcdef"), /no token/);
  assert.match(await refusal(authenticator([secret(valid, { type: "Opaque" })]), "abcdef.0123456789abcdef"), /no token/);
  assert.match(await refusal(authenticator([secret({ ...valid, "usage-bootstrap-authentication": "false" })]), "abcdef.0123456789abcdef"), /not for authentication/);
  assert.match(await refusal(authenticator([secret({ ...valid, "auth-extra-groups": "system:masters" })]), "abcdef.0123456789abcdef"), /extra group/);
});

test("calls without a bearer token, or with one of another shape, are left to other authenticators", async () => {
  const a = authenticator([secret(valid)]);
  assert.equal(await a.authenticate(request()), undefined);
  assert.equal(await a.authenticate(request("eyJhbGciOiJFUzI1NiJ9.payload.sig")), undefined);
  assert.equal(await a.authenticate(request("ABCDEF.0123456789abcdef")), undefined);
});
