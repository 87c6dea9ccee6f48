// The Prometheus job names of Kubeplane's components (kube-prometheus' names where one exists), shared by scrape configs, dashboards and rules.

/** Job name → what it scrapes. Dashboards, rules and the scrape config use these names only. */
export const jobs = {
  apiserver: "apiserver",
  scheduler: "kube-scheduler",
  controllerManager: "kube-controller-manager",
  cloudControllerManager: "cloud-controller-manager",
  kubelet: "kubelet",
  kubeProxy: "kube-proxy",
  dns: "kube-dns",
  ingressController: "ingress-controller",
  etcd: "etcd",
  nats: "nats",
  prometheus: "prometheus",
} as const;

/** One of the job names above. */
export type JobName = (typeof jobs)[keyof typeof jobs];

/**
 * The job a process of `make up` (its name in infra/local/services.list, or etcd-<member>) is
 * scraped as; names not listed keep their own name (a new service is scraped without a change here).
 */
export function jobForComponent(component: string): string {
  if (component.startsWith("kubelet-")) return jobs.kubelet;
  if (component.startsWith("etcd-")) return jobs.etcd;
  const byName: Record<string, string> = {
    scheduler: jobs.scheduler,
    "controller-manager": jobs.controllerManager,
    dns: jobs.dns,
    "nats-exporter": jobs.nats,
  };
  return byName[component] ?? component;
}

/**
 * The target labels of a component beyond its job: a kubelet's node (`kubelet-node-1` → node
 * "node-1") and an etcd member's name (`etcd-m1` → member "m1"), as kube-prometheus labels them.
 */
export function labelsForComponent(component: string): Record<string, string> {
  if (component.startsWith("kubelet-")) return { node: component.slice("kubelet-".length) };
  if (component.startsWith("etcd-")) return { member: component.slice("etcd-".length) };
  return {};
}
