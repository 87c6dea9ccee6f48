// `kpctl label`: sets and removes labels (KEY=VALUE, KEY-) on objects.
import type { Command } from "./command.js";
import { mapEditCommand } from "./metadata-map-edit.js";

export const labelCommand: Command = mapEditCommand("labels");
