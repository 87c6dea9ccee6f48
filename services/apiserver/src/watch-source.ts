// The change feed the watch publisher sends to NATS: etcd's changes, decrypted, with Secret payloads removed.
import { encodeMessage, parseRegistryKey, type KindInfo } from "@kubeplane/api";
import type { EtcdStore } from "@kubeplane/storage";
import type { ChangeSource } from "@kubeplane/watch";
import type { Logger } from "@kubeplane/service-kit";
import { EncryptionError, type ValueTransformer } from "./encryption.js";

/** Resources whose watch events carry metadata only: their payload never crosses NATS or rests on its disk. */
export const PAYLOAD_FREE_RESOURCES: ReadonlySet<string> = new Set(["secrets"]);

/**
 * A Secret's bytes as watchers get them: the object without `data` and `stringData`. Informers
 * get the whole object from the apiserver when told of a change (libs/client's `refetch`), so a
 * NATS user, its stream files or a backup of them never hold a Secret's value.
 */
function withoutPayload(info: KindInfo, bytes: Uint8Array): Uint8Array {
  const obj = info.codec.decode(bytes) as { data?: unknown; stringData?: unknown };
  obj.data = {};
  obj.stringData = {};
  return encodeMessage(info.codec, obj as never);
}

/**
 * What watchers get of a value that does not decrypt (copied from another key, or of a key since
 * removed): only its name and namespace, from the etcd key, so the feed goes on and a reader that
 * fetches the object gets the InternalError that names the key.
 */
function undecryptable(info: KindInfo, namespace: string, name: string): Uint8Array {
  return encodeMessage(info.codec, info.codec.fromPartial({ metadata: { name, namespace } }) as never);
}

/**
 * The store's change feed for the watch publisher: values decrypted (the publisher decodes them
 * to route pods by node), then payload-free resources stripped. Everything else passes unchanged.
 */
export function watchChangeSource(store: EtcdStore, transformer: ValueTransformer, logger?: Logger): ChangeSource {
  return {
    currentRevision: () => store.currentRevision(),
    async *watchChanges(fromRevision: number, signal: AbortSignal) {
      for await (const change of store.watchChanges(fromRevision, signal)) {
        const parsed = parseRegistryKey(change.key);
        const resource = parsed?.info.resource;
        if (!parsed || !resource || (!transformer.covers(parsed.info) && !PAYLOAD_FREE_RESOURCES.has(resource))) {
          yield change;
          continue;
        }
        const clean = (bytes: Uint8Array | undefined): Uint8Array | undefined => {
          if (!bytes) return bytes;
          let plain: Uint8Array;
          try {
            plain = transformer.fromStorage(parsed.info, change.key, bytes).plain;
          } catch (err) {
            if (!(err instanceof EncryptionError)) throw err;
            logger?.error({ err, key: change.key }, "a stored value does not decrypt: its watch event carries only its name");
            return undecryptable(parsed.info, parsed.namespace, parsed.name);
          }
          return PAYLOAD_FREE_RESOURCES.has(resource) ? withoutPayload(parsed.info, plain) : plain;
        };
        yield { ...change, value: clean(change.value), prevValue: clean(change.prevValue) };
      }
    },
  };
}
