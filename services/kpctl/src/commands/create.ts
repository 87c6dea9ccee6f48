// `kpctl create -f FILE` and `kpctl create deployment|configmap|secret generic|tls|namespace|serviceaccount NAME`: create objects, failing if they exist; `create token` prints a ServiceAccount token.
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure } from "../errors.js";
import { str } from "../json-fields.js";
import { loadManifests } from "../manifests.js";
import { manifestKind } from "../object-targets.js";
import { objectRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { createObject, OUTPUT_FLAG } from "./create-object.js";
import { CREATE_TOKEN_FLAGS, createToken } from "./create-token.js";
import { CREATE_RBAC_FLAGS, rbacObjectFor } from "./create-rbac.js";
import { configMapFor, deploymentFor, genericSecretFor, namespaceFor, serviceAccountFor, tlsSecretFor, type DataSources } from "./create-generators.js";
import { dryRunMode, DRY_RUN_FLAG, FILENAME_FLAG, RECURSIVE_FLAG, withNamespace } from "./shared-flags.js";

async function createFromManifest(ctx: CommandContext, object: JsonObject, source: string): Promise<string> {
  const info = manifestKind(object, source);
  const dryRun = dryRunMode(ctx.flags);
  const ref = objectRef(info, str(object, "metadata", "name"));
  if (dryRun === "client") return `${ref} created (dry run)`;
  await ctx.client().json.create(info, withNamespace(ctx, info, object), { dryRun: dryRun === "server", signal: ctx.io.signal });
  return `${ref} created${dryRun === "server" ? " (server dry run)" : ""}`;
}

function sources(ctx: CommandContext): DataSources {
  return { fromLiteral: ctx.flags.strings("from-literal"), fromFile: ctx.flags.strings("from-file"), fromEnvFile: ctx.flags.strings("from-env-file") };
}

function intFlag(ctx: CommandContext, name: string): number | undefined {
  const v = ctx.flags.string(name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: must be a non-negative integer`);
  return Number(v);
}

/** The object a `create SUBCOMMAND NAME` line builds. */
async function generate(ctx: CommandContext): Promise<JsonObject> {
  const [what, ...rest] = ctx.args;
  const secretType = what === "secret" ? rest.shift() : undefined;
  const [name, ...command] = rest;
  if (!name) throw new UsageError(`NAME is required: kpctl create ${what ?? "TYPE"}${secretType ? ` ${secretType}` : ""} NAME`);
  const extra = (): void => {
    if (command.length) throw new UsageError(`unexpected arguments: ${command.join(" ")}`);
  };
  const rbac = rbacObjectFor(ctx, what ?? "", name);
  if (rbac) {
    extra();
    return rbac;
  }
  switch (what) {
    case "deployment":
    case "deploy":
      return deploymentFor(name, ctx.flags.strings("image"), intFlag(ctx, "replicas") ?? 1, intFlag(ctx, "port"), command);
    case "configmap":
    case "cm":
      extra();
      return configMapFor(name, sources(ctx));
    case "secret":
      extra();
      if (secretType === "generic") return genericSecretFor(name, sources(ctx), ctx.flags.string("type") ?? "Opaque");
      if (secretType === "tls") return tlsSecretFor(name, ctx.flags.string("cert"), ctx.flags.string("key"));
      throw new UsageError(`unknown secret type "${secretType ?? ""}": use kpctl create secret generic|tls NAME`);
    case "namespace":
    case "ns":
      extra();
      return namespaceFor(name);
    case "serviceaccount":
    case "sa":
      extra();
      return serviceAccountFor(name);
  }
  throw new UsageError(`unknown object "${what ?? ""}": use kpctl create deployment|configmap|secret generic|secret tls|namespace|serviceaccount|role|clusterrole|rolebinding|clusterrolebinding NAME, or kpctl create -f FILENAME`);
}

export const createCommand: Command = {
  name: "create",
  summary: "Create a resource from a file or from stdin, or one built from flags.\nSubcommands: deployment, configmap, secret generic, secret tls, namespace, serviceaccount, token, role, clusterrole, rolebinding, clusterrolebinding.",
  usage: "kpctl create (-f FILENAME | deployment NAME --image=IMAGE | configmap NAME --from-literal=K=V | secret generic|tls NAME | namespace NAME | serviceaccount NAME | token SERVICEACCOUNT [--duration=D] [--audience=A]) [--dry-run=client|server -o yaml] [options]",
  examples: [
    "  # Create the objects of a manifest, or of every manifest below a directory",
    "  kpctl create -f ./pod.yaml",
    "  kpctl create -f ./manifests -R",
    "",
    "  # A deployment of 3 busybox replicas, and a namespace",
    "  kpctl create deployment web --image=busybox:1.36 --replicas=3 -- httpd -f -p 8080",
    "  kpctl create namespace team-a",
    "",
    "  # A configmap from literals and a file; a secret; only print it",
    "  kpctl create configmap app --from-literal=mode=prod --from-file=config.json",
    "  kpctl create secret generic db --from-literal=password=s3cret --dry-run=client -o yaml",
    "  kpctl create secret tls web-tls --cert=tls.crt --key=tls.key",
    "",
    "  # A token of ServiceAccount build for 10 minutes, for another audience",
    "  kpctl create token build --duration=10m --audience=https://vault.example.com",
    "",
    "  # RBAC: a role reading pods, and alice bound to the view ClusterRole in namespace team",
    "  kpctl create role pod-reader --verb=get,list,watch --resource=pods",
    "  kpctl create rolebinding alice-view --clusterrole=view --user=alice -n team",
  ].join("\n"),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    DRY_RUN_FLAG,
    OUTPUT_FLAG,
    { name: "image", type: "array", description: "deployment: the image of a container (repeat for several containers)." },
    { name: "replicas", type: "string", description: "deployment: the number of replicas (default 1)." },
    { name: "port", type: "string", description: "deployment: the port the container exposes." },
    { name: "from-literal", type: "array", description: "configmap, secret generic: a KEY=VALUE pair (repeatable)." },
    { name: "from-file", type: "array", description: "configmap, secret generic: a file (key: its name), KEY=FILE, or a directory (each file) (repeatable)." },
    { name: "from-env-file", type: "array", description: "configmap, secret generic: a file of KEY=VALUE lines (repeatable)." },
    { name: "type", type: "string", description: "secret generic: the secret's type (default Opaque)." },
    { name: "cert", type: "string", description: "secret tls: the PEM certificate file." },
    { name: "key", type: "string", description: "secret tls: the PEM private key file." },
    ...CREATE_TOKEN_FLAGS,
    ...CREATE_RBAC_FLAGS,
  ],
  async run(ctx) {
    const files = ctx.flags.strings("filename");
    if (files.length === 0) {
      if (ctx.args[0] === "token") return createToken(ctx, ctx.args.slice(1));
      await createObject(ctx, await generate(ctx));
      return 0;
    }
    if (ctx.args.length) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
    let failed = false;
    for (const { object, source } of await loadManifests(files, ctx.io.stdin, { recursive: ctx.flags.boolean("recursive") })) {
      try {
        ctx.out(`${await createFromManifest(ctx, object, source)}\n`);
      } catch (err) {
        if (isConnectionFailure(err)) throw err;
        failed = true;
        ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
