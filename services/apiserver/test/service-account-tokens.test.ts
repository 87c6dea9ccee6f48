// ServiceAccount tokens end to end on a real apiserver: TokenRequest issues them, the apiserver authenticates them
// as the ServiceAccount, and refuses expired, foreign-audience, tampered and orphaned ones; the admission step
// gives pods the kube-api-access volume.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { coreV1Pod, isApiError, isForbidden, isInvalid, isNotFound, kindFor, type ApiError, type coreV1Config, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { createLogger } from "@kubeplane/service-kit";
import { clientTls, testPki, testPkiNow } from "@kubeplane/testing";
import { ServiceAccountTokenAuthenticator, ServiceAccountTokenIssuer } from "../src/authn/index.js";
import { signingKeyFromPem, verifyingKeyFromPem } from "../src/authn/service-account-jwt.js";
import { apiAccessVolume, SERVICE_ACCOUNT_MOUNT_PATH } from "../src/admission/plugins/service-account.js";
import { startTestCluster, type TestCluster } from "./harness.js";

await testPki();

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;
const namespaces = kindFor("v1", "Namespace")!;
const ISSUER = "https://kubernetes.default.svc.cluster.local";
const NS = "sa-tokens";

let cluster: TestCluster;
const clients: ApiClient[] = [];

function asToken(token: string): ApiClient {
  const c = ApiClient.connect({ server: cluster.apiservers[0]!.addresses.grpcAddress, caFile: clientTls().caFile, token, timeoutMs: 10_000 });
  clients.push(c);
  return c;
}

/** Rejects with UNAUTHENTICATED (Status reason Unauthorized). */
async function refused(token: string): Promise<void> {
  await assert.rejects(asToken(token).list(pods, { namespace: NS }), (err: ApiError) => isApiError(err) && err.reason === "Unauthorized" && err.code === 401);
}

/** Creates a pod as the admin and returns it as stored (after admission). */
async function createPod(pod: coreV1Pod.Pod): Promise<coreV1Pod.Pod> {
  return (await cluster.client.create(pods, pod)) as coreV1Pod.Pod;
}

function podOf(name: string, spec: Partial<coreV1Pod.PodSpec> = {}): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS }, spec: { containers: [{ name: "app", image: "busybox:1.36" }], ...spec } });
}

before(async () => {
  const pki = testPkiNow().pki;
  cluster = await startTestCluster({ config: { serviceAccountKeyFile: [pki.saPublicKeyFile], serviceAccountSigningKeyFile: pki.saKeyFile } });
  await cluster.client.create(namespaces, namespaces.codec.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }));
  for (const name of ["default", "robot"]) {
    await cluster.client.create(serviceAccounts, serviceAccounts.codec.fromPartial({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: NS } }));
  }
});

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

