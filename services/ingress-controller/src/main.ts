// Process entry of the ingress controller: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { ingressControllerConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "ingress-controller", schema: ingressControllerConfig, run });
