// The kinds both endpoints controllers read and write.
import { kindFor, type KindInfo, type coreV1Node, type coreV1Pod, type coreV1Service, type discoveryV1 } from "@kubeplane/api";

export const serviceKind = kindFor("v1", "Service") as KindInfo<coreV1Service.Service>;
export const podKind = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
export const nodeKind = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
export const endpointsKind = kindFor("v1", "Endpoints") as KindInfo<coreV1Service.Endpoints>;
export const endpointSliceKind = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<discoveryV1.EndpointSlice>;
