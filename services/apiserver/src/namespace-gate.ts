// Admission of writes into namespaces: the namespace must exist and not be terminating.
import { apiErrors, kindForResource } from "@kubeplane/api";
import type { Registry } from "./registry.js";

export class NamespaceGate {
  constructor(private readonly registry: Registry) {}

  /** Throws NotFound for a missing namespace and Forbidden for one being deleted. */
  async admitWrite(namespace: string): Promise<void> {
    const info = kindForResource("", "namespaces")!;
    const found = await this.registry.tryGet(info, "", namespace);
    if (!found) throw apiErrors.notFound({ resource: "namespaces", name: namespace });
    const phase = (found.obj as { status?: { phase?: string } }).status?.phase;
    if (found.obj.metadata?.deletionTimestamp || phase === "Terminating") {
      throw apiErrors.forbidden(
        { resource: "namespaces", name: namespace },
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }
}
