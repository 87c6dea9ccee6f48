// `kpctl explain`: the fields of a kind, or of a field path, from the proto schema the apiserver decodes with.
import { apiFieldOption, fieldDocs, messageDescriptor } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { kindByName } from "../kind-args.js";
import type { Command } from "./command.js";

type MessageDesc = ReturnType<typeof messageDescriptor>;
type FieldDesc = MessageDesc["fields"][number];

// protobuf ScalarType numbers: double, float | int64, uint64, int32, fixed64, fixed32, uint32, sfixed32, sfixed64, sint32, sint64 | bool | bytes.
const NUMBER_SCALARS = new Set([1, 2]);
const INTEGER_SCALARS = new Set([3, 4, 5, 6, 7, 13, 15, 16, 17, 18]);

function scalarName(field: FieldDesc, scalar: number | undefined): string {
  if (apiFieldOption(field, "int_or_string") === true) return "IntOrString";
  if (apiFieldOption(field, "quantity") === true) return "Quantity";
  if (scalar === undefined) return "string";
  if (NUMBER_SCALARS.has(scalar)) return "number";
  if (INTEGER_SCALARS.has(scalar)) return "integer";
  if (scalar === 8) return "boolean";
  if (scalar === 12) return "[]byte";
  return "string";
}

function messageName(m: MessageDesc): string {
  if (m.typeName === "google.protobuf.Struct" || m.typeName === "google.protobuf.Value") return "Object";
  if (m.typeName === "google.protobuf.ListValue") return "[]Object";
  return m.name;
}

/** The field's message, if it is one kubectl would descend into. */
function nested(field: FieldDesc): MessageDesc | undefined {
  const m = field.message;
  return m && !m.typeName.startsWith("google.protobuf.") && !(field.fieldKind === "map" && field.mapKind !== "message") ? m : undefined;
}

/** kubectl's type text: `<string>`, `<[]Container>`, `<map[string]string>`, `<Object>`. */
export function typeText(field: FieldDesc): string {
  const element = (): string => (field.message ? messageName(field.message) : field.enum ? "string" : scalarName(field, field.scalar));
  switch (field.fieldKind) {
    case "list":
      return `[]${element()}`;
    case "map":
      return `map[string]${field.mapKind === "message" && field.message ? messageName(field.message) : field.mapKind === "enum" ? "string" : scalarName(field, field.scalar)}`;
    default:
      return element();
  }
}

/** A comment as kubectl indents descriptions. */
function indented(text: string, indent: string): string[] {
  return text.split("\n").map((l) => (l ? `${indent}${l}` : ""));
}

function fieldDoc(m: MessageDesc, f: FieldDesc): string | undefined {
  return fieldDocs[m.typeName]?.[f.jsonName] ?? (f.message ? fieldDocs[f.message.typeName]?.[""] : undefined);
}

function fieldLines(m: MessageDesc, indent: string, recursive: boolean, seen: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const f of m.fields) {
    out.push(`${indent}${f.jsonName}\t<${typeText(f)}>`);
    if (!recursive) {
      if (f.enum) out.push(`${indent}enum: ${f.enum.values.map((v) => v.name).join(", ")}`);
      out.push(...indented(fieldDoc(m, f) ?? "<no description>", `${indent}  `), "");
    }
    const child = nested(f);
    // A recursive type (JSONSchemaProps-like) would never end: each message once per branch.
    if (recursive && child && !seen.has(child.typeName)) out.push(...fieldLines(child, `${indent}  `, true, new Set([...seen, child.typeName])));
  }
  return out;
}

export const explainCommand: Command = {
  name: "explain",
  summary: "Describe fields and structure of various resources.\nFields are named by path, TYPE.FIELD.FIELD; types and descriptions come from the proto schema the apiserver decodes objects with.",
  usage: "kpctl explain TYPE[.FIELD...] [--recursive] [--api-version=VERSION]",
  examples: ["  # The fields of a pod", "  kpctl explain pods", "", "  # A container's fields, and every field below a pod's spec", "  kpctl explain pods.spec.containers", "  kpctl explain pod.spec --recursive"].join("\n"),
  flags: [
    { name: "recursive", type: "boolean", description: "Print the fields of fields, all the way down, as an indented tree (types only)." },
    { name: "api-version", type: "string", description: "The group/version of the resource (each kind is served at one version here)." },
  ],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError("you must specify the type of resource to explain");
    const [resource, ...path] = (ctx.args[0] as string).split(".");
    const info = kindByName(resource as string);
    const version = ctx.flags.string("api-version");
    if (version && version !== info.apiVersion) throw new KpctlError(`couldn't find resource for "${resource}" in version ${version} (it is served as ${info.apiVersion})`, "EUNKNOWNKIND");
    let message: MessageDesc = messageDescriptor(info.typeName);
    let field: FieldDesc | undefined;
    let description = fieldDocs[message.typeName]?.[""];
    for (const [i, name] of path.entries()) {
      const parent: MessageDesc = message;
      field = message.fields.find((f) => f.jsonName === name);
      if (!field) throw new KpctlError(`field "${name}" does not exist`, "ENOFIELD");
      description = fieldDoc(parent, field);
      const child = nested(field);
      if (!child) {
        if (i < path.length - 1) throw new KpctlError(`field "${path[i + 1]}" does not exist: ${name} is a <${typeText(field)}>`, "ENOFIELD");
        break;
      }
      message = child;
    }
    const recursive = ctx.flags.boolean("recursive");
    const lines = [`KIND:       ${info.kind}`, `VERSION:    ${info.apiVersion}`, ""];
    if (field) lines.push(`FIELD: ${field.jsonName} <${typeText(field)}>`, "");
    if (description) lines.push("DESCRIPTION:", ...indented(description, "    "), "");
    if (field?.enum) lines.push("ENUM:", ...field.enum.values.map((v) => `    ${v.name}`), "");
    if (!field || nested(field)) lines.push("FIELDS:", ...fieldLines(message, "  ", recursive, new Set([message.typeName])));
    ctx.out(`${lines.join("\n").replace(/\n*$/, "")}\n`);
    return 0;
  },
};
