// Plans the EndpointSlice writes for one Service: keep unchanged slices, update changed ones, pack new endpoints, delete empty ones.
import { discoveryV1, metaV1, type coreV1Service } from "@kubeplane/api";
import { endpointFingerprint, endpointKey, portsFingerprint, type EndpointGroup } from "./slice-endpoints.js";
import { labelsEqual, sliceLabels } from "../util/endpoint/slice-labels.js";

type Service = coreV1Service.Service;
type EndpointSlice = discoveryV1.EndpointSlice;
type Endpoint = discoveryV1.Endpoint;

/** An EndpointSlice address type this controller writes (FQDN slices are never made from pods). */
export type AddressType = "IPv4" | "IPv6";

/** Kubernetes' default --max-endpoints-per-slice. */
export const defaultMaxEndpointsPerSlice = 100;

/** The API writes that bring a Service's slices to the desired endpoints; an empty plan means nothing to write. */
export interface SlicePlan {
  /** New slices, named by generateName `<service>-`. */
  create: EndpointSlice[];
  /** Changed copies of existing slices, carrying their resourceVersion. */
  update: EndpointSlice[];
  /** Existing slices to delete. */
  delete: EndpointSlice[];
}

/** What planSlices compares: the Service, its current slices and the endpoints it should have. */
export interface SlicePlanInput {
  service: Service;
  /** The Service's slices this controller manages (its service-name and managed-by labels), none being deleted. */
  existing: readonly EndpointSlice[];
  /** desiredEndpointGroups of the Service. */
  desired: ReadonlyMap<string, EndpointGroup>;
  maxEndpointsPerSlice: number;
  /** The address type of `desired` and of the slices written (default IPv4); `existing` slices of another type are deleted. */
  addressType?: AddressType;
  /** Keep one empty placeholder slice when there are no endpoints (default true; false for a dual-stack Service's second family). */
  placeholder?: boolean;
}

function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return slice.metadata?.ownerReferences.some((r) => r.controller === true && r.uid === svc.metadata!.uid) ?? false;
}

function newSlice(svc: Service, labels: Record<string, string>, group: Pick<EndpointGroup, "ports">, addressType: AddressType): EndpointSlice {
  return discoveryV1.EndpointSlice.fromPartial({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      // The apiserver appends 5 characters; Kubernetes keeps generated names within 63.
      generateName: `${svc.metadata!.name}-`.slice(0, 58),
      namespace: svc.metadata!.namespace,
      labels,
      ownerReferences: [
        metaV1.OwnerReference.fromPartial({ apiVersion: "v1", kind: "Service", name: svc.metadata!.name, uid: svc.metadata!.uid, controller: true, blockOwnerDeletion: true }),
      ],
    },
    addressType,
    endpoints: [],
    ports: group.ports,
  });
}

function withContent(slice: EndpointSlice, endpoints: Endpoint[], labels: Record<string, string>): EndpointSlice {
  return { ...slice, metadata: metaV1.ObjectMeta.fromPartial({ ...slice.metadata, labels }), endpoints };
}

/** Moves endpoints from `remaining` into `slice` until it holds `max`. */
function fill(slice: EndpointSlice, remaining: Map<string, Endpoint>, max: number): void {
  for (const [key, endpoint] of remaining) {
    if (slice.endpoints.length >= max) return;
    slice.endpoints.push(endpoint);
    remaining.delete(key);
  }
}

/** reconcileByPortMapping: one group of endpoints (one port set) against the slices that serve it. */
function planGroup(existing: readonly EndpointSlice[], group: EndpointGroup, svc: Service, labels: Record<string, string>, max: number, plan: SlicePlan, addressType: AddressType): void {
  const remaining = new Map(group.endpoints);
  const changed: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];
  // 1. Keep every endpoint where it is; note slices whose endpoints changed or left.
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let dirty = false;
    for (const endpoint of slice.endpoints) {
      const key = endpointKey(endpoint);
      const want = remaining.get(key);
      if (!want) {
        dirty = true;
        continue;
      }
      remaining.delete(key);
      kept.push(want);
      if (endpointFingerprint(want) !== endpointFingerprint(endpoint)) dirty = true;
    }
    if (dirty && kept.length === 0) plan.delete.push(slice);
    else if (dirty || !labelsEqual(slice.metadata?.labels ?? {}, labels)) changed.push(withContent(slice, kept, labels));
    else unchanged.push(slice);
  }
  // 2. New endpoints go first into slices that are written anyway, fullest first.
  changed.sort((a, b) => b.endpoints.length - a.endpoints.length);
  for (const slice of changed) fill(slice, remaining, max);
  // 3. Then into the fullest unchanged slice that takes them all, else into new slices.
  while (remaining.size > 0) {
    let target: EndpointSlice | undefined;
    if (remaining.size < max) {
      const fits = unchanged.filter((s) => s.endpoints.length + remaining.size <= max).sort((a, b) => b.endpoints.length - a.endpoints.length)[0];
      if (fits) {
        unchanged.splice(unchanged.indexOf(fits), 1);
        target = withContent(fits, [...fits.endpoints], labels);
        changed.push(target);
      }
    }
    if (!target) {
      target = newSlice(svc, labels, group, addressType);
      plan.create.push(target);
    }
    fill(target, remaining, max);
  }
  // Slices left with nothing (a placeholder in this port set) go; planSlices keeps a placeholder if needed.
  for (const slice of [...unchanged, ...changed]) {
    if (slice.endpoints.length > 0) {
      if (changed.includes(slice)) plan.update.push(slice);
    } else {
      plan.delete.push(existing.find((s) => s.metadata?.name === slice.metadata?.name) ?? slice);
    }
  }
}

