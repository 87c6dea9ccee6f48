// Unit tests of the CertificateSigningRequest strategy: requester from the caller, approval and status as separate writers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { certificatesV1 } from "@kubeplane/api";
import { prepareCsrApproval, prepareCsrStatusUpdate, setCsrRequester } from "./certificatesigningrequests.js";

const csr = (status: Partial<certificatesV1.CertificateSigningRequestStatus> = {}) =>
  certificatesV1.CertificateSigningRequest.fromPartial({
    metadata: { name: "c", resourceVersion: "7" },
    spec: { request: "cmVx", signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: ["client auth"], username: "system:bootstrap:abcdef", groups: ["system:bootstrappers"] },
    status,
  });
const types = (o: unknown): string[] => ((o as certificatesV1.CertificateSigningRequest).status?.conditions ?? []).map((c) => `${c.type}=${c.status}`);

test("create: the requester is the authenticated caller, whatever the body claims, and status starts empty", () => {
  const obj = csr({ certificate: "forged", conditions: [{ type: "Approved", status: "True", reason: "", message: "", lastUpdateTime: "", lastTransitionTime: "" }] });
  obj.spec!.username = "system:node:victim";
  setCsrRequester(obj, { username: "system:bootstrap:abcdef", uid: "u1", groups: ["system:bootstrappers", "system:authenticated"] });
  assert.equal(obj.spec!.username, "system:bootstrap:abcdef");
  assert.equal(obj.spec!.uid, "u1");
  assert.deepEqual(obj.spec!.groups, ["system:bootstrappers", "system:authenticated"]);
  assert.equal(obj.status!.certificate, "");
  assert.deepEqual(obj.status!.conditions, []);
});

test("approval: only Approved/Denied come from the writer (status defaults to True); certificate and spec stay", () => {
  const old = csr({ certificate: "Y2VydA==" });
  const sent = csr({ certificate: "other", conditions: [{ type: "Approved", status: "", reason: "AutoApproved", message: "", lastUpdateTime: "", lastTransitionTime: "" }, { type: "Failed", status: "True", reason: "", message: "", lastUpdateTime: "", lastTransitionTime: "" }] });
  sent.spec!.username = "changed";
  const next = prepareCsrApproval(sent, old) as certificatesV1.CertificateSigningRequest;
  assert.deepEqual(types(next), ["Approved=True"]);
  assert.ok(next.status!.conditions[0]!.lastTransitionTime);
  assert.equal(next.status!.certificate, "Y2VydA==");
  assert.equal(next.spec!.username, "system:bootstrap:abcdef");
  // A decision once made is kept when a later approval write leaves it out.
  assert.deepEqual(types(prepareCsrApproval(csr(), next)), ["Approved=True"]);
});

test("status: a signer writes the certificate and Failed, but cannot approve nor drop an approval", () => {
  const approved = prepareCsrApproval(csr({ conditions: [{ type: "Approved", status: "True", reason: "", message: "", lastUpdateTime: "", lastTransitionTime: "" }] }), csr());
  const sent = csr({ certificate: "Y2VydA==", conditions: [{ type: "Denied", status: "True", reason: "", message: "", lastUpdateTime: "", lastTransitionTime: "" }] });
  const next = prepareCsrStatusUpdate(sent, approved) as certificatesV1.CertificateSigningRequest;
  assert.deepEqual(types(next), ["Approved=True"]);
  assert.equal(next.status!.certificate, "Y2VydA==");
  const pending = prepareCsrStatusUpdate(csr({ conditions: [{ type: "Approved", status: "True", reason: "", message: "", lastUpdateTime: "", lastTransitionTime: "" }] }), csr());
  assert.deepEqual(types(pending), []);
});
