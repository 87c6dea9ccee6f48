// Parses one line of a CRI log file: `<RFC 3339 nano time> <stdout|stderr> <F|P> <text>`.

export type LogStream = "stdout" | "stderr";

/** One physical line of a CRI log. `partial` (tag P) lines continue in the stream's next line. */
export interface CriLogLine {
  /** The timestamp exactly as written (RFC 3339 with nanoseconds). */
  time: string;
  stream: LogStream;
  partial: boolean;
  /** The text, without the line's newline. */
  content: Buffer;
}

const SPACE = 0x20;

/** Parses a line (without its trailing newline); undefined when it is not in CRI format. */
export function parseCriLogLine(line: Buffer): CriLogLine | undefined {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.toString("latin1", s1 + 1, s2);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  let s3 = line.indexOf(SPACE, s2 + 1);
  // A line with empty text may end right after its tag.
  if (s3 < 0) s3 = line.length;
  // The tag may carry more ':'-separated fields after the first; only F/P matters.
  const tag = line.toString("latin1", s2 + 1, s3).split(":")[0];
  if (tag !== "F" && tag !== "P") return undefined;
  return { time: line.toString("latin1", 0, s1), stream, partial: tag === "P", content: line.subarray(Math.min(s3 + 1, line.length)) };
}

/** True when the line ends a logical line (tag F); lines not in CRI format count as whole lines too. */
export function endsLogicalLine(line: Buffer): boolean {
  return parseCriLogLine(line)?.partial !== true;
}

/** Milliseconds since the epoch of a CRI timestamp (sub-millisecond digits dropped); NaN when unparseable. */
export function criTimeMillis(time: string): number {
  return Date.parse(time);
}
