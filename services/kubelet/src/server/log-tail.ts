// Finds where the last N logical lines of a CRI log file begin, reading backwards from the end.
import type { FileHandle } from "node:fs/promises";
import { endsLogicalLine } from "./cri-log-line.js";

const BLOCK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The byte offset in `file` (of `size` bytes) where its last `lines` logical lines start: partial
 * (P) lines count with the full (F) line that ends them, and an unterminated last line is included
 * but not counted. Reads only the blocks at the end that hold those lines. `lines` 0 gives `size`.
 */
export async function tailStartOffset(file: FileHandle, size: number, lines: number): Promise<number> {
  if (lines <= 0) return size;
  let bufStart = size;
  let buf = Buffer.alloc(0);
  let lineEnd = -1; // file offset of the newline ending the line being scanned; -1 for the unterminated tail
  let counted = 0;
  const countLine = (from: number): boolean => {
    if (lineEnd < 0) return false;
    const line = buf.subarray(from - bufStart, lineEnd - bufStart);
    return endsLogicalLine(line) && ++counted === lines + 1;
  };
  while (bufStart > 0) {
    const n = Math.min(BLOCK, bufStart);
    const block = Buffer.alloc(n);
    await file.read(block, 0, n, bufStart - n);
    buf = Buffer.concat([block, buf]);
    bufStart -= n;
    for (let i = n - 1; i >= 0; i--) {
      if (buf[i] !== NEWLINE) continue;
      const offset = bufStart + i;
      // The line after this newline is complete: the (lines+1)-th logical end from the end is where output starts after.
      if (countLine(offset + 1)) return lineEnd + 1;
      lineEnd = offset;
    }
  }
  return countLine(0) ? lineEnd + 1 : 0;
}
