// Process entry of the cloud-controller-manager: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { cloudControllerManagerConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "cloud-controller-manager", schema: cloudControllerManagerConfig, run });
