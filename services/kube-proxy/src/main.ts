// Process entry of the kube-proxy: parses configuration and runs it until SIGTERM.
import { runMain } from "@kubeplane/service-kit";
import { kubeProxyConfig } from "./config.js";
import { run } from "./index.js";

await runMain({ name: "kube-proxy", schema: kubeProxyConfig, run });
