// The error a plugin factory throws for invalid args in the scheduler configuration.

/** Thrown by a plugin factory when the profile's args are invalid, so the scheduler refuses to start. */
export class InvalidPluginArgsError extends Error {
  readonly code = "INVALID_PLUGIN_ARGS";
  constructor(plugin: string, message: string) {
    super(`${plugin} args: ${message}`);
    this.name = "InvalidPluginArgsError";
  }
}
