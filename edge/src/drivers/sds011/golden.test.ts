// Golden cases, telegraf `testcases/` style: testcases/<case>/{config.json, input.hex, expected.json}.
// Config + bytes in, readings and parser counters out; the bytes are fed whole and one at a time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSds011Config } from './config.js';
import { Sds011Parser } from './frame.js';
import { measurementToReadings } from './readings.js';

const CASES = fileURLToPath(new URL('./testcases/', import.meta.url));
/** The arrival time every golden reading carries: 2025-01-01T00:00:00Z. */
const TS = 1_735_689_600_000;

/** Hex with whitespace; `#` starts a comment. */
function readHex(path: string): Buffer {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(text, 'hex');
}

function run(caseDir: string, chunks: (bytes: Buffer) => Buffer[]): { readings: unknown[]; stats: unknown } {
  const config = parseSds011Config(JSON.parse(readFileSync(join(caseDir, 'config.json'), 'utf8')), 'inputs[0]');
  const parser = new Sds011Parser();
  const readings = chunks(readHex(join(caseDir, 'input.hex')))
    .flatMap((chunk) => parser.push(chunk))
    .flatMap((message) => (message.kind === 'measurement' ? measurementToReadings(message, config, TS) : []));
  return { readings, stats: parser.stats() };
}

describe('SDS011 golden cases', () => {
  const cases = readdirSync(CASES);

  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
  });

  for (const name of cases) {
    const dir = join(CASES, name);
    const expected: unknown = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));

    it(`${name}: whole input`, () => {
      expect(run(dir, (bytes) => [bytes])).toEqual(expected);
    });

    it(`${name}: one byte at a time`, () => {
      expect(run(dir, (bytes) => [...bytes].map((b) => Buffer.of(b)))).toEqual(expected);
    });
  }
});
