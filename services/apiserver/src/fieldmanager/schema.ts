// How structured-merge-diff sees a kind: each field a leaf, a struct, a granular map, or a list (associative, set or atomic), from the proto schema.
import { apiFieldOption, messageDescriptor } from "@kubeplane/api";

type DescMessage = ReturnType<typeof messageDescriptor>;
type DescField = DescMessage["fields"][number];

/** A schema node: what a value is and how its parts are named in a field set. */
export type SchemaNode =
  | { readonly kind: "leaf" }
  | { readonly kind: "struct"; readonly fields: readonly FieldPlan[]; readonly byJson: ReadonlyMap<string, FieldPlan> }
  | { readonly kind: "map"; readonly value: SchemaNode }
  /** A list whose elements are identified by the merge key (`k:{"name":"web"}`). */
  | { readonly kind: "associative"; readonly key: string; readonly keyLocal: string; readonly element: SchemaNode }
  /** A list of distinct scalars (`v:"a"`): patch strategy merge without a merge key. */
  | { readonly kind: "set" };

/** One field of a struct: its JSON name (the path element), its property name in decoded objects, and its node. */
export interface FieldPlan {
  readonly json: string;
  readonly local: string;
  /** proto3 implicit presence: the zero value means absent in a decoded object. */
  readonly implicit: boolean;
  readonly node: SchemaNode;
}

const LEAF: SchemaNode = { kind: "leaf" };

/** Messages Kubernetes declares atomic (`x-kubernetes-map-type: atomic`): owned as one field. */
const ATOMIC_MESSAGES = new Set(["kubeplane.meta.v1.LabelSelector"]);

const plans = new Map<string, SchemaNode>();

/** The schema node of a message type (cached; built once per type). */
export function schemaOf(typeName: string): SchemaNode {
  let plan = plans.get(typeName);
  if (!plan) plan = build(messageDescriptor(typeName), new Map());
  return plan;
}

function build(desc: DescMessage, building: Map<string, SchemaNode>): SchemaNode {
  const name = desc.typeName;
  const known = plans.get(name) ?? building.get(name);
  if (known) return known;
  if (name.startsWith("google.protobuf.") || ATOMIC_MESSAGES.has(name)) return LEAF;
  const fields: FieldPlan[] = [];
  const byJson = new Map<string, FieldPlan>();
  const node: SchemaNode = { kind: "struct", fields, byJson };
  building.set(name, node);
  for (const field of desc.fields) {
    const plan: FieldPlan = { json: field.jsonName, local: field.localName, implicit: isImplicitScalar(field), node: fieldNode(field, building) };
    fields.push(plan);
    byJson.set(plan.json, plan);
  }
  plans.set(name, node);
  return node;
}

function isImplicitScalar(field: DescField): boolean {
  // FieldPresence.IMPLICIT is 2.
  return (field.fieldKind === "scalar" || field.fieldKind === "enum") && (field as { presence?: number }).presence === 2;
}

function fieldNode(field: DescField, building: Map<string, SchemaNode>): SchemaNode {
  switch (field.fieldKind) {
    case "message":
      return build(field.message, building);
    case "map":
      return { kind: "map", value: field.mapKind === "message" ? build(field.message, building) : LEAF };
    case "list": {
      const mergeKey = String(apiFieldOption(field, "merge_key") ?? "");
      const merge = String(apiFieldOption(field, "patch_strategy") ?? "").split(",").includes("merge");
      if (field.listKind === "message") {
        const element = build(field.message, building);
        const keyPlan = element.kind === "struct" ? element.byJson.get(mergeKey) : undefined;
        if (mergeKey && keyPlan) return { kind: "associative", key: mergeKey, keyLocal: keyPlan.local, element };
        return LEAF;
      }
      return merge ? { kind: "set" } : LEAF;
    }
    default:
      return LEAF;
  }
}
