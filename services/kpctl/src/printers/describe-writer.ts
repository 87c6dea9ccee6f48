// Builds kubectl-describe text: indented `Key:\tvalue` lines, aligned by Go's tabwriter rules at the end.
import { isRecord } from "../json-fields.js";
import { alignTabs, DESCRIBE_TABS } from "./tab-writer.js";

/** Collects lines; `toString()` aligns them. Level n indents by 2n spaces, as kubectl's prefix writer. */
export class DescribeWriter {
  private readonly lines: string[] = [];

  line(level: number, ...cells: string[]): void {
    this.lines.push(`${"  ".repeat(level)}${cells.join("\t")}`);
  }

  /** `Labels:  a=1` then one aligned line per further entry; `<none>` when empty. */
  map(level: number, key: string, m: Record<string, unknown>, skip: (k: string) => boolean = () => false): void {
    const entries = Object.entries(m).filter(([k]) => !skip(k)).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) {
      this.line(level, `${key}:`, "<none>");
      return;
    }
    entries.forEach(([k, v], i) => this.line(level, i === 0 ? `${key}:` : "", `${k}=${String(v)}`));
  }

  /** A generic rendering of any JSON value: nested maps indent, lists of maps show `-` items. */
  value(level: number, key: string, v: unknown): void {
    if (isRecord(v)) {
      if (Object.keys(v).length === 0) {
        this.line(level, `${key}:`, "<none>");
        return;
      }
      this.line(level, `${key}:`);
      for (const [k, child] of Object.entries(v)) this.value(level + 1, capitalize(k), child);
    } else if (Array.isArray(v)) {
      if (v.length === 0) this.line(level, `${key}:`, "<none>");
      else if (v.every((x) => !isRecord(x) && !Array.isArray(x))) this.line(level, `${key}:`, v.map(String).join(", "));
      else {
        this.line(level, `${key}:`);
        for (const item of v) {
          if (isRecord(item)) {
            const entries = Object.entries(item);
            entries.forEach(([k, child], i) => {
              if (i === 0 && !isRecord(child) && !Array.isArray(child)) this.line(level + 1, `- ${capitalize(k)}:`, String(child));
              else this.value(level + 2, capitalize(k), child);
            });
          } else this.value(level + 1, "-", item);
        }
      }
    } else this.line(level, `${key}:`, v === undefined || v === null || v === "" ? "<none>" : String(v));
  }

  toString(): string {
    return alignTabs(this.lines, DESCRIBE_TABS).map((l) => `${l.trimEnd()}\n`).join("");
  }
}

/** `podIP` → `Pod IP`-ish headings as kubectl's generic describer prints field names. */
export function capitalize(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
