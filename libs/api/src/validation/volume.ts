// Pod volume validation: unique DNS-label names and exactly one source each.
import { type FieldPath, duplicate, forbidden, invalid, required, type FieldError } from "../field-errors.js";
import type { KeyToPath } from "../gen/kubeplane/core/v1/types.js";
import type { DownwardAPIVolumeFile, Volume, VolumeProjection } from "../gen/kubeplane/core/v1/volume.js";
import { validateQuantity } from "./common.js";
import { dns1123LabelProblems, dns1123SubdomainProblems } from "./names.js";

const SOURCES = ["hostPath", "emptyDir", "secret", "persistentVolumeClaim", "downwardApi", "configMap", "projected", "csi"] as const;

/** Validates spec.volumes and returns the errors plus the set of valid volume names for volumeMounts. */
export function validateVolumes(volumes: readonly Volume[], path: FieldPath): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = path.index(i);
    if (v.name === "") errs.push(required(p.child("name"), ""));
    else for (const problem of dns1123LabelProblems(v.name)) errs.push(invalid(p.child("name"), v.name, problem));
    if (v.name !== "" && names.has(v.name)) errs.push(duplicate(p.child("name"), v.name));
    names.add(v.name);
    const set = SOURCES.filter((s) => v[s] !== undefined);
    if (set.length === 0) errs.push(required(p, "must specify a volume type"));
    for (const extra of set.slice(1)) errs.push(forbidden(p.child(jsonName(extra)), "may not specify more than 1 volume type"));
    if (v.hostPath && v.hostPath.path === "") errs.push(required(p.child("hostPath").child("path"), ""));
    if (v.emptyDir) {
      if (v.emptyDir.medium !== "" && v.emptyDir.medium !== "Memory") {
        errs.push({ type: "FieldValueNotSupported", field: String(p.child("emptyDir").child("medium")), value: v.emptyDir.medium, detail: 'supported values: "", "Memory"' });
      }
      if (v.emptyDir.sizeLimit !== undefined) errs.push(...validateQuantity(v.emptyDir.sizeLimit, p.child("emptyDir").child("sizeLimit")));
    }
    if (v.secret) {
      const sp = p.child("secret");
      if (v.secret.secretName === "") errs.push(required(sp.child("secretName"), ""));
      else for (const problem of dns1123SubdomainProblems(v.secret.secretName)) errs.push(invalid(sp.child("secretName"), v.secret.secretName, problem));
      errs.push(...validateMode(v.secret.defaultMode, sp.child("defaultMode")), ...validateItems(v.secret.items, sp.child("items")));
    }
    if (v.configMap) {
      const cp = p.child("configMap");
      if (v.configMap.name === "") errs.push(required(cp.child("name"), ""));
      errs.push(...validateMode(v.configMap.defaultMode, cp.child("defaultMode")), ...validateItems(v.configMap.items, cp.child("items")));
    }
    if (v.persistentVolumeClaim && v.persistentVolumeClaim.claimName === "") {
      errs.push(required(p.child("persistentVolumeClaim").child("claimName"), ""));
    }
    if (v.csi && v.csi.driver === "") errs.push(required(p.child("csi").child("driver"), ""));
    if (v.projected) {
      errs.push(...validateMode(v.projected.defaultMode, p.child("projected").child("defaultMode")));
      errs.push(...validateProjections(v.projected.sources, p.child("projected").child("sources")));
    }
    if (v.downwardApi) {
      errs.push(...validateMode(v.downwardApi.defaultMode, p.child("downwardAPI").child("defaultMode")));
      errs.push(...validateDownwardFiles(v.downwardApi.items, p.child("downwardAPI").child("items")));
    }
  });
  return { errs, names };
}

function jsonName(source: (typeof SOURCES)[number]): string {
  return source === "downwardApi" ? "downwardAPI" : source;
}

