// The namespaces the apiserver keeps: created at start, never deleted (NamespaceLifecycle refuses it).
export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;
