// `kpctl create token SERVICEACCOUNT`: requests a ServiceAccount token (TokenRequest) and prints it, as kubectl create token.
import { UsageError, parseDuration } from "../args.js";
import type { CommandContext } from "./command.js";

/** The flags of `create token`, merged into `create`'s. */
export const CREATE_TOKEN_FLAGS = [
  { name: "duration", type: "string", description: "token: requested lifetime (e.g. 10m, 1h; at least 10m); 0 or unset: the server's default (1h)." },
  { name: "audience", type: "array", description: "token: an audience of the token (repeatable); default the apiserver's own." },
  { name: "bound-object-kind", type: "string", description: "token: kind of the object the token is bound to (Pod)." },
  { name: "bound-object-name", type: "string", description: "token: name of the object the token is bound to; the token dies with it." },
  { name: "bound-object-uid", type: "string", description: "token: uid of the bound object (checked by the apiserver)." },
] as const;

/** Runs `create token NAME` (args after `token`); prints the token and a newline. */
export async function createToken(ctx: CommandContext, args: readonly string[]): Promise<number> {
  const [name, ...extra] = args;
  if (!name) throw new UsageError("NAME is required: kpctl create token SERVICEACCOUNT");
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
  const durationText = ctx.flags.string("duration");
  const ms = durationText === undefined ? 0 : parseDuration(durationText);
  if (ms !== 0 && ms < 600_000) throw new UsageError("--duration must be at least 10m (the apiserver's minimum)");
  if (ms % 1000 !== 0) throw new UsageError("--duration must be a whole number of seconds");
  const kind = ctx.flags.string("bound-object-kind");
  const boundName = ctx.flags.string("bound-object-name");
  if ((kind === undefined) !== (boundName === undefined)) throw new UsageError("--bound-object-kind and --bound-object-name go together");
  if (kind !== undefined && kind !== "Pod") throw new UsageError(`supported --bound-object-kind values: Pod (not ${kind})`);
  const uid = ctx.flags.string("bound-object-uid");
  if (uid !== undefined && boundName === undefined) throw new UsageError("--bound-object-uid needs --bound-object-name");
  const client = ctx.client();
  if (!client.createToken) throw new UsageError("this client cannot request tokens");
  const { token } = await client.createToken(
    ctx.settings.namespace,
    name,
    {
      audiences: ctx.flags.strings("audience"),
      ...(ms ? { expirationSeconds: ms / 1000 } : {}),
      ...(boundName ? { boundPod: { name: boundName, ...(uid ? { uid } : {}) } } : {}),
    },
    ctx.io.signal,
  );
  ctx.out(`${token}\n`);
  return 0;
}
