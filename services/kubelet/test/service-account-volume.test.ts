// The kubelet's kube-api-access volume against a real apiserver: the pod admitted with the volume, the kubelet's
// API sources request a pod-bound token (TokenRequest) and write token, ca.crt and namespace; the token in the file
// authenticates as the pod's ServiceAccount and dies with the pod. The caller is the admin, not a node (see the report).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { coreV1Config, coreV1Pod, isApiError, kindFor, type ApiError, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientOptions, clientTls, startControlPlane, testPki, type ControlPlane } from "@kubeplane/testing";
import { preparePodVolumes } from "../src/container/volumes.js";
import { kubeletApiSources } from "../src/pods/api-sources.js";

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;
const configMaps = kindFor("v1", "ConfigMap") as KindInfo<coreV1Config.ConfigMap>;

let cp: ControlPlane;
let admin: ApiClient;
let root: string;
const clients: ApiClient[] = [];

before(async () => {
  const pki = (await testPki()).pki;
  cp = await startControlPlane({ apiserverFlags: { "service-account-key-file": pki.saPublicKeyFile, "service-account-signing-key-file": pki.saKeyFile } });
  admin = ApiClient.connect(clientOptions(cp.apiserver.grpcAddress));
  root = await mkdtemp(join(tmpdir(), "kubelet-sa-volume-"));
});

after(async () => {
  for (const c of [admin, ...clients]) c?.close();
  await cp?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

test("a pod's kube-api-access files appear and its token authenticates as system:serviceaccount:default:default until the pod is deleted", async () => {
  const ca = await readFile(clientTls().caFile, "utf8");
  // What the serviceaccount and root-ca-cert-publisher controllers keep in every namespace.
  await admin.create(serviceAccounts, coreV1Config.ServiceAccount.fromPartial({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "default" } }));
  await admin.create(configMaps, coreV1Config.ConfigMap.fromPartial({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-root-ca.crt", namespace: "default" }, data: { "ca.crt": ca } }));
  const pod = (await admin.create(
    pods,
    coreV1Pod.Pod.fromPartial({ apiVersion: "v1", kind: "Pod", metadata: { name: "app", namespace: "default" }, spec: { containers: [{ name: "app", image: "busybox:1.36" }] } }),
  )) as coreV1Pod.Pod;
  const volume = pod.spec!.volumes.find((v) => v.name.startsWith("kube-api-access-"));
  assert.ok(volume, "admission added the volume");

  const { volumeContext } = kubeletApiSources(admin, { nodeName: "node-1", nodeIp: "127.0.0.1", rootDir: root });
  const paths = await preparePodVolumes(pod, volumeContext);
  const dir = paths.get(volume.name)!;
  const token = await readFile(join(dir, "token"), "utf8");
  assert.equal(await readFile(join(dir, "ca.crt"), "utf8"), ca);
  assert.equal(await readFile(join(dir, "namespace"), "utf8"), "default");
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { exp: number; iat: number; "kubernetes.io": { pod: { uid: string } } };
  assert.equal(claims.exp - claims.iat, 3607);
  assert.equal(claims["kubernetes.io"].pod.uid, pod.metadata!.uid);

  const asPod = ApiClient.connect({ server: cp.apiserver.grpcAddress, caFile: clientTls().caFile, token });
  clients.push(asPod);
  // Authenticated (RBAC grants a bare ServiceAccount nothing, so the list is Forbidden by name, never Unauthorized).
  await asPod.list(pods, { namespace: "default" }).catch((err: ApiError) => {
    assert.ok(isApiError(err) && err.reason === "Forbidden" && err.message.includes('User "system:serviceaccount:default:default"'), err.message);
  });
  await admin.delete(pods, "default", "app", { gracePeriodSeconds: 0 });
  await assert.rejects(asPod.list(pods, { namespace: "default" }), (err: ApiError) => isApiError(err) && err.reason === "Unauthorized");
});
