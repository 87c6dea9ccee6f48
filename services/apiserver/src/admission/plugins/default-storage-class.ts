// DefaultStorageClass (Kubernetes' plugin of that name): a PersistentVolumeClaim created without storageClassName gets the
// cluster's default StorageClass, the one annotated storageclass.kubernetes.io/is-default-class=true (newest of several).
import { kindFor, type coreV1Volume, type KindInfo, type storageV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { AdmissionAttributes, AdmissionStore, MutatingAdmissionPlugin } from "../interfaces.js";

type StorageClass = storageV1.StorageClass;

export const IS_DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
/** The beta annotation Kubernetes still honours. */
const BETA_IS_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class";

const storageClasses = (): KindInfo<StorageClass> => kindFor("storage.k8s.io/v1", "StorageClass") as KindInfo<StorageClass>;

const isDefault = (sc: StorageClass): boolean =>
  sc.metadata?.annotations[IS_DEFAULT_CLASS_ANNOTATION] === "true" || sc.metadata?.annotations[BETA_IS_DEFAULT_CLASS_ANNOTATION] === "true";

/**
 * The default class among `classes`: with several, the newest (creationTimestamp), then the first by
 * name, as Kubernetes 1.26+ chooses; undefined when none is marked default.
 */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefault);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? "") || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? "") || 0;
    return ta !== tb ? tb - ta : (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
  });
  return defaults[0];
}

/**
 * Mutates PVC creates whose spec.storageClassName is absent (an empty string is an explicit "no
 * class" and stays). StorageClasses are read from the store on each such create: PVC creates are rare.
 */
export class DefaultStorageClass implements MutatingAdmissionPlugin {
  readonly name = "DefaultStorageClass";

  constructor(private readonly logger?: Logger) {}

  handles(attrs: AdmissionAttributes): boolean {
    return attrs.operation === "CREATE" && attrs.subresource === "" && attrs.info.group === "" && attrs.info.resource === "persistentvolumeclaims";
  }

  async admit(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    const spec = (attrs.object as coreV1Volume.PersistentVolumeClaim).spec;
    if (!spec || spec.storageClassName !== undefined) return;
    const classes = await store.list(storageClasses(), "");
    const chosen = defaultStorageClass(classes);
    if (!chosen) return;
    const defaults = classes.filter(isDefault).length;
    if (defaults > 1) this.logger?.info({ count: defaults, chosen: chosen.metadata!.name }, "several default StorageClasses; choosing the newest");
    spec.storageClassName = chosen.metadata!.name;
  }
}
