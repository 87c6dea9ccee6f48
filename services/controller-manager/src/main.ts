// Process entry of the controller-manager: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { controllerManagerConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "controller-manager", schema: controllerManagerConfig, run });