/** A projected volume's sources: exactly one kind each, the object they name, relative unique paths (validateProjectedVolumeSource). */
function validateProjections(sources: readonly VolumeProjection[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const addPath = (file: string, at: FieldPath): void => {
    if (file !== "" && paths.has(file)) errs.push(invalid(at, file, "conflicting duplicate paths"));
    paths.add(file);
  };
  sources.forEach((source, i) => {
    const p = path.index(i);
    const kinds = (["secret", "configMap", "downwardApi", "serviceAccountToken"] as const).filter((k) => source[k] !== undefined);
    if (kinds.length === 0) errs.push(required(p, "must specify exactly 1 of: `secret`, `configMap`, `downwardAPI`, `serviceAccountToken`"));
    for (const extra of kinds.slice(1)) errs.push(forbidden(p.child(extra === "downwardApi" ? "downwardAPI" : extra), "may not specify more than 1 volume type per source"));
    for (const key of ["secret", "configMap"] as const) {
      const named = source[key];
      if (!named) continue;
      if (named.name === "") errs.push(required(p.child(key).child("name"), ""));
      errs.push(...validateItems(named.items, p.child(key).child("items")));
      named.items.forEach((item, j) => addPath(item.path, p.child(key).child("items").index(j).child("path")));
    }
    if (source.downwardApi) {
      errs.push(...validateDownwardFiles(source.downwardApi.items, p.child("downwardAPI").child("items")));
      source.downwardApi.items.forEach((item, j) => addPath(item.path, p.child("downwardAPI").child("items").index(j).child("path")));
    }
    const token = source.serviceAccountToken;
    if (token) {
      const tp = p.child("serviceAccountToken");
      if (token.path === "") errs.push(required(tp.child("path"), ""));
      else errs.push(...validateRelativePath(token.path, tp.child("path")));
      if (token.expirationSeconds !== undefined && token.expirationSeconds < 600) errs.push(invalid(tp.child("expirationSeconds"), token.expirationSeconds, "may not specify a duration less than 10 minutes"));
      addPath(token.path, tp.child("path"));
    }
  });
  return errs;
}

/** Downward API files: a relative path and exactly one of fieldRef and resourceFieldRef. */
function validateDownwardFiles(items: readonly DownwardAPIVolumeFile[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  items.forEach((item, i) => {
    const p = path.index(i);
    if (item.path === "") errs.push(required(p.child("path"), ""));
    else errs.push(...validateRelativePath(item.path, p.child("path")));
    if (!item.fieldRef && !item.resourceFieldRef) errs.push(required(p, "one of `fieldRef` and `resourceFieldRef` is required"));
    if (item.fieldRef && item.resourceFieldRef) errs.push(invalid(p, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"));
    errs.push(...validateMode(item.mode, p.child("mode")));
  });
  return errs;
}

function validateRelativePath(file: string, path: FieldPath): FieldError[] {
  if (file.startsWith("/")) return [invalid(path, file, "must be a relative path")];
  if (file.split("/").includes("..")) return [invalid(path, file, "must not contain '..'")];
  return [];
}

function validateMode(mode: number | undefined, path: FieldPath): FieldError[] {
  if (mode === undefined || (mode >= 0 && mode <= 0o777)) return [];
  return [invalid(path, mode, "must be a number between 0 and 0777 (octal), both inclusive")];
}

function validateItems(items: readonly KeyToPath[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  items.forEach((item, i) => {
    const p = path.index(i);
    if (item.key === "") errs.push(required(p.child("key"), ""));
    if (item.path === "") errs.push(required(p.child("path"), ""));
    else if (item.path.startsWith("/")) errs.push(invalid(p.child("path"), item.path, "must be a relative path"));
    else if (item.path.split("/").includes("..")) errs.push(invalid(p.child("path"), item.path, "must not contain '..'"));
    errs.push(...validateMode(item.mode, p.child("mode")));
  });
  return errs;
}
