// Turns one etcd change into the stream messages that carry it: the object's, and a pod's by-node views.
import { apiserverV1, kindForResource, parseRegistryKey, podNodeNameOf, revisionEndVersion } from "@kubeplane/api";
import type { Change } from "./change-source.js";
import { GAP_SUBJECT, objectSubject, podsByNodeSubject } from "./subjects.js";

/** Headers every watch message carries (besides `Nats-Msg-Id`). The message's resourceVersion (revision × 128 + ordinal). */
export const REVISION_HEADER = "Kp-Revision";
export const TYPE_HEADER = "Kp-Type";
/**
 * The resourceVersion of the stream's previous message, or, for the first message after a start or
 * a gap, the version after which the publisher's history begins. The stream is complete between
 * this version and the message's own: that is what lets a consumer decide "Gone" exactly.
 */
export const PREV_REVISION_HEADER = "Kp-Prev-Revision";
/**
 * The format of the revision headers: `rv128` (resourceVersions). Messages written before it
 * existed carry bare etcd revisions and no such header; the publisher purges such a stream and a
 * consumer that meets such a message resyncs (docs/decisions.md).
 */
export const FORMAT_HEADER = "Kp-Format";
export const FORMAT_RV128 = "rv128";
/** Set ("1") on the messages of a revision's last change: nothing of that revision follows. */
export const REVISION_END_HEADER = "Kp-Revision-End";

/** The W3C trace context of the write that made the change, when it was traced (consumers continue that trace). */
export const TRACEPARENT_HEADER = "traceparent";

/** The event type of a gap marker on GAP_SUBJECT: events up to its revision may be missing. */
export const GAP_TYPE = "GAP";

/** One message to publish. */
export interface OutgoingMessage {
  subject: string;
  msgId: string;
  type: string;
  /** The resourceVersion (REVISION_HEADER). */
  revision: number;
  /** The last change of its etcd revision (REVISION_END_HEADER). */
  revisionEnd?: boolean;
  payload: Uint8Array;
  /** W3C traceparent of the write that made the change (TRACEPARENT_HEADER), if any. */
  traceparent?: string;
}

const podInfo = kindForResource("", "pods")!;

/**
 * The messages for `change`, in publishing order, or [] for a key outside the known kinds.
 *
 * Pods are also published under `pods-by-node.<node>`. A pod whose node changes (in practice: it is
 * bound, "" → X) leaves the old node's view and enters the new one, and each view gets the event a
 * Kubernetes field-selector watch (`spec.nodeName=…`) would send: DELETED on the old node's subject
 * (with the new object) and ADDED on the new node's. So a watcher of unbound pods (`_`) sees a pod
 * leave when it is scheduled, and a kubelet sees it arrive as ADDED.
 */
export function messagesForChange(change: Change): { resource: string; type: string; messages: OutgoingMessage[] } | undefined {
  const parsed = parseRegistryKey(change.key);
  if (!parsed) return undefined;
  const { info, namespace, name } = parsed;
  const type = change.type === "delete" ? "DELETED" : change.created ? "ADDED" : "MODIFIED";
  const object = change.type === "delete" ? change.prevValue : change.value;
  const rv = change.resourceVersion;
  const end = change.revisionEnd;
  const payload = encodeEvent(type, rv, object);
  const messages: OutgoingMessage[] = [{ subject: objectSubject(info.resource, namespace, name), msgId: `${rv}:${change.key}`, type, revision: rv, revisionEnd: end, payload }];
  if (info === podInfo && object) {
    const views = nodeViews(change, type);
    for (const view of views) {
      messages.push({
        subject: podsByNodeSubject(view.node, namespace, name),
        msgId: `${rv}:${change.key}:node:${view.node}`,
        type: view.type,
        revision: rv,
        revisionEnd: end,
        payload: view.type === type ? payload : encodeEvent(view.type, rv, object),
      });
    }
  }
  return { resource: info.resource, type, messages };
}

/**
 * A gap marker after etcd revision `revision`: events with versions in (the previous message's,
 * revisionEndVersion(revision)] may never have been published. It carries the revision's end version.
 */
export function gapMessage(revision: number): OutgoingMessage {
  const rv = revisionEndVersion(revision);
  return { subject: GAP_SUBJECT, msgId: `gap:${rv}`, type: GAP_TYPE, revision: rv, revisionEnd: true, payload: encodeEvent(GAP_TYPE, rv, undefined) };
}

function nodeViews(change: Change, type: string): { node: string; type: string }[] {
  if (change.type === "delete") return [{ node: nodeOf(change.prevValue), type }];
  const node = nodeOf(change.value);
  if (change.created || change.prevValue === undefined) return [{ node, type }];
  const oldNode = nodeOf(change.prevValue);
  if (oldNode === node) return [{ node, type }];
  return [
    { node: oldNode, type: "DELETED" },
    { node, type: "ADDED" },
  ];
}

function nodeOf(bytes: Uint8Array | undefined): string {
  if (!bytes) return "";
  return podNodeNameOf(bytes);
}

function encodeEvent(type: string, revision: number, object: Uint8Array | undefined): Uint8Array {
  return apiserverV1.WatchEvent.encode({
    type,
    revision,
    object: object ? { data: Buffer.from(object.buffer, object.byteOffset, object.byteLength), encoding: apiserverV1.Encoding.ENCODING_PROTOBUF } : undefined,
  }).finish();
}
