// The AdmissionStore plugins read and write through: the Registry, read linearizably; status writes by compare-and-swap.
import { apiErrors, validateStatusUpdate, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { Registry } from "../registry.js";
import type { AdmissionStore } from "./interfaces.js";

type WithStatus = ApiObject & { status?: unknown };

/**
 * Plugins' view of the store. `registry` is resolved on each call, so the store can be built before
 * the Registry that runs the chain. Status writes skip admission (the apiserver writes them itself,
 * as kube-apiserver's quota evaluator does through its loopback client) and never touch spec or metadata.
 */
export class RegistryAdmissionStore implements AdmissionStore {
  constructor(private readonly registry: () => Registry) {}

  async get<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<T | undefined> {
    return (await this.registry().tryGet(info, info.namespaced ? namespace : "", name))?.obj;
  }

  async list<T extends ApiObject>(info: KindInfo<T>, namespace: string): Promise<T[]> {
    const page = await this.registry().list(info, { namespace: info.namespaced ? namespace : "", labelSelector: "", fieldSelector: "", limit: 0, continueToken: "" });
    return page.items;
  }

  updateStatus<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string, mutate: (current: T) => T): Promise<T> {
    if (!info.hasStatus) throw apiErrors.methodNotSupported({ group: info.group, resource: info.resource, kind: info.kind, name }, "update status");
    return this.registry().guaranteedUpdate(info, info.namespaced ? namespace : "", name, "", false, (current) => {
      const wanted = mutate(info.codec.fromPartial(current)) as WithStatus;
      const next = info.codec.fromPartial(current) as T & WithStatus;
      next.status = wanted.status;
      const errors = validateStatusUpdate(info, next, current);
      if (errors.length) throw apiErrors.invalid({ group: info.group, resource: info.resource, kind: info.kind, name }, errors);
      return next;
    });
  }
}
