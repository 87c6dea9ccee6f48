// The few CRI calls the containerd harness needs (readiness, sweeping sandboxes), hand-encoded so libs need no service's proto.
import { credentials, Client, type ServiceError } from "@grpc/grpc-js";

const RUNTIME = "/runtime.v1.RuntimeService";
const CALL_TIMEOUT_MS = 10_000;

/**
 * A bare CRI RuntimeService client over a unix socket. Requests here are empty or carry one
 * string in field 1 (Version, ListPodSandbox, Stop/RemovePodSandbox), so a few lines of wire
 * format replace generated code; the kubelet's real client lives in services/kubelet/src/cri.
 * Calls reject with the grpc-js ServiceError (its `code` is the gRPC status).
 */
export class CriWireClient {
  readonly #client: Client;

  constructor(socketPath: string) {
    this.#client = new Client(`unix://${socketPath}`, credentials.createInsecure());
  }

  /** Resolves once the runtime's CRI answers Version (containerd's CRI refuses it until initialized). */
  async version(): Promise<void> {
    await this.#call("Version", Buffer.alloc(0));
  }

  /** The ids of every pod sandbox the runtime knows. */
  async listPodSandboxIds(): Promise<string[]> {
    const reply = await this.#call("ListPodSandbox", Buffer.alloc(0));
    return fieldsOf(reply, 1).map((item) => fieldsOf(item, 1)[0]?.toString("utf8") ?? "");
  }

  /** Stops (CNI DEL, kills its containers) and removes a sandbox with its containers. */
  async stopAndRemovePodSandbox(id: string): Promise<void> {
    await this.#call("StopPodSandbox", stringField1(id));
    await this.#call("RemovePodSandbox", stringField1(id));
  }

  close(): void {
    this.#client.close();
  }

  #call(method: string, request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        `${RUNTIME}/${method}`,
        (message: Buffer) => message,
        (bytes: Buffer) => bytes,
        request,
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (error: ServiceError | null, reply?: Buffer) => (error ? reject(error) : resolve(reply ?? Buffer.alloc(0))),
      );
    });
  }
}

function stringField1(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/** The length-delimited values of field `field` in a protobuf message (other fields skipped). */
function fieldsOf(message: Buffer, field: number): Buffer[] {
  const found: Buffer[] = [];
  let pos = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = message[pos++];
      if (byte === undefined) throw new Error("truncated protobuf varint");
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  while (pos < message.length) {
    const key = readVarint();
    const wireType = key & 7;
    if (wireType === 0) readVarint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = readVarint();
      if (Math.floor(key / 8) === field) found.push(message.subarray(pos, pos + length));
      pos += length;
    } else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
  return found;
}
