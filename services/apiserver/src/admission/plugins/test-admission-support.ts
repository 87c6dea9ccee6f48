// Test helpers for admission plugins: an in-memory AdmissionStore (with compare-and-swap status updates) and attributes.
import { apiErrors, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { UserInfo } from "../../authn/index.js";
import type { AdmissionAttributes, AdmissionOperation, AdmissionStore } from "../interfaces.js";

/** An AdmissionStore over a map, keyed like the registry (resource/namespace/name); objects are deep-copied in and out. */
export class MemoryAdmissionStore implements AdmissionStore {
  readonly objects = new Map<string, ApiObject>();
  /** How many status updates lost a race and ran `mutate` again. */
  retries = 0;
  private version = 1;

  private key(info: KindInfo, namespace: string, name: string): string {
    return `${info.group}/${info.resource}/${namespace}/${name}`;
  }

  put<T extends ApiObject>(info: KindInfo<T>, obj: T): T {
    const copy = structuredClone(obj);
    copy.metadata = { ...(copy.metadata ?? ({} as never)), resourceVersion: String(this.version++) };
    this.objects.set(this.key(info, obj.metadata?.namespace ?? "", obj.metadata?.name ?? ""), copy);
    return structuredClone(copy);
  }

  async get<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<T | undefined> {
    const obj = this.objects.get(this.key(info, namespace, name));
    return obj ? (structuredClone(obj) as T) : undefined;
  }

  async list<T extends ApiObject>(info: KindInfo<T>, namespace: string): Promise<T[]> {
    const prefix = `${info.group}/${info.resource}/${namespace}${namespace === "" && info.namespaced ? "" : "/"}`;
    return [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([, o]) => structuredClone(o) as T);
  }

  async updateStatus<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string, mutate: (current: T) => T): Promise<T> {
    for (;;) {
      const current = await this.get(info, namespace, name);
      if (!current) throw apiErrors.notFound({ group: info.group, resource: info.resource, name });
      const next = mutate(current);
      // Yield so that concurrent callers interleave, as they would against etcd.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const stored = this.objects.get(this.key(info, namespace, name));
      if (stored?.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
        this.retries++;
        continue;
      }
      return this.put(info, next);
    }
  }
}

export const testUser: UserInfo = { username: "alice", groups: ["system:authenticated"] };

/** Attributes of a write of `object` (and `oldObject` for UPDATE) to `info` in `namespace`. */
export function attributes(
  info: KindInfo,
  operation: AdmissionOperation,
  object: ApiObject | undefined,
  options: { oldObject?: ApiObject; subresource?: string; user?: UserInfo; dryRun?: boolean } = {},
): AdmissionAttributes {
  return {
    operation,
    info,
    subresource: options.subresource ?? "",
    namespace: object?.metadata?.namespace ?? options.oldObject?.metadata?.namespace ?? "",
    name: object?.metadata?.name ?? options.oldObject?.metadata?.name ?? "",
    object,
    oldObject: options.oldObject,
    user: options.user ?? testUser,
    dryRun: options.dryRun ?? false,
    warnings: [],
    auditAnnotations: {},
  };
}
