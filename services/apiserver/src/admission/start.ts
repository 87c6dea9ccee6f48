// Builds the apiserver's admission chain from its config: the enabled plugins in order, over the Registry.
import type { Registry as MetricsRegistry } from "prom-client";
import { ServiceStartError, type Logger } from "@kubeplane/service-kit";
import type { ApiserverConfig } from "../config.js";
import type { Registry } from "../registry.js";
import { AdmissionChain } from "./chain.js";
import { createAdmissionMetrics } from "./metrics.js";
import { enabledAdmissionPlugins, newAdmissionPlugins, UnknownAdmissionPluginError } from "./plugins.js";
import type { NamespaceSource } from "./plugins/namespace-lifecycle.js";
import { RegistryAdmissionStore } from "./store.js";

export interface AdmissionSetup {
  config: ApiserverConfig;
  /** The Registry the chain will run in, resolved lazily (it is built with the chain). */
  registry: () => Registry;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Whether ServiceAccount tokens are issued (a signing key is configured). */
  serviceAccountTokens: boolean;
}

/** The chain of `--enable-admission-plugins` / `--disable-admission-plugins`; an unknown name stops the start. */
export function newAdmissionChain(setup: AdmissionSetup): AdmissionChain {
  let names: string[];
  try {
    names = enabledAdmissionPlugins(setup.config.enableAdmissionPlugins, setup.config.disableAdmissionPlugins);
  } catch (err) {
    if (err instanceof UnknownAdmissionPluginError) throw new ServiceStartError(err.message, { cause: err });
    throw err;
  }
  const namespaces: NamespaceSource = {
    tryGet: (info, namespace, name) => setup.registry().tryGet(info, namespace, name),
    list: (info, params) => setup.registry().list(info, params),
    get store() {
      return setup.registry().store;
    },
  };
  const store = new RegistryAdmissionStore(setup.registry);
  const plugins = newAdmissionPlugins(names, { store, namespaces, config: setup.config, logger: setup.logger, serviceAccountTokens: setup.serviceAccountTokens });
  setup.logger.info({ plugins: plugins.map((p) => p.name) }, "admission plugins enabled");
  return new AdmissionChain(plugins, store, createAdmissionMetrics(setup.metrics));
}
