// The root-CA publisher: every namespace holds the `kube-root-ca.crt` ConfigMap with the CA that verifies the apiserver,
// which the kube-api-access volume projects into pods as ca.crt.
import { readFileSync } from "node:fs";
import { coreV1Config, kindFor, metaV1, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const configMaps = kindFor("v1", "ConfigMap") as KindInfo<coreV1Config.ConfigMap>;

export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/**
 * Reconciles one namespace (the request's name): creates kube-root-ca.crt with data `ca.crt` = the
 * root CA, or puts back its data and annotation when someone changed them. Namespaces gone or
 * terminating are skipped; NotFound, Conflict and AlreadyExists mean the cache is behind and the
 * key is retried.
 */
export class RootCaPublisher implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly namespaces: Lister<coreV1Config.Namespace>,
    private readonly configMaps: Lister<coreV1Config.ConfigMap>,
    private readonly rootCa: string,
    private readonly logger: Logger,
  ) {}

  async reconcile({ name: namespace }: Request, signal: AbortSignal): Promise<void> {
    const ns = this.namespaces.get("", namespace);
    if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating") return;
    const data = { "ca.crt": this.rootCa };
    const current = this.configMaps.get(namespace, ROOT_CA_CONFIGMAP);
    try {
      if (!current) {
        const cm = coreV1Config.ConfigMap.fromPartial({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
          data,
        });
        await this.client.create(configMaps, cm, { signal });
        this.logger.info({ kind: "ConfigMap", namespace, name: ROOT_CA_CONFIGMAP }, "published the root CA");
        return;
      }
      const sameData = Object.keys(current.data).length === 1 && current.data["ca.crt"] === this.rootCa && Object.keys(current.binaryData).length === 0;
      if (sameData && current.metadata?.annotations[DESCRIPTION_ANNOTATION] === DESCRIPTION) return;
      const next = coreV1Config.ConfigMap.fromPartial({
        ...current,
        metadata: metaV1.ObjectMeta.fromPartial({ ...current.metadata, annotations: { ...current.metadata?.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } }),
        data,
        binaryData: {},
      });
      await this.client.update(configMaps, next, { signal });
      this.logger.info({ kind: "ConfigMap", namespace, name: ROOT_CA_CONFIGMAP }, "restored the root CA");
    } catch (err) {
      // AlreadyExists, Conflict or NotFound: the cache is behind; the retry reads a newer one.
      if (isNamespaceTerminating(err)) return;
      throw err;
    }
  }
}

/** Builds the root-ca-publisher controller; it runs only when the controller-manager has `rootCaFile`. */
export function newRootCaPublisher(ctx: ControllerContext): void {
  if (!ctx.config.rootCaFile) {
    ctx.logger.info({ controller: "root-ca-publisher" }, "no rootCaFile: the root CA is not published");
    return;
  }
  const rootCa = readFileSync(ctx.config.rootCaFile, "utf8");
  const nsInformer = ctx.informers.informerFor(namespaces);
  const cmInformer = ctx.informers.informerFor(configMaps);
  const reconciler = new RootCaPublisher(ctx.client, nsInformer.lister, cmInformer.lister, rootCa, ctx.logger);
  const controller = ctx.manager.newController({ name: "root-ca-cert-publisher", reconciler, workers: ctx.config.workers });
  controller.watch(nsInformer);
  const enqueueNamespace = (cm: coreV1Config.ConfigMap): void => {
    if (cm.metadata?.name === ROOT_CA_CONFIGMAP) controller.enqueueKey(cm.metadata.namespace);
  };
  cmInformer.addEventHandler({ onUpdate: (_old, cm) => enqueueNamespace(cm), onDelete: enqueueNamespace });
}
