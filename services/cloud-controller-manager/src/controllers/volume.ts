// The volume controllers: PVC binding to matching PVs and provisioning through the provider (claims), release and reclaim (volumes).
import { objectKey } from "@kubeplane/client";
import { nodeKind } from "./cloud-node.js";
import type { ControllerContext } from "./context.js";
import { ClaimReconciler } from "./volumes/claim-sync.js";
import { BY_CLAIM, claimsOfPod, podKind, pvcKind, pvKind, storageClassKind } from "./volumes/kinds.js";
import { VolumeReconciler } from "./volumes/volume-sync.js";

/** Builds the volume controller: provisions volumes for claims through the provider, on the context's manager. */
export function newVolumeController(ctx: ControllerContext): void {
  const provisioner = ctx.provider.volumes();
  const claims = ctx.informers.informerFor(pvcKind);
  const volumes = ctx.informers.informerFor(pvKind);
  const classes = ctx.informers.informerFor(storageClassKind);
  const pods = ctx.informers.informerFor(podKind, { [BY_CLAIM]: claimsOfPod });
  const nodes = ctx.informers.informerFor(nodeKind);
  const claimController = ctx.manager.newController({
    name: "persistentvolumeclaim",
    reconciler: new ClaimReconciler(ctx, { claims: claims.lister, volumes: volumes.lister, classes: classes.lister, pods: pods.lister, nodes: nodes.lister }, provisioner),
  });
  const volumeController = ctx.manager.newController({
    name: "persistentvolume",
    reconciler: new VolumeReconciler(ctx, { volumes: volumes.lister, claims: claims.lister }, provisioner),
  });

  // A claim's change may release its volume; a volume's change may complete its claim's binding.
  claimController.watch(claims);
  volumeController.watch(claims, (pvc) => (pvc.spec?.volumeName ? [pvc.spec.volumeName] : []));
  volumeController.watch(volumes);
  claimController.watch(volumes, (pv) => {
    const ref = pv.spec?.claimRef;
    // An unclaimed volume may be what any unbound claim waits for.
    if (!ref) return claims.lister.list().filter((c) => !c.spec?.volumeName).map(objectKey);
    return [`${ref.namespace}/${ref.name}`];
  });
  // WaitForFirstConsumer: a pod scheduled with a claim is what the claim waits for.
  claimController.watch(pods, (pod) => (pod.spec?.nodeName ? claimsOfPod(pod) : []));
  claimController.watch(classes, (cls) => claims.lister.list().filter((c) => !c.spec?.volumeName && (c.spec?.storageClassName ?? "") === cls.metadata?.name).map(objectKey));
}
