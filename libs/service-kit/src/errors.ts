// Named errors thrown by the service kit.

/** Where a configuration value came from. */
export type ConfigSource = "default" | "file" | "env" | "flag";

/**
 * Thrown by `loadConfig` when a value is missing, malformed or unknown. `key` is the schema key
 * (camelCase); the message names the key, where the value came from, and why it was refused.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly key: string,
    readonly source: ConfigSource,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration "${key}" (from ${source}): ${reason}`, options);
  }
}

/** Thrown by `loadConfig` when `--help` was given; `usage` is the text to print. */
export class HelpRequested extends Error {
  override readonly name = "HelpRequested";
  readonly code = "HELP_REQUESTED";
  constructor(readonly usage: string) {
    super("help requested");
  }
}

/** Thrown by `Service.start` when a listener cannot be bound or a credential cannot be read. */
export class ServiceStartError extends Error {
  override readonly name = "ServiceStartError";
  readonly code = "SERVICE_START_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
