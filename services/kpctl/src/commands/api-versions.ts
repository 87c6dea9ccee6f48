// `kpctl api-versions`: the group/versions the apiserver serves, one a line, as kubectl prints them.
import { kindsList } from "@kubeplane/api";
import type { Command } from "./command.js";

export const apiVersionsCommand: Command = {
  name: "api-versions",
  summary: 'Print the supported API versions on the server, in the form of "group/version".',
  usage: "kpctl api-versions",
  examples: "  # Print the supported API versions\n  kpctl api-versions",
  flags: [],
  async run(ctx) {
    for (const v of [...new Set(kindsList.map((k) => k.apiVersion))].sort()) ctx.out(`${v}\n`);
    return 0;
  },
};
