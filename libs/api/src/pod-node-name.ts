// A stored Pod's spec.nodeName read straight from its protobuf bytes, for hot paths that need nothing else.
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Field numbers from proto/kubeplane/core/v1/pod.proto: Pod.spec and PodSpec.node_name. */
const POD_SPEC = 4;
const POD_SPEC_NODE_NAME = 12;

/**
 * What `Pod.decode(bytes).spec?.nodeName ?? ""` returns, without building the object: other fields
 * are skipped, and repeated occurrences merge as protobuf's do (the last nodeName wins). Throws as
 * decode does on malformed bytes. The watch publisher calls it for every pod change.
 */
export function podNodeNameOf(bytes: Uint8Array): string {
  const pod = new BinaryReader(bytes);
  let nodeName = "";
  while (pod.pos < pod.len) {
    const [field, wireType] = pod.tag();
    if (field !== POD_SPEC || wireType !== WireType.LengthDelimited) {
      pod.skip(wireType, field);
      continue;
    }
    const spec = new BinaryReader(pod.bytes());
    while (spec.pos < spec.len) {
      const [specField, specWireType] = spec.tag();
      if (specField === POD_SPEC_NODE_NAME && specWireType === WireType.LengthDelimited) nodeName = spec.string();
      else spec.skip(specWireType, specField);
    }
  }
  return nodeName;
}
