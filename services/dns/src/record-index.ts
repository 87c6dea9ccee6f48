// The in-memory record index the DNS server answers from, fed by Service and EndpointSlice events.
import type { coreV1Service, discoveryV1 } from "@kubeplane/api";
import { inZone } from "./names.js";
import { emptyRecords, recordCount, serviceRecords, type NameRecords } from "./service-records.js";

type Service = coreV1Service.Service;
type EndpointSlice = discoveryV1.EndpointSlice;

/** The label linking an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

const keyOf = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ""}/${name ?? ""}`;

/**
 * Name → records of the cluster zone and the reverse zones, kept current from Services and their
 * EndpointSlices. A change recomputes only the changed Service's names; a lookup is one Map get
 * and returns a shared, never-mutated record set. Not thread-safe: one event loop calls both the
 * setters (informer handlers) and `lookup` (queries). A PTR name two Services publish (an address
 * in two Services' slices) holds the records of both.
 */
export class RecordIndex {
  readonly zone: string;
  private readonly merged = new Map<string, NameRecords>();
  /** name → owner (Service key) → that owner's records; only names with records from some owner. */
  private readonly owners = new Map<string, Map<string, NameRecords>>();
  private readonly byOwner = new Map<string, Map<string, NameRecords>>();
  /** Names above a published name inside the zone (empty non-terminals) → how many names below. */
  private readonly ancestors = new Map<string, number>();
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** EndpointSlice key → the Service key it was filed under. */
  private readonly sliceOwners = new Map<string, string>();
  private count = 0;
  /** Bumped on every change: the SOA serial. */
  serial = Math.floor(Date.now() / 1000);

  constructor(zone: string) {
    this.zone = zone;
  }

  /** Resource records held (the records gauge). */
  get records(): number {
    return this.count;
  }

  /** Services indexed. */
  get serviceCount(): number {
    return this.services.size;
  }

  /** The records of canonical `name`, or undefined when no Service publishes it. */
  lookup(name: string): NameRecords | undefined {
    return this.merged.get(name);
  }

  /** Whether canonical `name` exists: it has records, is an ancestor of a name that has, is the zone or `svc.<zone>`. */
  exists(name: string): boolean {
    return this.merged.has(name) || this.ancestors.has(name) || name === this.zone || name === `svc.${this.zone}`;
  }

  setService(svc: Service): void {
    const key = keyOf(svc.metadata?.namespace, svc.metadata?.name);
    this.services.set(key, svc);
    this.rebuild(key);
  }

  deleteService(svc: Service): void {
    const key = keyOf(svc.metadata?.namespace, svc.metadata?.name);
    this.services.delete(key);
    this.rebuild(key);
  }

  setEndpointSlice(slice: EndpointSlice): void {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const sliceKey = keyOf(slice.metadata?.namespace, slice.metadata?.name);
    const owner = service ? keyOf(slice.metadata?.namespace, service) : undefined;
    // The label may have changed: take the slice from the Service it was filed under first.
    const was = this.sliceOwners.get(sliceKey);
    if (was !== undefined && was !== owner) this.removeSlice(sliceKey, was);
    if (owner === undefined) return;
    let slices = this.slices.get(owner);
    if (!slices) this.slices.set(owner, (slices = new Map()));
    slices.set(sliceKey, slice);
    this.sliceOwners.set(sliceKey, owner);
    this.rebuild(owner);
  }

  deleteEndpointSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(slice.metadata?.namespace, slice.metadata?.name);
    const owner = this.sliceOwners.get(sliceKey);
    if (owner !== undefined) this.removeSlice(sliceKey, owner);
  }

  private removeSlice(sliceKey: string, owner: string): void {
    this.sliceOwners.delete(sliceKey);
    const slices = this.slices.get(owner);
    if (!slices?.delete(sliceKey)) return;
    if (slices.size === 0) this.slices.delete(owner);
    this.rebuild(owner);
  }

  /** Recomputes the names Service `key` publishes and re-merges those that changed. */
  private rebuild(key: string): void {
    const svc = this.services.get(key);
    const next = svc ? serviceRecords(svc, this.slices.get(key)?.values() ?? [], this.zone) : new Map<string, NameRecords>();
    const prev = this.byOwner.get(key) ?? new Map<string, NameRecords>();
    if (next.size > 0) this.byOwner.set(key, next);
    else this.byOwner.delete(key);
    let changed = false;
    for (const name of prev.keys()) {
      if (next.has(name)) continue;
      this.contribute(name, key, undefined);
      this.countAncestors(name, -1);
      changed = true;
    }
    for (const [name, records] of next) {
      const before = prev.get(name);
      if (before && sameRecords(before, records)) continue;
      this.contribute(name, key, records);
      if (!before) this.countAncestors(name, +1);
      changed = true;
    }
    if (changed) this.serial++;
  }

  /** Sets (or with undefined removes) `owner`'s records of `name` and re-merges the name. */
  private contribute(name: string, owner: string, records: NameRecords | undefined): void {
    let owners = this.owners.get(name);
    if (!owners) this.owners.set(name, (owners = new Map()));
    if (records) owners.set(owner, records);
    else owners.delete(owner);
    const old = this.merged.get(name);
    if (old) this.count -= recordCount(old);
    if (owners.size === 0) {
      this.owners.delete(name);
      this.merged.delete(name);
      return;
    }
    const merged = owners.size === 1 ? owners.values().next().value! : mergeRecords(owners.values());
    this.merged.set(name, merged);
    this.count += recordCount(merged);
  }

  /** Adjusts the empty-non-terminal counts of the names between `name` and the zone. */
  private countAncestors(name: string, delta: number): void {
    if (!inZone(name, this.zone)) return;
    for (let i = name.indexOf("."); i >= 0 && name.length - i - 1 > this.zone.length; i = name.indexOf(".", i + 1)) {
      const parent = name.slice(i + 1);
      const n = (this.ancestors.get(parent) ?? 0) + delta;
      if (n > 0) this.ancestors.set(parent, n);
      else this.ancestors.delete(parent);
    }
  }
}

function mergeRecords(all: Iterable<NameRecords>): NameRecords {
  const m = emptyRecords();
  for (const r of all) {
    m.a.push(...r.a.filter((x) => !m.a.includes(x)));
    m.aaaa.push(...r.aaaa.filter((x) => !m.aaaa.includes(x)));
    m.ptr.push(...r.ptr.filter((x) => !m.ptr.includes(x)));
    m.srv.push(...r.srv);
    m.cname ??= r.cname;
  }
  return m;
}

function sameRecords(x: NameRecords, y: NameRecords): boolean {
  const eq = (p: readonly unknown[], q: readonly unknown[]): boolean => p.length === q.length && p.every((v, i) => v === q[i]);
  return (
    x.cname === y.cname &&
    eq(x.a, y.a) &&
    eq(x.aaaa, y.aaaa) &&
    eq(x.ptr, y.ptr) &&
    x.srv.length === y.srv.length &&
    x.srv.every((s, i) => s.port === y.srv[i]!.port && s.target === y.srv[i]!.target && s.weight === y.srv[i]!.weight)
  );
}
