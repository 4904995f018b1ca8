/**
 * A strict RFC 4180 CSV reader that keeps, for every record, the line it starts on (1-based), so each
 * error can name its line and column. Accepts LF or CRLF, a UTF-8 BOM, quoted fields with "" escapes
 * and line breaks inside quotes. Rejects what a spreadsheet would silently mangle: a quote in the
 * middle of an unquoted field, text after a closing quote, an unterminated quote.
 */
export interface CsvRecord {
  /** Line of the file where the record starts. */
  line: number;
  fields: string[];
}

export interface CsvError {
  code: 'IOC_ERR_CSV';
  line: number;
  message: string;
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; error: CsvError };

export function parseCsv(text: string): CsvResult {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  /** The current field was quoted: `""` is an empty field, not an empty line. */
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const fail = (message: string): CsvResult => ({ ok: false, error: { code: 'IOC_ERR_CSV', line, message } });
  const endField = (): void => {
    fields.push(field);
    field = '';
    quoted = false;
  };
  const endRecord = (): void => {
    // A line with nothing on it is skipped, not a record of one empty field.
    const blank = fields.length === 0 && field === '' && !quoted;
    endField();
    if (!blank) records.push({ line: recordLine, fields });
    fields = [];
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') {
      if (field !== '' || quoted) return fail(`a quote inside an unquoted field (column ${fields.length + 1})`);
      const start = line;
      i += 1;
      for (;;) {
        if (i >= src.length) return { ok: false, error: { code: 'IOC_ERR_CSV', line: start, message: 'a quoted field is never closed' } };
        const q = src[i]!;
        if (q === '"') {
          if (src[i + 1] === '"') { field += '"'; i += 2; continue; }
          i += 1;
          break;
        }
        if (q === '\n') line += 1;
        field += q;
        i += 1;
      }
      const next = src[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') return fail(`text after a closing quote (column ${fields.length + 1})`);
      quoted = true;
      continue;
    }
    if (c === ',') { endField(); i += 1; continue; }
    if (c === '\r' && src[i + 1] === '\n') { i += 1; continue; }
    if (c === '\n' || c === '\r') {
      endRecord();
      line += 1;
      recordLine = line;
      i += 1;
      continue;
    }
    if (c === '\u0000') return fail('a NUL byte: this is not a text file');
    field += c;
    i += 1;
  }
  if (field !== '' || quoted || fields.length > 0) endRecord();
  return { ok: true, records };
}
