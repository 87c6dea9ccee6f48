// The bare-metal provider's configuration and inventory files: parsing and validation with field paths.
import { isIP } from "node:net";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { FieldPath, duplicate, fieldErrorMessage, invalid, notSupported, required, typeInvalid, unknownField, type FieldError, type coreV1Node } from "@kubeplane/api";
import { cidrSize, formatIpv4, parseCidr, parseIpv4 } from "../../ipv4.js";

/** Thrown for a configuration or inventory file that does not validate; the message lists every field error. */
export class ProviderConfigError extends Error {
  override readonly name = "ProviderConfigError";
  readonly code = "InvalidProviderConfig";
  constructor(
    readonly file: string,
    readonly errors: readonly FieldError[],
    options?: ErrorOptions,
  ) {
    super(`${file}: ${errors.map(fieldErrorMessage).join("; ")}`, options);
  }
}

/** One machine of the inventory. */
export interface Machine {
  name: string;
  addresses: coreV1Node.NodeAddress[];
  zone: string;
  region: string;
  instanceType: string;
  labels: Record<string, string>;
  shutdown: boolean;
  /** How route commands reach this host: a network namespace on this machine (the only executor implemented). */
  netns: string | undefined;
}

/** An inclusive range of IPv4 addresses (as numbers). */
export interface AddressRange {
  first: number;
  last: number;
}

/** A named load-balancer address pool. */
export interface PoolConfig {
  name: string;
  ranges: AddressRange[];
}

/** The provider's configuration file, validated. */
export interface BareMetalConfig {
  /** Absolute path of the inventory file (relative paths are relative to the configuration file). */
  inventoryFile: string;
  pools: PoolConfig[];
}

export const ADDRESS_TYPES = ["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"] as const;
const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Records a field error for every key of `obj` not in `known`. */
function unknownKeys(obj: Json, known: readonly string[], path: FieldPath, errs: FieldError[]): void {
  for (const k of Object.keys(obj)) if (!known.includes(k)) errs.push(unknownField(path.child(k)));
}

function stringField(obj: Json, key: string, path: FieldPath, errs: FieldError[], opts: { required?: boolean } = {}): string {
  const v = obj[key];
  if (v === undefined || v === null || v === "") {
    if (opts.required) errs.push(required(path.child(key)));
    return "";
  }
  if (typeof v !== "string") {
    errs.push(typeInvalid(path.child(key), v, "must be a string"));
    return "";
  }
  return v;
}

function parseYamlDoc(text: string, file: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new ProviderConfigError(file, [invalid(FieldPath.root("<document>"), undefined, `not valid YAML: ${(err as Error).message}`)], { cause: err });
  }
}

/** Parses and validates an inventory file's text (`machines: [...]`); errors are under `inventory.`. */
export function parseInventory(text: string, file: string): Machine[] {
  const doc = parseYamlDoc(text, file) ?? {};
  const root = FieldPath.root("inventory");
  const errs: FieldError[] = [];
  if (!isObject(doc)) throw new ProviderConfigError(file, [typeInvalid(root, doc, "must be a mapping with a machines list")]);
  unknownKeys(doc, ["machines"], root, errs);
  const list = doc["machines"] ?? [];
  if (!Array.isArray(list)) throw new ProviderConfigError(file, [typeInvalid(root.child("machines"), list, "must be a list")]);
  const seen = new Set<string>();
  const machines = list.map((raw, i) => {
    const path = root.child("machines").index(i);
    const m = parseMachine(raw, path, errs);
    if (m.name && seen.has(m.name)) errs.push(duplicate(path.child("name"), m.name));
    seen.add(m.name);
    return m;
  });
  if (errs.length) throw new ProviderConfigError(file, errs);
  return machines;
}

function parseMachine(raw: unknown, path: FieldPath, errs: FieldError[]): Machine {
  const m: Machine = { name: "", addresses: [], zone: "", region: "", instanceType: "", labels: {}, shutdown: false, netns: undefined };
  if (!isObject(raw)) {
    errs.push(typeInvalid(path, raw, "must be a mapping"));
    return m;
  }
  unknownKeys(raw, ["name", "addresses", "zone", "region", "instanceType", "labels", "shutdown", "netns"], path, errs);
  m.name = stringField(raw, "name", path, errs, { required: true });
  m.zone = stringField(raw, "zone", path, errs);
  m.region = stringField(raw, "region", path, errs);
  m.instanceType = stringField(raw, "instanceType", path, errs);
  const netns = stringField(raw, "netns", path, errs);
  if (netns && !NETNS_NAME.test(netns)) errs.push(invalid(path.child("netns"), netns, "must be a network namespace name (letters, digits, '_', '.', '-')"));
  m.netns = netns || undefined;
  if (raw["shutdown"] !== undefined && typeof raw["shutdown"] !== "boolean") errs.push(typeInvalid(path.child("shutdown"), raw["shutdown"], "must be true or false"));
  m.shutdown = raw["shutdown"] === true;
  const labels = raw["labels"] ?? {};
  if (!isObject(labels)) errs.push(typeInvalid(path.child("labels"), labels, "must be a mapping of strings"));
  else
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== "string") errs.push(typeInvalid(path.child("labels").key(k), v, "must be a string"));
      else m.labels[k] = v;
    }
  const addresses = raw["addresses"] ?? [];
  if (!Array.isArray(addresses)) errs.push(typeInvalid(path.child("addresses"), addresses, "must be a list"));
  else
    addresses.forEach((a, j) => {
      const ap = path.child("addresses").index(j);
      if (!isObject(a)) return errs.push(typeInvalid(ap, a, "must be a mapping with type and address"));
      unknownKeys(a, ["type", "address"], ap, errs);
      const type = stringField(a, "type", ap, errs, { required: true });
      const address = stringField(a, "address", ap, errs, { required: true });
      if (type && !(ADDRESS_TYPES as readonly string[]).includes(type)) errs.push(notSupported(ap.child("type"), type, ADDRESS_TYPES));
      if (type.endsWith("IP") && address && isIP(address) === 0) errs.push(invalid(ap.child("address"), address, "must be a valid IP address"));
      m.addresses.push({ type, address });
    });
  return m;
}

