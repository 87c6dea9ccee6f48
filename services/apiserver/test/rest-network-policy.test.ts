// NetworkPolicy through a real apiserver: kubectl over REST (discovery, OpenAPI explain, defaults, Table columns,
// Invalid with field paths) and kpctl over gRPC (get, describe). One cluster for the file.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { clientTls, testPki } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";
import { kubectl, runKpctl, writeKubeconfig } from "./rest-support.js";

await testPki();

// The NetworkPolicy of the Kubernetes documentation (concepts/services-networking/network-policies).
const documented = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    - namespaceSelector:
        matchLabels:
          project: myproject
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - protocol: TCP
      port: 5978
`;

describe("NetworkPolicy over REST and gRPC", () => {
  let cluster: TestCluster;
  let kc: { path: string; dir: string };
  let kpctlConfig = "";
  const run = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(kc, args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  const kpctl = async (...args: string[]): Promise<string> => {
    const r = await runKpctl(["--config", kpctlConfig, ...args]);
    assert.equal(r.code, 0, `kpctl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    cluster = await startTestCluster();
    kc = writeKubeconfig(cluster.apiservers[0]!.restUrl!);
    const tls = clientTls("admin");
    kpctlConfig = join(kc.dir, "kpctl-config");
    writeFileSync(kpctlConfig, JSON.stringify({
      clusters: [{ name: "kp", cluster: { server: cluster.apiservers[0]!.addresses.grpcAddress, "certificate-authority": tls.caFile } }],
      users: [{ name: "admin", user: { "client-certificate": tls.certFile, "client-key": tls.keyFile } }],
      contexts: [{ name: "kp", context: { cluster: "kp", user: "admin" } }],
      "current-context": "kp",
    }));
  });
  after(async () => {
    await cluster?.stop();
  });

  test("discovery lists networkpolicies (netpol) and explain reads its schema", async () => {
    assert.match(await run(["api-resources", "--api-group=networking.k8s.io"]), /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m);
    const explain = await run(["explain", "networkpolicy.spec.ingress.from.ipBlock"]);
    assert.match(explain, /KIND:\s+NetworkPolicy/);
    assert.match(explain, /cidr\s+<string>/);
  });

  test("kubectl apply, get (NAME POD-SELECTOR AGE), server-side defaults, and kpctl get/describe of the same object", async () => {
    assert.match(await run(["apply", "-f", "-"], documented), /networkpolicy\.networking\.k8s\.io\/test-network-policy created/);
    assert.match(await run(["get", "netpol"]), /^NAME\s+POD-SELECTOR\s+AGE\ntest-network-policy\s+role=db\s+\d+s\n$/);
    await run(["apply", "-f", "-"], "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 80}]}]\n");
    const deny = JSON.parse(await run(["get", "netpol", "deny", "-o", "json"])) as { spec: unknown };
    assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: 80 }] }] });
    assert.match(await kpctl("get", "networkpolicies"), /^NAME\s+POD-SELECTOR\s+AGE\ndeny\s+<none>\s+\S+\ntest-network-policy\s+role=db\s+\S+\n$/);
    const described = await kpctl("describe", "netpol", "test-network-policy");
    assert.match(described, /Allowing ingress traffic:\n\s+To Port: 6379\/TCP\n\s+From:\n\s+IPBlock:\n\s+CIDR:\s+172\.17\.0\.0\/16\n\s+Except:\s+172\.17\.1\.0\/24\n/);
    assert.match(described, /Policy Types:\s+Ingress, Egress\n/);
    await run(["delete", "netpol", "deny", "test-network-policy"]);
    assert.equal(await run(["get", "netpol", "-o", "name"]), "");
  });

  test("an invalid policy is refused with Kubernetes' field paths", async () => {
    const bad = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}, podSelector: {}}], ports: [{port: http, endPort: 90}]}]\n";
    const r = await kubectl(kc, ["apply", "-f", "-"], bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.egress\[0\]\.ports\[0\]\.endPort: Invalid value: 90: may not be specified when `port` is non-numeric/);
    assert.match(r.stderr, /spec\.egress\[0\]\.to\[0\]: Forbidden: may not specify both ipBlock and another peer/);
    assert.match(r.stderr, /spec\.egress\[0\]\.to\[0\]\.ipBlock\.except\[0\]: Invalid value: "11\.0\.0\.0\/8": must be a strict subset of `cidr`/);
  });
});
