// `kpctl annotate`: sets and removes annotations (KEY=VALUE, KEY-) on objects.
import type { Command } from "./command.js";
import { mapEditCommand } from "./metadata-map-edit.js";

export const annotateCommand: Command = mapEditCommand("annotations");
