// The authenticate step: bearer tokens from metadata, the chain's first verdict, x509 subjects.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import type { PeerCertificate } from "node:tls";
import { UnionAuthenticator, bearerToken, type AuthnRequest } from "./authenticator.js";
import { X509Authenticator } from "./x509.js";

function request(opts: { authorization?: string; subject?: { CN?: string; O?: string | string[] } }): AuthnRequest {
  const metadata = new Metadata();
  if (opts.authorization) metadata.set("authorization", opts.authorization);
  const cert = opts.subject ? ({ subject: opts.subject } as unknown as PeerCertificate) : undefined;
  return { metadata, getAuthContext: () => (cert ? { sslPeerCertificate: cert } : {}) };
}

test("a bearer token is read from the authorization metadata, case-insensitively; anything else is none", () => {
  assert.equal(bearerToken(request({ authorization: "Bearer abc.def" }).metadata), "abc.def");
  assert.equal(bearerToken(request({ authorization: "bearer  xyz " }).metadata), "xyz");
  assert.equal(bearerToken(request({ authorization: "Basic dXNlcjpwYXNz" }).metadata), undefined);
  assert.equal(bearerToken(request({}).metadata), undefined);
});

test("a verified certificate's CN is the user and its O entries the groups, plus system:authenticated", async () => {
  const chain = new UnionAuthenticator([new X509Authenticator()]);
  assert.deepEqual(await chain.authenticate(request({ subject: { CN: "system:node:node-1", O: "system:nodes" } })), {
    username: "system:node:node-1",
    groups: ["system:nodes", "system:authenticated"],
  });
  assert.deepEqual(await chain.authenticate(request({ subject: { CN: "jane", O: ["dev", "ops"] } })), { username: "jane", groups: ["dev", "ops", "system:authenticated"] });
});

test("no credential is no user; a certificate without a CN is no user", async () => {
  const chain = new UnionAuthenticator([new X509Authenticator()]);
  assert.equal(await chain.authenticate(request({})), undefined);
  assert.equal(await chain.authenticate(request({ subject: { O: "system:masters" } })), undefined);
});

test("the first authenticator that recognises a credential decides; a rejection is not passed over", async () => {
  const refusing = { authenticate: () => Promise.reject(Object.assign(new Error("token expired"), { reason: "Unauthorized" })) };
  const accepting = { authenticate: () => ({ username: "late", groups: [] }) };
  await assert.rejects(new UnionAuthenticator([refusing, accepting]).authenticate(request({})), /token expired/);
  const first = { authenticate: () => ({ username: "first", groups: [] }) };
  assert.equal((await new UnionAuthenticator([first, accepting]).authenticate(request({})))?.username, "first");
});
