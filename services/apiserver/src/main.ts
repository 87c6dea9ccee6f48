// Process entry of the apiserver: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { apiserverConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "apiserver", schema: apiserverConfig, run });
