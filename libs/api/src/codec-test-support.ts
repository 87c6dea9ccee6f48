// Test support for the generated codecs: round-trip assertions and the custom options in the descriptors.
import assert from "node:assert/strict";
import { createFileRegistry, fromBinary, type DescExtension, type DescField } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { descriptorSetBase64 } from "./gen/descriptors.js";

/** The interface every generated message type has. */
export interface Codec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Asserts that `json` comes back unchanged through the JSON codec and through protobuf bytes. */
export function assertRoundTrips<T>(codec: Codec<T>, json: unknown): void {
  assert.deepEqual(codec.toJSON(codec.fromJSON(json)), json, "JSON round trip");
  const decoded = codec.decode(codec.encode(codec.fromJSON(json)).finish());
  assert.deepEqual(codec.toJSON(decoded), json, "protobuf round trip");
}

/** The kubeplane.api.v1 field options and a field lookup, read from the embedded descriptors. */
export interface ApiOptions {
  intOrString: DescExtension;
  mergeKey: DescExtension;
  patchStrategy: DescExtension;
  /** The field `name` (proto name) of the message with full name `message`; fails the test if absent. */
  field(message: string, name: string): DescField;
}

export function apiOptions(): ApiOptions {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, Buffer.from(descriptorSetBase64, "base64")));
  const option = (name: string): DescExtension => {
    const ext = registry.getExtension(`kubeplane.api.v1.${name}`);
    assert.ok(ext, name);
    return ext;
  };
  return {
    intOrString: option("int_or_string"),
    mergeKey: option("merge_key"),
    patchStrategy: option("patch_strategy"),
    field(message, name) {
      const found = registry.getMessage(message)?.fields.find((f) => f.name === name);
      assert.ok(found, `${message}.${name}`);
      return found;
    },
  };
}
