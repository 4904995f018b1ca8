// Which reads one poll of a device makes: its registers grouped by function and merged into as few reads as
// possible, each a contiguous (or overlapping) run of at most maxRegistersPerRead registers.
import type { ModbusDeviceConfig, ModbusRegisterConfig } from './config.js';
import type { ReadFunction } from './frame.js';
import { registerCount } from './registers.js';

/** One register of the config and where its words sit in the block's response. */
export interface PlannedField {
  readonly register: ModbusRegisterConfig;
  /** Index of its first word in the block's registers. */
  readonly index: number;
}

/** One read request of a poll. */
export interface ReadBlock {
  readonly fn: ReadFunction;
  readonly address: number;
  readonly count: number;
  readonly fields: readonly PlannedField[];
}

/**
 * The reads of one poll, holding registers (03) first, then input registers (04), each in address order. Registers
 * are merged only when they touch or overlap: a gap could hold an address the device refuses (exception 02), which
 * would cost the whole read.
 */
export function planReads(device: Pick<ModbusDeviceConfig, 'registers' | 'maxRegistersPerRead'>): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of [3, 4] as const) {
    const registers = device.registers.filter((r) => r.function === fn).sort((a, b) => a.address - b.address);
    let run: ModbusRegisterConfig[] = [];
    let start = 0;
    let end = 0; // exclusive
    for (const register of registers) {
      const registerEnd = register.address + registerCount(register.type);
      const fits = run.length > 0 && register.address <= end && Math.max(end, registerEnd) - start <= device.maxRegistersPerRead;
      if (!fits) {
        if (run.length > 0) blocks.push(block(fn, start, end, run));
        run = [];
        start = register.address;
        end = registerEnd;
      }
      run.push(register);
      end = Math.max(end, registerEnd);
    }
    if (run.length > 0) blocks.push(block(fn, start, end, run));
  }
  return blocks;
}

function block(fn: ReadFunction, start: number, end: number, run: readonly ModbusRegisterConfig[]): ReadBlock {
  return { fn, address: start, count: end - start, fields: run.map((register) => ({ register, index: register.address - start })) };
}