/** Parses "a.b.c.d/p", "a.b.c.d-e.f.g.h" or "a.b.c.d"; returns a reason string when invalid. */
export function parseAddressRange(text: string): AddressRange | string {
  if (text.includes("/")) {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") return cidr;
    return { first: cidr.base, last: cidr.base + cidrSize(cidr.prefix) - 1 };
  }
  const [from, to = from] = text.split("-").map((s) => s.trim()) as [string, string?];
  const first = parseIpv4(from);
  const last = parseIpv4(to);
  if (first === undefined || last === undefined) return "must be an IPv4 CIDR, an address range (first-last) or an address";
  if (last < first) return `the range ends (${formatIpv4(last)}) before it starts (${formatIpv4(first)})`;
  return { first, last };
}

/** Parses and validates the provider's configuration file; `file` resolves a relative inventory path. */
export function parseBareMetalConfig(text: string, file: string): BareMetalConfig {
  const doc = parseYamlDoc(text, file) ?? {};
  const errs: FieldError[] = [];
  if (!isObject(doc)) throw new ProviderConfigError(file, [typeInvalid(FieldPath.root("<document>"), doc, "must be a mapping")]);
  for (const k of Object.keys(doc)) if (!["inventory", "loadBalancer"].includes(k)) errs.push(unknownField(FieldPath.root(k)));
  const inv = FieldPath.root("inventory");
  let inventoryFile = "";
  if (!isObject(doc["inventory"])) errs.push(required(inv.child("file"), "the inventory file's path"));
  else {
    unknownKeys(doc["inventory"], ["file"], inv, errs);
    inventoryFile = stringField(doc["inventory"], "file", inv, errs, { required: true });
  }
  const pools = parsePools(doc["loadBalancer"], errs);
  if (errs.length) throw new ProviderConfigError(file, errs);
  return { inventoryFile: isAbsolute(inventoryFile) ? inventoryFile : resolve(dirname(file), inventoryFile), pools };
}

function parsePools(raw: unknown, errs: FieldError[]): PoolConfig[] {
  const lb = FieldPath.root("loadBalancer");
  if (raw === undefined || raw === null) return [];
  if (!isObject(raw)) {
    errs.push(typeInvalid(lb, raw, "must be a mapping with a pools list"));
    return [];
  }
  unknownKeys(raw, ["pools"], lb, errs);
  const list = raw["pools"] ?? [];
  if (!Array.isArray(list)) {
    errs.push(typeInvalid(lb.child("pools"), list, "must be a list"));
    return [];
  }
  const pools: PoolConfig[] = [];
  const taken: { range: AddressRange; where: string }[] = [];
  list.forEach((p, i) => {
    const path = lb.child("pools").index(i);
    if (!isObject(p)) return errs.push(typeInvalid(path, p, "must be a mapping with name and addresses"));
    unknownKeys(p, ["name", "addresses"], path, errs);
    const name = stringField(p, "name", path, errs, { required: true });
    if (name && pools.some((q) => q.name === name)) errs.push(duplicate(path.child("name"), name));
    const addresses = p["addresses"];
    if (!Array.isArray(addresses) || addresses.length === 0) return errs.push(required(path.child("addresses"), "at least one CIDR or range"));
    const ranges: AddressRange[] = [];
    addresses.forEach((a, j) => {
      const ap = path.child("addresses").index(j);
      if (typeof a !== "string") return errs.push(typeInvalid(ap, a, "must be a string"));
      const range = parseAddressRange(a);
      if (typeof range === "string") return errs.push(invalid(ap, a, range));
      const clash = taken.find((t) => range.first <= t.range.last && t.range.first <= range.last);
      if (clash) return errs.push(invalid(ap, a, `overlaps ${clash.where}`));
      taken.push({ range, where: String(ap) });
      ranges.push(range);
    });
    pools.push({ name, ranges });
  });
  return pools;
}
