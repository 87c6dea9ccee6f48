// `kpctl rollout status|history|undo|pause|resume|restart deployment/NAME`: manage a Deployment's rollout.
import type { KindInfo } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { at } from "../json-fields.js";
import { resourceRequests } from "../kind-args.js";
import { objectRef, qualifiedResource } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { rolloutHistory, rolloutUndo } from "./rollout-history.js";
import { rolloutStatus } from "./rollout-status.js";

const SUBCOMMANDS = ["status", "history", "undo", "pause", "resume", "restart"] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

interface Target {
  info: KindInfo;
  name: string;
}

/** `deployment/web`, `deploy web`, `deployment a b`: the Deployments a subcommand acts on. */
function targets(sub: Subcommand, args: readonly string[]): Target[] {
  if (args.length === 0) throw new UsageError("required resource not specified");
  const out: Target[] = [];
  for (const { info, names } of resourceRequests(args)) {
    if (info.group !== "apps" || info.resource !== "deployments") {
      throw new KpctlError(`kpctl rollout ${sub} supports deployments only, not ${qualifiedResource(info)}`, "EUNSUPPORTEDKIND");
    }
    if (names.length === 0) throw new UsageError("resource(s) were provided, but no name was specified");
    out.push(...names.map((name) => ({ info, name })));
  }
  return out;
}

/** RFC 3339 to the second, as kubectl's time.Now().Format(time.RFC3339) in UTC. */
function rfc3339(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** pause/resume/restart: kubectl's ObjectPauser/Resumer/Restarter as a merge patch, after checking spec.paused. */
async function patchRollout(ctx: CommandContext, sub: "pause" | "resume" | "restart", { info, name }: Target): Promise<string> {
  const json = ctx.client().json;
  const namespace = ctx.settings.namespace;
  const paused = at(await json.get(info, namespace, name, { signal: ctx.io.signal }), "spec", "paused") === true;
  const refuse = (why: string): KpctlError => new KpctlError(`${qualifiedResource(info)} "${name}" ${why}`, "EROLLOUTSTATE");
  let patch: unknown;
  if (sub === "pause") {
    if (paused) throw refuse("is already paused");
    patch = { spec: { paused: true } };
  } else if (sub === "resume") {
    if (!paused) throw refuse("is not paused");
    patch = { spec: { paused: false } };
  } else {
    if (paused) throw refuse("can't restart paused deployment (run rollout resume first)");
    patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339(ctx.now()) } } } } };
  }
  await json.patch(info, namespace, name, patch, { signal: ctx.io.signal });
  return `${objectRef(info, name)} ${sub === "pause" ? "paused" : sub === "resume" ? "resumed" : "restarted"}`;
}

export const rolloutCommand: Command = {
  name: "rollout",
  summary: `Manage the rollout of a deployment.\nSubcommands: ${SUBCOMMANDS.join(", ")}.`,
  usage: "kpctl rollout SUBCOMMAND (deployment/NAME | deployment NAME) [options]",
  examples: [
    "  # Follow a rollout until it finishes (non-zero exit if it exceeds its progress deadline)",
    "  kpctl rollout status deployment/web --timeout=5m",
    "",
    "  # List the revisions, then show one",
    "  kpctl rollout history deployment/web",
    "  kpctl rollout history deployment/web --revision=2",
    "",
    "  # Roll back to the previous revision, or to revision 3",
    "  kpctl rollout undo deployment/web",
    "  kpctl rollout undo deployment/web --to-revision=3",
    "",
    "  # Pause, resume, and restart every pod of a deployment",
    "  kpctl rollout pause deployment/web",
    "  kpctl rollout resume deployment/web",
    "  kpctl rollout restart deployment/web",
  ].join("\n"),
  flags: [
    { name: "watch", short: "w", type: "boolean", default: true, description: "status: watch the rollout until it finishes; false shows the current status once." },
    { name: "timeout", type: "string", default: "0s", description: "status: how long to wait before giving up (e.g. 1s, 2m); 0 waits forever." },
    { name: "revision", type: "string", description: "status: fail unless the deployment runs this revision; history: show this revision's pod template." },
    { name: "to-revision", type: "string", default: "0", description: "undo: the revision to roll back to; 0 is the previous one." },
  ],
  async run(ctx) {
    const [sub, ...args] = ctx.args;
    if (!SUBCOMMANDS.includes(sub as Subcommand)) {
      throw new UsageError(sub ? `unknown rollout subcommand "${sub}"; one of: ${SUBCOMMANDS.join(", ")}` : `a subcommand is required: ${SUBCOMMANDS.join(", ")}`);
    }
    const subcommand = sub as Subcommand;
    const list = targets(subcommand, args);
    if (subcommand === "status") {
      const [only] = list;
      if (!only || list.length > 1) throw new UsageError("rollout status takes exactly one deployment");
      return rolloutStatus(ctx, only.info, only.name);
    }
    let failed = false;
    for (const target of list) {
      try {
        if (subcommand === "history") await rolloutHistory(ctx, target.info, target.name);
        else ctx.out(`${subcommand === "undo" ? await rolloutUndo(ctx, target.info, target.name) : await patchRollout(ctx, subcommand, target)}\n`);
      } catch (err) {
        if (isConnectionFailure(err)) throw err;
        failed = true;
        ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
