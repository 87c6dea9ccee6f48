// The certificate subject → NATS role derivation shared by the PKI renderer, the test harness and the nats-authorizer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CertificateSubjectsError, natsIdentityOf, nodeNameOf, nodeNatsIdentity, parseCertificateSubjects } from "./nats-identities.js";

test("the apiserver's NATS client publishes, a node reads its own pods, other components read, the kubelet client and the authorizer get no user", () => {
  assert.deepEqual(natsIdentityOf({ commonName: "kube-apiserver-nats-client" })?.role, { kind: "publisher" });
  assert.deepEqual(natsIdentityOf({ commonName: "system:node:node-7", organizations: ["system:nodes"] })?.role, { kind: "node", node: "node-7" });
  assert.deepEqual(natsIdentityOf({ commonName: "system:kube-scheduler" })?.role, { kind: "reader" });
  assert.deepEqual(natsIdentityOf({ commonName: "system:kubeplane:node-simulator", organizations: ["system:nodes"] })?.role, { kind: "reader" });
  assert.equal(natsIdentityOf({ commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"] }), undefined);
  assert.equal(natsIdentityOf({ commonName: "system:kubeplane:nats-authorizer" }), undefined);
});

test("a system:node: name without the system:nodes group is not a node (it reads, as any other cluster certificate)", () => {
  assert.equal(nodeNameOf({ commonName: "system:node:node-1" }), undefined);
  assert.equal(nodeNameOf({ commonName: "system:node:", organizations: ["system:nodes"] }), undefined);
  assert.deepEqual(nodeNatsIdentity("node-3"), { commonName: "system:node:node-3", organizations: ["system:nodes"], role: { kind: "node", node: "node-3" } });
});

test("the static users file is a JSON list of subjects; a bad entry is named by its index", () => {
  assert.deepEqual(parseCertificateSubjects('[{"commonName":"a","organizations":["g"]},{"commonName":"b"}]'), [
    { commonName: "a", organizations: ["g"] },
    { commonName: "b", organizations: [] },
  ]);
  assert.throws(() => parseCertificateSubjects("{"), CertificateSubjectsError);
  assert.throws(() => parseCertificateSubjects('{"commonName":"a"}'), /JSON list/);
  assert.throws(() => parseCertificateSubjects('[{"commonName":"a"},{"organizations":[]}]'), /\[1\]\.commonName/);
  assert.throws(() => parseCertificateSubjects('[{"commonName":"a","organizations":[1]}]'), /\[0\]\.organizations/);
});
