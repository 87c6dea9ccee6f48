// Go's text/tabwriter column-block alignment, which kubectl's tables and describe output rely on.

export interface TabWriterOptions {
  minWidth: number;
  padding: number;
}

/** kubectl's table writer: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0). */
export const TABLE_TABS: TabWriterOptions = { minWidth: 6, padding: 3 };
/** kubectl's describe writer: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export const DESCRIBE_TABS: TabWriterOptions = { minWidth: 0, padding: 2 };

/**
 * Aligns tab-separated cells. As in Go, a column is a block of consecutive lines that all have a
 * tab-terminated cell at that index; the text after a line's last tab is never padded.
 */
export function alignTabs(lines: readonly string[], opts: TabWriterOptions): string[] {
  const cells = lines.map((l) => l.split("\t"));
  const widths = cells.map((c) => new Array<number>(Math.max(0, c.length - 1)).fill(0));

  const format = (start: number, end: number, col: number): void => {
    let i = start;
    while (i < end) {
      if ((cells[i] as string[]).length - 1 <= col) {
        i++;
        continue;
      }
      let j = i;
      let width = opts.minWidth;
      while (j < end && (cells[j] as string[]).length - 1 > col) {
        width = Math.max(width, ((cells[j] as string[])[col] as string).length + opts.padding);
        j++;
      }
      for (let k = i; k < j; k++) (widths[k] as number[])[col] = width;
      format(i, j, col + 1);
      i = j;
    }
  };
  format(0, cells.length, 0);

  return cells.map((c, li) =>
    c.map((cell, ci) => (ci < c.length - 1 ? cell.padEnd((widths[li] as number[])[ci] as number) : cell)).join(""),
  );
}
