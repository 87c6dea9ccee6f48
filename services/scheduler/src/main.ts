// Process entry of the scheduler: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { schedulerConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "scheduler", schema: schedulerConfig, run });
