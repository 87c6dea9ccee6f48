// Keeps nats-server's node users in step with the cluster's Nodes: list+watch Nodes, render the authorization file, reload nats-server when it changed.
import { setTimeout as delay } from "node:timers/promises";
import { kindFor, type coreV1Node, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { parseCertificateSubjects } from "@kubeplane/watch";
import { readFile } from "node:fs/promises";
import { renderAuthorizationFile } from "./authorization-file.js";
import type { NatsAuthorizerMetrics } from "./metrics.js";
import { readCurrent, writeAndReload, type NatsReloaderOptions } from "./nats-reloader.js";

const nodes = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;

export interface NodeUserSyncOptions {
  client: ApiClient;
  logger: Logger;
  metrics: NatsAuthorizerMetrics;
  staticUsersFile: string;
  reloader: NatsReloaderOptions;
  /** Render again this often without a Node change (static users may change, someone may edit the file). */
  resyncMs: number;
  /** Longest wait between relists after failures; default 30 s. */
  maxRetryDelayMs?: number;
}

/**
 * The sync loop, level-based: it keeps the set of Node names from a list and a watch (relisting
 * after any watch failure) and, after each change, renders the whole file from that set and the
 * static users, compares it with the file on disk and, only when they differ, writes it and reloads
 * nats-server. Renders are serialized and coalesced: changes during a render cause one more. Nothing
 * is rendered before the first list, so a start never drops the node users already granted.
 * A failed render or reload is retried after a short delay and on every resync.
 */
export class NodeUserSync {
  private readonly names = new Set<string>();
  private listed = false;
  private rendering: Promise<void> | undefined;
  private again = false;
  private lastOk = false;
  /** A write or reload failed: reload on the next render even if the file on disk already matches. */
  private dirty = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: NodeUserSyncOptions) {}

  /** True once Nodes were listed and the file on disk matches the last render. */
  get ready(): boolean {
    return this.listed && this.lastOk;
  }

  /** The node users the file grants (after the next render). */
  get nodeNames(): string[] {
    return [...this.names].sort();
  }

  /** Runs until the signal aborts; never rejects. Resolves after the current render finished. */
  async run(signal: AbortSignal): Promise<void> {
    const resync = setInterval(() => this.request(), this.o.resyncMs);
    try {
      await this.watchLoop(signal);
    } finally {
      clearInterval(resync);
      clearTimeout(this.retryTimer);
      await this.rendering;
    }
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const list = await this.o.client.listAll(nodes, { signal });
        this.o.metrics.relists.inc();
        this.names.clear();
        for (const node of list.items) if (node.metadata?.name) this.names.add(node.metadata.name);
        this.listed = true;
        failures = 0;
        this.request();
        for await (const event of this.o.client.watch(nodes, { resourceVersion: list.resourceVersion, signal })) {
          const name = event.object.metadata?.name;
          if (!name || event.type === "BOOKMARK") continue;
          const had = this.names.has(name);
          if (event.type === "DELETED") this.names.delete(name);
          else this.names.add(name);
          if (had !== this.names.has(name)) this.request();
        }
        if (signal.aborted) return;
        // The apiserver ended the stream (a restart, a drain): list again, not faster than twice a second.
        this.o.logger.info({}, "node watch ended: listing again");
        await delay(500, undefined, { signal }).catch(() => undefined);
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const wait = Math.min(this.o.maxRetryDelayMs ?? 30_000, 500 * 2 ** Math.min(failures - 1, 10));
        this.o.logger.warn({ err: (err as Error).message, retryInMs: wait }, "listing or watching Nodes failed: the node users stay as they are until the next list");
        await delay(wait, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Asks for a render; coalesced with one already running. */
  request(): void {
    if (!this.listed) return;
    if (this.rendering) {
      this.again = true;
      return;
    }
    this.rendering = (async () => {
      do {
        this.again = false;
        await this.render();
      } while (this.again);
    })().finally(() => (this.rendering = undefined));
  }

  private async render(): Promise<void> {
    const names = this.nodeNames;
    try {
      const subjects = parseCertificateSubjects(await readFile(this.o.staticUsersFile, "utf8"));
      const text = renderAuthorizationFile(subjects, names);
      const changed = this.dirty || (await readCurrent(this.o.reloader.file)) !== text;
      this.o.metrics.renders.inc({ changed: String(changed) });
      if (changed) {
        try {
          await writeAndReload(text, this.o.reloader);
        } catch (err) {
          this.dirty = true;
          this.o.metrics.reloads.inc({ result: "error" });
          throw err;
        }
        this.dirty = false;
        this.o.metrics.reloads.inc({ result: "success" });
        this.o.logger.info({ nodes: names.length, file: this.o.reloader.file }, "node users changed: nats-server reloaded");
      }
      this.o.metrics.nodeUsers.set(names.length);
      this.lastOk = true;
    } catch (err) {
      this.lastOk = false;
      this.o.logger.error({ err: (err as Error).message, file: this.o.reloader.file }, "could not bring nats-server's users in step: retrying");
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.request(), 2_000);
      this.retryTimer.unref();
    }
  }
}
