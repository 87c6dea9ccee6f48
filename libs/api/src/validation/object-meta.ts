// ObjectMeta validation: names, namespace scope, labels, annotations, finalizers, owner references, immutability.
import { FieldPath, forbidden, invalid, required, tooLong, type FieldError } from "../field-errors.js";
import type { ObjectMeta } from "../gen/kubeplane/meta/v1/meta.js";
import { IMMUTABLE, validateLabelMap } from "./common.js";
import { dns1123LabelProblems, qualifiedNameProblems } from "./names.js";

/** Kubernetes' TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Checks a name (or a generateName prefix, when `prefix`), returning the problems (ValidateNameFunc). */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** Wraps a problems function as a NameValidator that strips generateName's trailing "-" as Kubernetes' maskTrailingDash. */
export function nameValidator(problems: (value: string) => string[]): NameValidator {
  return (name, prefix) => problems(prefix && name.length > 1 && name.endsWith("-") ? `${name.slice(0, -1)}a` : name);
}

/** Label keys must be qualified names; values at most 63 characters of [A-Za-z0-9_.-] with alphanumeric ends. */
export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  return validateLabelMap(labels, path);
}

/** Annotation keys must be qualified names (case-insensitively) and the total size at most 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const problem of qualifiedNameProblems(k.toLowerCase())) errs.push(invalid(path, k, problem));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** ValidateObjectMeta: name or generateName, namespace scope, labels, annotations, finalizers, ownerReferences. */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, validateName: NameValidator, path = FieldPath.root("metadata")): FieldError[] {
  if (!meta) return [required(path, "")];
  const errs: FieldError[] = [];
  if (meta.generateName !== "") {
    for (const problem of validateName(meta.generateName, true)) errs.push(invalid(path.child("generateName"), meta.generateName, problem));
  }
  if (meta.name === "") {
    if (meta.generateName === "") errs.push(required(path.child("name"), "name or generateName is required"));
  } else {
    for (const problem of validateName(meta.name, false)) errs.push(invalid(path.child("name"), meta.name, problem));
  }
  if (namespaced) {
    if (meta.namespace === "") errs.push(required(path.child("namespace"), ""));
    else for (const problem of dns1123LabelProblems(meta.namespace)) errs.push(invalid(path.child("namespace"), meta.namespace, problem));
  } else if (meta.namespace !== "") {
    errs.push(forbidden(path.child("namespace"), "not allowed on this type"));
  }
  if (meta.generation < 0) errs.push(invalid(path.child("generation"), meta.generation, "must be greater than or equal to 0"));
  errs.push(...validateLabels(meta.labels, path.child("labels")));
  errs.push(...validateAnnotations(meta.annotations, path.child("annotations")));
  errs.push(...validateFinalizers(meta.finalizers, path.child("finalizers")));
  errs.push(...validateOwnerReferences(meta, path.child("ownerReferences")));
  return errs;
}

/** Finalizer names are qualified names and unique. */
export function validateFinalizers(finalizers: readonly string[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const f of finalizers) {
    for (const problem of qualifiedNameProblems(f)) errs.push(invalid(path, f, problem));
    if (seen.has(f)) errs.push({ type: "FieldValueDuplicate", field: String(path), value: f, detail: "" });
    seen.add(f);
  }
  return errs;
}

function validateOwnerReferences(meta: ObjectMeta, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let controllers = 0;
  for (const ref of meta.ownerReferences) {
    if (ref.apiVersion === "") errs.push(invalid(path.child("apiVersion"), ref.apiVersion, "version must not be empty"));
    if (ref.kind === "") errs.push(invalid(path.child("kind"), ref.kind, "kind must not be empty"));
    if (ref.name === "") errs.push(invalid(path.child("name"), ref.name, "name must not be empty"));
    if (ref.uid === "") errs.push(invalid(path.child("uid"), ref.uid, "uid must not be empty"));
    if (ref.controller === true) controllers++;
  }
  if (controllers > 1) errs.push(invalid(path, meta.ownerReferences, "Only one reference can have Controller set to true"));
  return errs;
}

/** ValidateObjectMetaUpdate: the new metadata is valid and name, namespace, uid, creationTimestamp are unchanged. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path = FieldPath.root("metadata")): FieldError[] {
  if (!meta || !old) return [];
  const errs: FieldError[] = [];
  const fields = ["name", "namespace", "uid", "creationTimestamp"] as const;
  for (const f of fields) {
    // An empty uid/creationTimestamp in the update means "as stored"; the apiserver fills it in.
    if ((f === "uid" || f === "creationTimestamp") && meta[f] === "") continue;
    if (meta[f] !== old[f]) errs.push(invalid(path.child(f), meta[f], IMMUTABLE));
  }
  if (old.deletionTimestamp !== "" && meta.deletionTimestamp !== "" && meta.deletionTimestamp !== old.deletionTimestamp) {
    errs.push(invalid(path.child("deletionTimestamp"), meta.deletionTimestamp, IMMUTABLE));
  }
  return errs;
}
