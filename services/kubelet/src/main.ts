// Process entry of the kubelet: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { kubeletConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "kubelet", schema: kubeletConfig, run });
