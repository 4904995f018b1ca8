import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';

const fields = (text: string) => {
  const r = parseCsv(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.records.map((x) => [x.line, ...x.fields]);
};

describe('parseCsv', () => {
  it('reads plain, quoted and escaped fields with their line numbers', () => {
    expect(fields('a,b\n1,"Phủ Lý, Hà Nam"\n"say ""hi""",\n')).toEqual([
      [1, 'a', 'b'],
      [2, '1', 'Phủ Lý, Hà Nam'],
      [3, 'say "hi"', ''],
    ]);
  });

  it('handles CRLF, a BOM, blank lines, a last line without newline and breaks inside quotes', () => {
    expect(fields('\uFEFFa,b\r\n\r\n"x\ny",2\r\nz,3')).toEqual([
      [1, 'a', 'b'],
      [3, 'x\ny', '2'],
      [5, 'z', '3'],
    ]);
  });

  it('keeps an empty quoted field', () => {
    expect(fields('""\n"",""\n')).toEqual([[1, ''], [2, '', '']]);
  });

  it.each([
    ['a,b"c\n', 1, 'a quote inside an unquoted field (column 2)'],
    ['a,"b"c\n', 1, 'text after a closing quote (column 2)'],
    ['a\n"never closed\n\n', 2, 'a quoted field is never closed'],
    ['a\nb\u0000c\n', 2, 'a NUL byte: this is not a text file'],
  ])('refuses %j at line %i', (text, line, message) => {
    expect(parseCsv(text)).toEqual({ ok: false, error: { code: 'IOC_ERR_CSV', line, message } });
  });

  it('never throws on random bytes', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['a', ',', '"', '\n', '\r', 'ệ', ' ', '\u0000', '1'];
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: Math.floor(rnd() * 40) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const r = parseCsv(text);
      if (r.ok) for (const rec of r.records) expect(rec.line).toBeGreaterThanOrEqual(1);
      else expect(r.error.code).toBe('IOC_ERR_CSV');
    }
  });
});
