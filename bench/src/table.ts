/**
 * A benchmark's result: one table, our system beside the peer measured in the same run.
 * Benchmarks print; they never assert (speed targets are not test thresholds).
 */
export interface BenchTable {
  title: string;
  /** Column headers, e.g. ['system', 'msg/s', 'p99 ms']. */
  columns: string[];
  rows: (string | number)[][];
  /** Free-text lines printed under the table: the target, the ratio to the peer, the machine. */
  notes?: string[];
}

export interface Bench {
  /** Short name used on the command line: `npm run bench -- broker`. */
  name: string;
  description: string;
  run(): Promise<BenchTable[]>;
}

function cell(v: string | number): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
  return v;
}

/** Renders a table as GitHub-flavoured markdown, so results paste into a closing note as they are. */
export function renderTable(t: BenchTable): string {
  const rows = t.rows.map((r) => r.map(cell));
  const widths = t.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    `### ${t.title}`,
    '',
    line(t.columns),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    ...(t.notes?.length ? ['', ...t.notes] : []),
    '',
  ].join('\n');
}
