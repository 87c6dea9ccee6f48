// The local-path provisioner: a volume is a directory on the node its first consumer was scheduled to.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { coreV1Volume } from "@kubeplane/api";
import type { ProvisionRequest, ProvisionedVolume, Volumes } from "../interface.js";

/** The StorageClass provisioner name this serves. */
export const LOCAL_PATH_PROVISIONER = "kubeplane.io/local-path";
/** Label the PV's node affinity selects on (a Node without it is matched by its name). */
const HOSTNAME_LABEL = "kubernetes.io/hostname";
/** The PV annotation naming the Node whose disk holds the directory. */
export const NODE_ANNOTATION = "local-path.kubeplane.io/node";

/**
 * Directories under `root` on each node. The directory itself is created and removed only by the
 * cloud-controller-manager running on that node (`localNodeName`); on other nodes the kubelet's
 * hostPath handling (DirectoryOrCreate) creates it and removal is left to the node (documented).
 */
export class LocalPathVolumes implements Volumes {
  readonly provisioners = [LOCAL_PATH_PROVISIONER] as const;

  constructor(
    private readonly root: string,
    private readonly localNodeName: string,
  ) {}

  async provision(req: ProvisionRequest): Promise<ProvisionedVolume> {
    const nodeName = req.node.metadata?.name ?? "";
    const hostname = req.node.metadata?.labels?.[HOSTNAME_LABEL] ?? nodeName;
    const path = join(this.root, `${req.claimNamespace}_${req.claimName}_${req.pvName}`);
    if (nodeName === this.localNodeName) await mkdir(path, { recursive: true, mode: 0o777 });
    return {
      annotations: { [NODE_ANNOTATION]: nodeName },
      spec: {
        hostPath: { path, type: "DirectoryOrCreate" },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [hostname] }], matchFields: [] }] } },
      },
    };
  }

  async deleteVolume(pv: coreV1Volume.PersistentVolume): Promise<void> {
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    const node = pv.metadata?.annotations?.[NODE_ANNOTATION];
    // Only under our root: a PV edited to point elsewhere must not make us delete arbitrary paths.
    if (!path || node !== this.localNodeName || !path.startsWith(`${this.root}/`)) return;
    await rm(path, { recursive: true, force: true });
  }
}
