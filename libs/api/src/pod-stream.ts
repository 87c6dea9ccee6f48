// The gRPC metadata that names the pod of an interactive pods/exec, pods/attach or pods/portforward stream (authorization reads it before the first message).
export const POD_STREAM_NAMESPACE_KEY = "kubeplane-namespace";
export const POD_STREAM_NAME_KEY = "kubeplane-name";

/** The namespace and pod a stream's metadata names (empty strings when absent). */
export function podStreamTarget(metadata: { get(key: string): Array<string | Buffer> }): { namespace: string; name: string } {
  const first = (key: string): string => String(metadata.get(key)[0] ?? "");
  return { namespace: first(POD_STREAM_NAMESPACE_KEY), name: first(POD_STREAM_NAME_KEY) };
}
