// Renders NftStates into `nft -f` transactions: a full (re)write of the table, or only the delta between two states.
import type { NftChain, NftMap, NftState } from "./nft-state.js";

/** What a full sync may find in the kernel: names of chains and maps/sets already in kube-proxy's table. */
export interface ExistingObjects {
  chains: ReadonlySet<string>;
  maps: ReadonlyMap<string, "map" | "set">;
}

/** How many elements one `add element` command carries: big enough to be fast, small enough for nft's parser. */
const elementBatch = 500;

const tableRef = (s: NftState): string => `${s.family} ${s.table}`;

function declareMap(s: NftState, m: NftMap): string {
  return `add ${m.kind} ${tableRef(s)} ${m.name} { ${m.spec} }`;
}

function declareChain(s: NftState, c: NftChain): string {
  return c.hook ? `add chain ${tableRef(s)} ${c.name} { ${c.hook} }` : `add chain ${tableRef(s)} ${c.name}`;
}

const elementText = (m: NftMap, key: string, value: string): string => (m.kind === "map" ? `${key} : ${value}` : key);

function addElements(s: NftState, m: NftMap, entries: Iterable<[string, string]>, out: string[]): void {
  let batch: string[] = [];
  const flush = (): void => {
    if (batch.length) out.push(`add element ${tableRef(s)} ${m.name} { ${batch.join(", ")} }`);
    batch = [];
  };
  for (const [key, value] of entries) {
    batch.push(elementText(m, key, value));
    if (batch.length >= elementBatch) flush();
  }
  flush();
}

function addRules(s: NftState, c: NftChain, out: string[]): void {
  for (const rule of c.rules) out.push(`add rule ${tableRef(s)} ${c.name} ${rule}`);
}

/**
 * The whole table as one transaction. With `existing` unset the table is replaced (`add table;
 * delete table; add table …`: stale contents of any shape go, atomically). With `existing` (what
 * the kernel holds now) it is rewritten in place: every chain and static map is flushed and
 * refilled, and chains and maps kube-proxy no longer wants are deleted, so traffic never sees a
 * missing table and session-affinity sets keep their entries.
 */
export function renderFull(s: NftState, existing?: ExistingObjects): string {
  const out: string[] = [];
  if (existing) {
    out.push(`add table ${tableRef(s)} { comment "rules for kube-proxy" ; }`);
  } else {
    out.push(`add table ${tableRef(s)}`, `delete table ${tableRef(s)}`, `add table ${tableRef(s)} { comment "rules for kube-proxy" ; }`);
  }
  for (const m of s.maps.values()) {
    out.push(declareMap(s, m));
    if (existing?.maps.has(m.name) && !m.dynamic) out.push(`flush ${m.kind} ${tableRef(s)} ${m.name}`);
  }
  for (const c of s.chains.values()) {
    out.push(declareChain(s, c));
    if (existing?.chains.has(c.name)) out.push(`flush chain ${tableRef(s)} ${c.name}`);
  }
  for (const c of s.chains.values()) addRules(s, c, out);
  for (const m of s.maps.values()) if (!m.dynamic) addElements(s, m, m.elements, out);
  if (existing) {
    const staleChains = [...existing.chains].filter((name) => !s.chains.has(name));
    for (const name of staleChains) out.push(`flush chain ${tableRef(s)} ${name}`);
    for (const name of staleChains) out.push(`delete chain ${tableRef(s)} ${name}`);
    for (const [name, kind] of existing.maps) if (!s.maps.has(name)) out.push(`delete ${kind} ${tableRef(s)} ${name}`);
  }
  return `${out.join("\n")}\n`;
}

/** Why a delta cannot be rendered: the caller falls back to a full sync. */
export type DeltaBlocker = { blocked: string };

/**
 * Only what changed from `from` to `to`, as one transaction, in an order nft accepts: new maps and
 * chains first, then rules of new and changed chains (changed ones flushed first), then map
 * elements (deleted before added), then chains that went (all flushed before any is deleted, as
 * they may jump to one another), then maps and sets that went. Returns "" when nothing changed,
 * or a blocker when a base chain's hook or a map's declaration changed (nft cannot alter those
 * in place).
 */
export function renderDelta(from: NftState, to: NftState): string | DeltaBlocker {
  const out: string[] = [];
  for (const m of to.maps.values()) {
    const old = from.maps.get(m.name);
    if (!old) out.push(declareMap(to, m));
    else if (old.spec !== m.spec || old.kind !== m.kind || old.dynamic !== m.dynamic) return { blocked: `${m.kind} ${m.name} changed declaration` };
  }
  for (const c of to.chains.values()) {
    const old = from.chains.get(c.name);
    if (!old) out.push(declareChain(to, c));
    else if (old.hook !== c.hook) return { blocked: `chain ${c.name} changed hook` };
  }
  for (const c of to.chains.values()) {
    const old = from.chains.get(c.name);
    if (old === c || (old && sameRules(old.rules, c.rules))) continue;
    if (old) out.push(`flush chain ${tableRef(to)} ${c.name}`);
    addRules(to, c, out);
  }
  for (const m of to.maps.values()) {
    if (m.dynamic) continue;
    const old = from.maps.get(m.name);
    const removed: string[] = [];
    const added: Array<[string, string]> = [];
    if (old) for (const [key, value] of old.elements) if (m.elements.get(key) !== value) removed.push(key);
    for (const [key, value] of m.elements) if (old?.elements.get(key) !== value) added.push([key, value]);
    if (removed.length) out.push(`delete element ${tableRef(to)} ${m.name} { ${removed.join(", ")} }`);
    addElements(to, m, added, out);
  }
  const goneChains = [...from.chains.keys()].filter((name) => !to.chains.has(name));
  for (const name of goneChains) out.push(`flush chain ${tableRef(to)} ${name}`);
  for (const name of goneChains) out.push(`delete chain ${tableRef(to)} ${name}`);
  for (const m of from.maps.values()) if (!to.maps.has(m.name)) out.push(`delete ${m.kind} ${tableRef(to)} ${m.name}`);
  return out.length ? `${out.join("\n")}\n` : "";
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((rule, i) => rule === b[i]));
}

/** The transaction that removes kube-proxy's table (`--cleanup`); harmless when it is absent. */
export function renderCleanup(family: string, table: string): string {
  return `add table ${family} ${table}\ndelete table ${family} ${table}\n`;
}
