// `kpctl version`: the client's version and the apiserver's.
import { UsageError } from "../args.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command } from "./command.js";

export const CLIENT_VERSION = "v0.1.0";

export const versionCommand: Command = {
  name: "version",
  summary: "Print the client and server version information.",
  usage: "kpctl version [flags] [options]",
  examples: ["  # Print the client and server versions", "  kpctl version"].join("\n"),
  flags: [
    { name: "client", type: "boolean", description: "If true, shows client version only (no server required)." },
    { name: "output", short: "o", type: "string", description: "One of 'yaml' or 'json'." },
  ],
  async run(ctx) {
    const output = ctx.flags.string("output");
    if (output !== undefined && output !== "yaml" && output !== "json") throw new UsageError(`--output must be 'yaml' or 'json'`);
    const clientVersion = { gitVersion: CLIENT_VERSION, platform: `${process.platform}/${process.arch}` };
    if (ctx.flags.boolean("client")) {
      ctx.out(output ? formatData({ clientVersion }, output) : `Client Version: ${CLIENT_VERSION}\n`);
      return 0;
    }
    if (!output) ctx.out(`Client Version: ${CLIENT_VERSION}\n`);
    const server = await ctx.client().version();
    if (output) ctx.out(formatData({ clientVersion, serverVersion: server }, output));
    else ctx.out(`Server Version: ${server.gitVersion}\n`);
    return 0;
  },
};
