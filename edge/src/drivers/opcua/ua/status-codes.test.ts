// The StatusCode names written once from node-opcua-status-code stay equal to node-opcua's table.
import { describe, expect, it } from 'vitest';
import { isBad, statusCodeTable, statusName } from './status-codes.js';

describe('StatusCode names', () => {
  it("are node-opcua's, code for code", async () => {
    const { StatusCodes } = await import('node-opcua');
    const theirs = Object.entries(StatusCodes as unknown as Record<string, { value?: unknown; name?: unknown }>)
      .filter(([name, code]) => typeof code.value === 'number' && (code.value & 0xffff) === 0 && code.name === name)
      .map(([name, code]) => [code.value, name])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(statusCodeTable()).toEqual(theirs);
    expect(theirs.length).toBeGreaterThan(250);
  });

  it('name a code by its top 16 bits, and an unknown one in hex', () => {
    expect(statusName(0)).toBe('Good');
    expect(statusName(0x801f_0000)).toBe('BadUserAccessDenied');
    expect(statusName(0x4090_0000)).toBe('UncertainLastUsableValue');
    expect(statusName(0x0000_0480)).toBe('Good'); // InfoType DataValue + Overflow bits
    expect(statusName(0x80ff_0000)).toBe('0x80FF0000');
    expect([isBad(0x8000_0000), isBad(0xc000_0000), isBad(0x4000_0000), isBad(0)]).toEqual([true, true, false, false]);
  });
});
