// Output of CLI verbs: a table for people, JSON (`-o json`) for scripts.

export type OutputFormat = 'table' | 'json';

/** Prints `rows` as a table of `columns`, or the raw `data` as JSON. */
export function print(format: OutputFormat, data: unknown, rows: Record<string, unknown>[], columns: string[]): void {
  if (format === 'json') {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (value: unknown) => {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
    const flat = text.replace(/\s+/g, ' ');
    return flat.length > 60 ? flat.slice(0, 57) + '...' : flat;
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    [
      line(columns),
      line(widths.map((w) => '-'.repeat(w))),
      ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
    ].join('\n') + '\n',
  );
}

/** Reports what a verb did: a sentence for people, or `data` as JSON for scripts. */
export function report(format: OutputFormat, data: unknown, sentence: string): void {
  process.stdout.write(format === 'json' ? JSON.stringify(data, null, 2) + '\n' : sentence + '\n');
}

/** Parses the -o/--output option. */
export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table') return 'table';
  if (value === 'json') return 'json';
  throw new Error(`unknown output format "${value}": use table or json`);
}
