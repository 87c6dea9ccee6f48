// The cloud provider interface the controllers call (Kubernetes' cloudprovider.Interface, trimmed to what Kubeplane uses).
import type { coreV1Node, coreV1Service, coreV1Volume } from "@kubeplane/api";

type Node = coreV1Node.Node;
type Service = coreV1Service.Service;

/** What the provider knows of the machine behind a Node. */
export interface InstanceMetadata {
  /** `<provider>://<id>`, written to `spec.providerID`. */
  providerId: string;
  instanceType: string;
  /** Node addresses (`InternalIP`, `ExternalIP`, `Hostname`, `InternalDNS`, `ExternalDNS`). */
  addresses: coreV1Node.NodeAddress[];
  zone: string;
  region: string;
  /** Extra labels the provider puts on the Node at initialisation. */
  labels: Record<string, string>;
}

/**
 * The machines behind Nodes. Called by the cloud-node controller, possibly concurrently for
 * different nodes. Answers from the provider's current view; throws only when the provider
 * cannot answer at all (the controller retries with back-off).
 */
export interface Instances {
  /** False when the machine is gone from the provider: its Node may be deleted. */
  instanceExists(node: Node): Promise<boolean>;
  /** True when the machine exists but is shut down (the Node gets the shutdown taint). */
  instanceShutdown(node: Node): Promise<boolean>;
  /** The machine's metadata, or undefined when it does not exist. */
  instanceMetadata(node: Node): Promise<InstanceMetadata | undefined>;
}

/** Failure domains. Same contract as Instances. */
export interface Zones {
  /** The node's zone and region, or undefined when the provider does not know the node. */
  getZone(node: Node): Promise<{ zone: string; region: string } | undefined>;
}

/** Why a load balancer could not be provided: an expected outcome, reported as a Warning event. */
export class LoadBalancerUnavailableError extends Error {
  override readonly name = "LoadBalancerUnavailableError";
  /** A CamelCase reason for the Event and the Service's condition (e.g. "PoolExhausted"). */
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Load balancers of Services of type LoadBalancer. The service controller calls it from ONE
 * worker, so an implementation need not lock. `restore` is called once with every Service before
 * any other call, so a provider whose state lives in the Services' status (bare metal) rebuilds it.
 */
export interface LoadBalancer {
  restore(services: readonly Service[]): void;
  /**
   * Creates or updates the Service's load balancer and returns its ingress. Throws
   * LoadBalancerUnavailableError when none can be provided now (e.g. no free address); other
   * errors are retried with back-off.
   */
  ensureLoadBalancer(service: Service, nodes: readonly Node[]): Promise<coreV1Service.LoadBalancerIngress[]>;
  /** Releases whatever the Service (by `namespace/name`) held; idempotent. Returns true if something was released. */
  ensureLoadBalancerDeleted(key: string): Promise<boolean>;
  /** Addresses used and free, per pool, for metrics. */
  usage(): { pool: string; used: number; free: number }[];
}

/** A route sending a node's pod CIDR to that node. */
export interface Route {
  targetNode: string;
  destinationCidr: string;
  /** True when the route is only partly programmed (bare metal: missing on some hosts). */
  incomplete?: boolean;
}

/**
 * Thrown by `createRoute` when the target node has no address of the CIDR's family (a dual-stack
 * pod CIDR on a node with only an IPv4 address): nothing to route via. Not retried as a failure.
 */
export class NoRouteAddressError extends Error {
  override readonly name = "NoRouteAddressError";
}

/**
 * Routes for pod CIDRs. Called by the route controller from one worker. `listRoutes` returns
 * every route this provider programmed (and only those); `createRoute` is idempotent.
 */
export interface Routes {
  listRoutes(signal?: AbortSignal): Promise<Route[]>;
  createRoute(route: Route, signal?: AbortSignal): Promise<void>;
  deleteRoute(route: Route, signal?: AbortSignal): Promise<void>;
}

/** Where a provisioned volume lives. */
export interface ProvisionedVolume {
  /** Annotations the provider needs back in `deleteVolume`. */
  annotations: Record<string, string>;
  /** The PV's source and node affinity (exactly one source set). */
  spec: Pick<coreV1Volume.PersistentVolumeSpec, "hostPath" | "local" | "csi" | "nodeAffinity">;
}

/** What to provision: the claim, the PV's name, the node its first consumer runs on. */
export interface ProvisionRequest {
  pvName: string;
  claimNamespace: string;
  claimName: string;
  node: Node;
  parameters: Record<string, string>;
}

/**
 * Volume provisioning for the StorageClass provisioner(s) the provider names. Called by the volume
 * controller, possibly concurrently for different claims; both calls are idempotent.
 */
export interface Volumes {
  /** Provisioner names (StorageClass.provisioner) this provider serves. */
  readonly provisioners: readonly string[];
  provision(request: ProvisionRequest): Promise<ProvisionedVolume>;
  /** Deletes the storage behind a PV this provider provisioned. */
  deleteVolume(pv: coreV1Volume.PersistentVolume): Promise<void>;
}

/**
 * A cloud provider: each capability is optional (a controller whose capability is missing
 * logs so and does nothing). `start` runs background work (e.g. re-reading an inventory) until
 * the signal aborts; `onChange` listeners are called when machines changed, so the cloud-node
 * controller looks at every Node again.
 */
export interface CloudProvider {
  readonly name: string;
  instances(): Instances | undefined;
  zones(): Zones | undefined;
  loadBalancer(): LoadBalancer | undefined;
  routes(): Routes | undefined;
  volumes(): Volumes | undefined;
  start(signal: AbortSignal): Promise<void>;
  onChange(listener: () => void): void;
}