/**
 * The writes that make the Service's slices hold exactly `desired` (a simplified Kubernetes
 * reconciler): endpoints stay in the slice they are in; a slice is written only when an endpoint
 * in it changed or left or its labels changed; new endpoints fill slices written anyway, then the
 * fullest unchanged slice they all fit in, then new slices of at most `maxEndpointsPerSlice`.
 * One address type at a time (a dual-stack Service is planned once per family).
 * Slices of another owner (a deleted namesake), another address type, or a port set no longer
 * wanted are deleted. A Service without endpoints keeps one empty placeholder slice. A slice
 * about to be deleted is reused for a new one (one update instead of a delete and a create).
 * Pure: reads its input, returns new objects.
 */
export function planSlices(input: SlicePlanInput): SlicePlan {
  const { service, existing, desired, maxEndpointsPerSlice: max } = input;
  const addressType = input.addressType ?? "IPv4";
  const labels = sliceLabels(service);
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, service) || slice.addressType !== addressType) {
      plan.delete.push(slice);
      continue;
    }
    const key = portsFingerprint(slice.ports);
    byPorts.set(key, [...(byPorts.get(key) ?? []), slice]);
  }
  for (const [key, slices] of byPorts) if (!desired.has(key)) plan.delete.push(...slices);
  for (const [key, group] of desired) planGroup(byPorts.get(key) ?? [], group, service, labels, max, plan, addressType);

  const reusable = (s: EndpointSlice): boolean => ownedBy(s, service) && s.addressType === addressType;
  if ((input.placeholder ?? true) && plan.delete.length === existing.length && plan.create.length === 0) {
    const i = plan.delete.findIndex((s) => reusable(s) && s.endpoints.length === 0 && s.ports.length === 0);
    const placeholder = i >= 0 ? plan.delete.splice(i, 1)[0]! : undefined;
    if (!placeholder) plan.create.push(newSlice(service, labels, { ports: [] }, addressType));
    else if (!labelsEqual(placeholder.metadata?.labels ?? {}, labels)) plan.update.push(withContent(placeholder, [], labels));
  }
  while (plan.create.length > 0) {
    const i = plan.delete.findIndex(reusable);
    if (i < 0) break;
    const old = plan.delete.splice(i, 1)[0]!;
    const created = plan.create.shift()!;
    plan.update.push({ ...created, metadata: metaV1.ObjectMeta.fromPartial({ ...old.metadata, labels }) });
  }
  return plan;
}

/**
 * The writes for all of a Service's slices: planSlices once per address type of `types` (the
 * Service's IP families, primary first), each over the existing slices of its type; slices of a
 * type the Service no longer has go with the first plan. Only the first type keeps a placeholder
 * when there are no endpoints. `desired(type)` gives desiredEndpointGroups for that type.
 */
export function planServiceSlices(
  service: Service,
  existing: readonly EndpointSlice[],
  types: readonly AddressType[],
  desired: (addressType: AddressType) => ReadonlyMap<string, EndpointGroup>,
  maxEndpointsPerSlice: number,
): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  types.forEach((addressType, i) => {
    const mine = existing.filter((s) => s.addressType === addressType || (i === 0 && !types.includes(s.addressType as AddressType)));
    const part = planSlices({ service, existing: mine, desired: desired(addressType), maxEndpointsPerSlice, addressType, placeholder: i === 0 });
    plan.create.push(...part.create);
    plan.update.push(...part.update);
    plan.delete.push(...part.delete);
  });
  return plan;
}