describe("TokenRequest and ServiceAccount token authentication", () => {
  test("a pod-bound token, requested as the kubelet does, authenticates as system:serviceaccount:<ns>:<name>", async () => {
    const pod = await createPod(podOf("bound", { serviceAccountName: "robot" }));
    const { token, expirationTimestamp, audiences } = await cluster.client.createToken(NS, "robot", {
      expirationSeconds: 3607,
      boundPod: { name: "bound", uid: pod.metadata!.uid },
    });
    assert.deepEqual(audiences, [ISSUER]);
    assert.ok(Math.abs(expirationTimestamp.getTime() - (Date.now() + 3607_000)) < 5_000, "expires in 3607 s");
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    const sa = await cluster.client.get(serviceAccounts, NS, "robot");
    assert.equal(claims.sub, `system:serviceaccount:${NS}:robot`);
    assert.equal(claims.iss, ISSUER);
    assert.deepEqual(claims["kubernetes.io"], { namespace: NS, pod: { name: "bound", uid: pod.metadata!.uid }, serviceaccount: { name: "robot", uid: sa.metadata!.uid } });

    // The apiserver serves the token's bearer (authorization, once RBAC is on, may still refuse the verb: not UNAUTHENTICATED).
    await asToken(token).list(pods, { namespace: NS }).catch((err: ApiError) => {
      assert.ok(isForbidden(err) && err.message.includes(`system:serviceaccount:${NS}:robot`), `served or forbidden by name, not ${err.reason}`);
    });
    // The user the authenticator derives, checked against the same stored objects.
    const md = new Metadata();
    md.set("authorization", `Bearer ${token}`);
    const authn = new ServiceAccountTokenAuthenticator({
      keys: [verifyingKeyFromPem(readFileSync(testPkiNow().pki.saPublicKeyFile))],
      issuer: ISSUER,
      audiences: [ISSUER],
      logger: createLogger("test", "warn"),
      getter: {
        getServiceAccount: async (ns, name) => (await cluster.apiservers[0]!.registry.tryGet(serviceAccounts, ns, name))?.obj,
        getPod: async (ns, name) => (await cluster.apiservers[0]!.registry.tryGet(pods, ns, name))?.obj,
      },
    });
    assert.deepEqual(await authn.authenticate({ metadata: md, getAuthContext: () => null }), {
      username: `system:serviceaccount:${NS}:robot`,
      uid: sa.metadata!.uid,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${NS}`],
      extra: { "authentication.kubernetes.io/pod-name": ["bound"], "authentication.kubernetes.io/pod-uid": [pod.metadata!.uid] },
    });
  });

  test("an expired token is refused", async () => {
    const sa = await cluster.client.get(serviceAccounts, NS, "robot");
    const issuer = new ServiceAccountTokenIssuer(signingKeyFromPem(readFileSync(testPkiNow().pki.saKeyFile)), ISSUER, () => Date.now() - 2 * 3600_000);
    const { token } = issuer.issue({ namespace: NS, serviceAccount: { name: "robot", uid: sa.metadata!.uid }, audiences: [ISSUER], expirationSeconds: 3600 }, "expired");
    await refused(token);
    // The same token, minted now, is served: the expiry is what refused it.
    const fresh = new ServiceAccountTokenIssuer(signingKeyFromPem(readFileSync(testPkiNow().pki.saKeyFile)), ISSUER);
    await asToken(fresh.issue({ namespace: NS, serviceAccount: { name: "robot", uid: sa.metadata!.uid }, audiences: [ISSUER], expirationSeconds: 3600 }, "fresh").token)
      .list(pods, { namespace: NS })
      .catch((err: ApiError) => assert.ok(isForbidden(err), `not refused as ${err.reason}`));
  });

  test("a token for a foreign audience is refused", async () => {
    const { token } = await cluster.client.createToken(NS, "robot", { audiences: ["https://vault.example.com"] });
    await refused(token);
  });

  test("a tampered token is refused, and so is one signed by another key", async () => {
    const { token } = await cluster.client.createToken(NS, "robot");
    const [h, p, s] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as { sub: string; "kubernetes.io": { serviceaccount: { name: string } } };
    claims.sub = `system:serviceaccount:${NS}:default`;
    claims["kubernetes.io"].serviceaccount.name = "default";
    await refused(`${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`);
    const { generateKeyPairSync } = await import("node:crypto");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sa = await cluster.client.get(serviceAccounts, NS, "robot");
    const forged = new ServiceAccountTokenIssuer(signingKeyFromPem(privateKey.export({ type: "pkcs8", format: "pem" })), ISSUER);
    await refused(forged.issue({ namespace: NS, serviceAccount: { name: "robot", uid: sa.metadata!.uid }, audiences: [ISSUER], expirationSeconds: 3600 }, "forged").token);
  });

  test("a token bound to a deleted pod, or of a deleted ServiceAccount, is refused", async () => {
    const pod = await createPod(podOf("doomed", { serviceAccountName: "robot" }));
    const { token } = await cluster.client.createToken(NS, "robot", { boundPod: { name: "doomed" } });
    await asToken(token).list(pods, { namespace: NS }).catch((err: ApiError) => assert.ok(isForbidden(err)));
    await cluster.client.delete(pods, NS, "doomed", { gracePeriodSeconds: 0 });
    await refused(token);
    // A pod of the same name again is another object: the token stays dead.
    await createPod(podOf("doomed", { serviceAccountName: "robot" }));
    assert.notEqual(((await cluster.client.get(pods, NS, "doomed")) as coreV1Pod.Pod).metadata!.uid, pod.metadata!.uid);
    await refused(token);

    await cluster.client.create(serviceAccounts, serviceAccounts.codec.fromPartial({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "temp", namespace: NS } }));
    const temp = await cluster.client.createToken(NS, "temp");
    await cluster.client.delete(serviceAccounts, NS, "temp", {});
    await refused(temp.token);
  });

  test("TokenRequest refuses a missing ServiceAccount or pod, a short lifetime, and a pod of another ServiceAccount", async () => {
    await assert.rejects(cluster.client.createToken(NS, "nobody"), isNotFound);
    await assert.rejects(cluster.client.createToken(NS, "robot", { boundPod: { name: "no-such-pod" } }), isNotFound);
    await assert.rejects(cluster.client.createToken(NS, "robot", { expirationSeconds: 599 }), isInvalid);
    await createPod(podOf("other"));
    await assert.rejects(cluster.client.createToken(NS, "robot", { boundPod: { name: "other" } }), (err: ApiError) => err.reason === "BadRequest");
  });
});

describe("ServiceAccount admission", () => {
  test("a pod runs as `default` and gets the kube-api-access projected volume, mounted read-only in every container", async () => {
    const pod = await createPod(
      podOf("plain", { initContainers: [{ name: "init", image: "busybox:1.36" } as coreV1Pod.Container], containers: [{ name: "a", image: "busybox:1.36" }, { name: "b", image: "busybox:1.36" }] as coreV1Pod.Container[] }),
    );
    const spec = pod.spec!;
    assert.equal(spec.serviceAccountName, "default");
    assert.equal(spec.volumes.length, 1);
    const volume = spec.volumes[0]!;
    assert.match(volume.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(volume, apiAccessVolume(volume.name));
    assert.deepEqual(JSON.parse(JSON.stringify(pods.codec.toJSON(pod))).spec.volumes[0].projected, {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
      ],
    });
    for (const c of [...spec.initContainers, ...spec.containers]) {
      assert.deepEqual(c.volumeMounts.map((m) => [m.name, m.mountPath, m.readOnly]), [[volume.name, SERVICE_ACCOUNT_MOUNT_PATH, true]], c.name);
    }
  });

  test("automountServiceAccountToken false (pod or ServiceAccount) and an own mount at the path are respected", async () => {
    const optOut = await createPod(podOf("opt-out", { automountServiceAccountToken: false }));
    assert.equal(optOut.spec!.volumes.length, 0);
    assert.equal(optOut.spec!.containers[0]!.volumeMounts.length, 0);

    await cluster.client.create(serviceAccounts, serviceAccounts.codec.fromPartial({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "quiet", namespace: NS }, automountServiceAccountToken: false }));
    assert.equal((await createPod(podOf("quiet", { serviceAccountName: "quiet" }))).spec!.volumes.length, 0);
    // The pod's own setting wins over the ServiceAccount's.
    assert.equal((await createPod(podOf("loud", { serviceAccountName: "quiet", automountServiceAccountToken: true }))).spec!.volumes.length, 1);

    const own = await createPod(
      podOf("own", {
        volumes: [{ name: "mine", emptyDir: { medium: "" } }] as coreV1Pod.PodSpec["volumes"],
        containers: [{ name: "app", image: "busybox:1.36", volumeMounts: [{ name: "mine", mountPath: SERVICE_ACCOUNT_MOUNT_PATH }] }] as coreV1Pod.Container[],
      }),
    );
    assert.deepEqual(own.spec!.containers[0]!.volumeMounts.map((m) => m.name), ["mine"]);
  });

  test("a pod naming a ServiceAccount that does not exist is refused", async () => {
    await assert.rejects(cluster.client.create(pods, podOf("ghost", { serviceAccountName: "ghost" })), (err: ApiError) => isForbidden(err) && /serviceaccount "ghost" not found/.test(err.message));
  });
});
