// Objects in and out: the request's JSON or protobuf to a typed object, and back for replies and etcd.
import { apiErrors, apiserverV1, decodeJson, defaultJsonLimits, encodeJson, encodeMessage, entityTooLarge, parseJsonBody, type ApiObject, type KindInfo } from "@kubeplane/api";

const { Encoding } = apiserverV1;
type RawObject = apiserverV1.RawObject;

/** Protobuf bytes as a Buffer (what the generated messages carry), without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a request's object. JSON is checked against the schema, so wrong types and unknown
 * fields come back as BadRequest with every field path; protobuf that does not parse is BadRequest.
 * A body over 3 MiB is RequestEntityTooLarge; JSON nested over the depth limit is BadRequest.
 */
export function decodeRequestObject<T extends ApiObject>(info: KindInfo<T>, raw: RawObject | undefined): T {
  if (!raw || raw.data.length === 0) throw apiErrors.badRequest("the request has no object");
  if (raw.encoding === Encoding.ENCODING_JSON) {
    const json = parseJsonBody(raw.data, "the object");
    const { object, errors } = decodeJson(info, json);
    if (errors.length || !object) throw apiErrors.badRequest(`error decoding ${info.kind}`, errors);
    return object;
  }
  if (raw.data.length > defaultJsonLimits.maxBytes) throw entityTooLarge("the object", raw.data.length, defaultJsonLimits.maxBytes);
  let obj: T;
  try {
    obj = info.codec.decode(raw.data);
  } catch (err) {
    throw apiErrors.badRequest(`the object is not a valid ${info.kind} protobuf: ${(err as Error).message}`);
  }
  if (!obj.apiVersion) obj.apiVersion = info.apiVersion;
  if (!obj.kind) obj.kind = info.kind;
  return obj;
}

/** Encodes an object for a reply in the encoding the caller accepts. */
export function encodeReplyObject<T extends ApiObject>(info: KindInfo<T>, obj: T, accept: apiserverV1.Encoding): RawObject {
  if (accept === Encoding.ENCODING_JSON) {
    return { data: Buffer.from(JSON.stringify(encodeJson(info, obj))), encoding: Encoding.ENCODING_JSON };
  }
  return { data: asBuffer(encodeMessage(info.codec, obj)), encoding: Encoding.ENCODING_PROTOBUF };
}

/** The bytes stored in etcd: the protobuf message without resourceVersion (the store derives it from mod_revision and the stored ordinal). */
export function encodeForStorage<T extends ApiObject>(info: KindInfo<T>, obj: T): Uint8Array {
  const rv = obj.metadata?.resourceVersion;
  if (obj.metadata) obj.metadata.resourceVersion = "";
  try {
    return encodeMessage(info.codec, obj);
  } finally {
    if (obj.metadata && rv !== undefined) obj.metadata.resourceVersion = rv;
  }
}

/** An object read from etcd, with its resourceVersion set (the store's, or a watch event's). */
export function decodeFromStorage<T extends ApiObject>(info: KindInfo<T>, value: Uint8Array, revision: number): T {
  const obj = info.codec.decode(value);
  obj.metadata ??= info.codec.fromPartial({ metadata: {} }).metadata;
  obj.metadata!.resourceVersion = String(revision);
  if (!obj.apiVersion) obj.apiVersion = info.apiVersion;
  if (!obj.kind) obj.kind = info.kind;
  return obj;
}
