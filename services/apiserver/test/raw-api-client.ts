// A bare gRPC client of the ApiServerService for tests and benches that send bytes no typed client would (hostile input).
import { readFileSync } from "node:fs";
import { credentials, Metadata, type ServiceError, type status as GrpcStatus } from "@grpc/grpc-js";
import { apiErrorFromGrpc, apiserverV1, STATUS_METADATA_KEY, type ApiError } from "@kubeplane/api";
import { clientTls } from "@kubeplane/testing";

/** How a unary call ended: its reply, or the gRPC code and the Status the server sent (absent when it sent none). */
export type RawOutcome = { ok: true; reply: unknown } | { ok: false; grpcCode: GrpcStatus; hasStatus: boolean; error: ApiError };

/** Unary methods of the service, by their handler names. */
export type RawMethod = "create" | "get" | "list" | "update" | "updateStatus" | "patch" | "delete" | "bind" | "updateScale" | "evict" | "createToken";

const requestTypes: Record<RawMethod, { fromPartial(o: never): unknown }> = {
  create: apiserverV1.CreateRequest,
  get: apiserverV1.GetRequest,
  list: apiserverV1.ListRequest,
  update: apiserverV1.UpdateRequest,
  updateStatus: apiserverV1.UpdateRequest,
  patch: apiserverV1.PatchRequest,
  delete: apiserverV1.DeleteRequest,
  bind: apiserverV1.BindRequest,
  updateScale: apiserverV1.UpdateScaleRequest,
  evict: apiserverV1.EvictRequest,
  createToken: apiserverV1.CreateTokenRequest,
};

export interface RawApiClient {
  /** Sends `request` (a partial message: unset fields take their defaults) and reports how the call ended. */
  call(method: RawMethod, request: unknown, timeoutMs?: number): Promise<RawOutcome>;
  close(): void;
}

/** A client of `address` as the test PKI's `identity` (default the admin), optionally impersonating `user`. */
export function rawApiClient(address: string, identity = "admin", impersonate?: { user: string; groups?: string[] }): RawApiClient {
  const tls = clientTls(identity);
  const client = new apiserverV1.ApiServerServiceClient(
    address,
    credentials.createSsl(readFileSync(tls.caFile), readFileSync(tls.keyFile), readFileSync(tls.certFile)),
    { "grpc.max_send_message_length": 8 * 1024 * 1024, "grpc.max_receive_message_length": 64 * 1024 * 1024 },
  );
  const metadata = (): Metadata => {
    const md = new Metadata();
    if (impersonate) {
      md.set("impersonate-user", impersonate.user);
      for (const g of impersonate.groups ?? []) md.add("impersonate-group", g);
    }
    return md;
  };
  return {
    call(method, request, timeoutMs = 30_000) {
      const fn = (client as unknown as Record<string, (req: unknown, md: Metadata, opts: object, cb: (err: ServiceError | null, reply: unknown) => void) => void>)[method]!;
      return new Promise((resolve) => {
        fn.call(client, requestTypes[method].fromPartial(request as never), metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) => {
          if (!err) resolve({ ok: true, reply });
          else resolve({ ok: false, grpcCode: err.code, hasStatus: err.metadata?.get(STATUS_METADATA_KEY).length > 0, error: apiErrorFromGrpc(err) });
        });
      });
    },
    close: () => client.close(),
  };
}
