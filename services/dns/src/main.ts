// Process entry of the dns: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { dnsConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "dns", schema: dnsConfig, run });
