// `kpctl run NAME --image=…`: creates one pod, as kubectl run does (labels run=NAME, ports, env, restart policy, command or args).
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { keyValues } from "../pod-template.js";
import type { Command } from "./command.js";
import { createObject, OUTPUT_FLAG } from "./create-object.js";
import { DRY_RUN_FLAG } from "./shared-flags.js";

/** The pod `kpctl run` creates from its flags (before the namespace is filled in). */
export function podForRun(name: string, flags: { image: string; port?: string; env: string[]; labels: string[]; annotations: string[]; restart: string; command: boolean; pullPolicy?: string }, rest: string[]): JsonObject {
  const labels = flags.labels.length ? Object.fromEntries(keyValues(flags.labels, "--labels")) : { run: name };
  const container: Record<string, unknown> = { name, image: flags.image };
  if (rest.length) container[flags.command ? "command" : "args"] = rest;
  if (flags.port) {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`invalid --port ${flags.port}: must be 1-65535`);
    container.ports = [{ containerPort: port }];
  }
  if (flags.env.length) container.env = keyValues(flags.env, "--env").map(([k, v]) => ({ name: k, value: v }));
  if (flags.pullPolicy) container.imagePullPolicy = flags.pullPolicy;
  const metadata: Record<string, unknown> = { name, labels };
  if (flags.annotations.length) metadata.annotations = Object.fromEntries(keyValues(flags.annotations, "--annotations"));
  return { apiVersion: "v1", kind: "Pod", metadata, spec: { containers: [container], restartPolicy: flags.restart, dnsPolicy: "ClusterFirst" } };
}

export const runPodCommand: Command = {
  name: "run",
  summary: "Create and run a particular image in a pod.",
  usage: "kpctl run NAME --image=IMAGE [--env=KEY=VALUE] [--port=PORT] [--labels=K=V,...] [--restart=Always|OnFailure|Never] [--dry-run=client|server -o yaml] [--command] -- [COMMAND] [args...]",
  examples: [
    "  # A busybox pod that sleeps, with an env variable and a label",
    "  kpctl run sleeper --image=busybox:1.36 --env=MODE=test --labels=app=sleeper --command -- sleep 3600",
    "",
    "  # A web server pod on port 8080, restarted never; only print it",
    "  kpctl run web --image=busybox:1.36 --port=8080 --restart=Never --dry-run=client -o yaml -- httpd -f -p 8080",
  ].join("\n"),
  flags: [
    { name: "image", type: "string", description: "The image for the container to run." },
    { name: "port", type: "string", description: "The port that this container exposes." },
    { name: "env", type: "array", description: "Environment variables to set in the container (repeatable KEY=VALUE)." },
    { name: "labels", type: "strings", description: "Comma separated labels to apply to the pod (default run=NAME)." },
    { name: "annotations", type: "array", description: "Annotations to apply to the pod (repeatable KEY=VALUE)." },
    { name: "restart", type: "string", default: "Always", description: "The pod's restart policy: Always, OnFailure or Never." },
    { name: "image-pull-policy", type: "string", description: "The image pull policy for the container: Always, IfNotPresent or Never." },
    { name: "command", type: "boolean", description: "Use the extra arguments as the container's command rather than its args." },
    DRY_RUN_FLAG,
    OUTPUT_FLAG,
  ],
  async run(ctx) {
    const [name, ...rest] = ctx.args;
    if (!name) throw new UsageError("NAME is required for run");
    const image = ctx.flags.string("image");
    if (!image) throw new UsageError("--image is required");
    const restart = ctx.flags.string("restart") ?? "Always";
    if (!["Always", "OnFailure", "Never"].includes(restart)) throw new UsageError(`invalid restart policy: ${restart}`);
    const pod = podForRun(name, {
      image,
      port: ctx.flags.string("port"),
      env: ctx.flags.strings("env"),
      labels: ctx.flags.strings("labels"),
      annotations: ctx.flags.strings("annotations"),
      restart,
      command: ctx.flags.boolean("command"),
      pullPolicy: ctx.flags.string("image-pull-policy"),
    }, rest);
    await createObject(ctx, pod);
    return 0;
  },
};
