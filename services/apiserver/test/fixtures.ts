// Minimal valid objects of every kind, for tests that exercise the API generically.
import { decodeJson, type ApiObject, type KindInfo } from "@kubeplane/api";

const RT_CSR = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIUE1IY0NBUUF3RlRFVE1CRUdBMVVFQXd3S2NuUXRabWw0ZEhWeVpUQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxRwpTTTQ5QXdFSEEwSUFCR2ZWNTJoc0FNME5NSHU4WGViR1RuWm56VmdZOVVYQmFMeERHeEkyc0U3bUFtY0k4V0FsCmF0QTE5NHhTZTNYdFZNOGxRaE9WVDdQaHJFMlcxa29BUy9DZ0FEQUtCZ2dxaGtqT1BRUURBZ05JQURCRkFpRUEKZ3dNM1lURk1tYVRmL0hhMDNDT2dTa09hYmcra3BKMjJKc2pKSTk5L0FSb0NJRmlhdjVEQmxsR3lmNlIxeFhEcQpmS05JV0xDdGJVY1VDL0hXeWV0MURzSVIKLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg==";

const podSpec = (image = "nginx:1.25") => ({ containers: [{ name: "main", image }] });
const template = (app: string) => ({ metadata: { labels: { app } }, spec: podSpec() });

function specFor(info: KindInfo, name: string): Record<string, unknown> {
  switch (info.kind) {
    case "Pod":
      return { spec: podSpec() };
    case "Service":
      return { spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } };
    case "Endpoints":
      return { subsets: [{ addresses: [{ ip: "10.1.0.5" }], ports: [{ port: 8080 }] }] };
    case "ConfigMap":
      return { data: { key: "value" } };
    case "Secret":
      return { data: { password: Buffer.from("s3cret").toString("base64") } };
    case "Event":
      return { involvedObject: { kind: "Pod", name: "p", namespace: "default" }, reason: "Test", message: "hello", type: "Normal" };
    case "Node":
      return { spec: { podCIDR: "10.244.1.0/24" } };
    case "PersistentVolume":
      return { spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/pv" } } };
    case "PersistentVolumeClaim":
      return { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } };
    case "ReplicationController":
      return { spec: { replicas: 1, selector: { app: name }, template: template(name) } };
    case "EndpointSlice":
      return { addressType: "IPv4", endpoints: [{ addresses: ["10.1.0.5"] }], ports: [{ port: 8080, name: "", protocol: "TCP" }] };
    case "Deployment":
    case "ReplicaSet":
    case "StatefulSet":
    case "DaemonSet":
      return { spec: { selector: { matchLabels: { app: name } }, template: template(name) } };
    case "ControllerRevision":
      return { revision: 1, data: { spec: {} } };
    case "Job":
      return { spec: { template: { spec: { ...podSpec("busybox:1.36"), restartPolicy: "Never" } } } };
    case "CronJob":
      return { spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template: { spec: { ...podSpec("busybox:1.36"), restartPolicy: "OnFailure" } } } } } };
    case "HorizontalPodAutoscaler":
      return { spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 1, maxReplicas: 5 } };
    case "Lease":
      return { spec: { holderIdentity: "me", leaseDurationSeconds: 15 } };
    case "Ingress":
      return { spec: { rules: [{ host: "example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] } };
    case "PriorityClass":
      return { value: 1000 };
    case "StorageClass":
      return { provisioner: "kubeplane.io/local-path" };
    case "Role":
    case "ClusterRole":
      return { rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] };
    case "RoleBinding":
    case "ClusterRoleBinding":
      return {
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
      };
    case "CertificateSigningRequest":
      // A real PEM request (openssl, CN=rt-fixture, P-256), base64 as the API carries it.
      return { spec: { request: RT_CSR, signerName: "example.com/fixtures", usages: ["client auth"] } };
    case "ResourceQuota":
      return { spec: { hard: { configmaps: "100" } } };
    case "LimitRange":
      return { spec: { limits: [{ type: "PersistentVolumeClaim", max: { storage: "10Gi" } }] } };
    case "PodDisruptionBudget":
      return { spec: { minAvailable: 1, selector: { matchLabels: { app: name } } } };
    default:
      return {};
  }
}

/** A minimal valid object of `info` named `name` (namespaced kinds in "default"). */
export function minimalObject(info: KindInfo, name: string): ApiObject {
  const json = {
    apiVersion: info.apiVersion,
    kind: info.kind,
    metadata: { name, ...(info.namespaced ? { namespace: "default" } : {}) },
    ...specFor(info, name),
  };
  const { object, errors } = decodeJson(info, json);
  if (!object) throw new Error(`fixture for ${info.kind} does not decode: ${JSON.stringify(errors)}`);
  return object;
}
