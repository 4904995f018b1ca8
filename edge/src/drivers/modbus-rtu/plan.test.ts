import { describe, expect, it } from 'vitest';
import type { ModbusRegisterConfig } from './config.js';
import { planReads } from './plan.js';
import type { RegisterType } from './registers.js';

const reg = (metric: string, fn: 3 | 4, address: number, type: RegisterType = 'uint16'): ModbusRegisterConfig => ({
  metric,
  function: fn,
  address,
  type,
  wordOrder: 'big',
  scale: 1,
  offset: 0,
});

const shape = (registers: ModbusRegisterConfig[], maxRegistersPerRead = 125): unknown =>
  planReads({ registers, maxRegistersPerRead }).map((b) => [b.fn, b.address, b.count, b.fields.map((f) => `${f.register.metric}@${f.index}`)]);

describe('planReads', () => {
  it('merges touching registers of one function into one read, in address order', () => {
    const registers = [reg('temperature', 3, 1, 'int16'), reg('humidity', 3, 0), reg('rainfall', 3, 2, 'float32')];
    expect(shape(registers)).toEqual([[3, 0, 4, ['humidity@0', 'temperature@1', 'rainfall@2']]]);
  });

  it('keeps holding and input registers apart, and never reads across a gap', () => {
    const registers = [reg('co', 4, 0, 'float32'), reg('no2', 4, 2, 'float32'), reg('humidity', 3, 0), reg('pressure', 3, 5)];
    expect(shape(registers)).toEqual([
      [3, 0, 1, ['humidity@0']],
      [3, 5, 1, ['pressure@0']],
      [4, 0, 4, ['co@0', 'no2@2']],
    ]);
  });

  it('lets two metrics share registers', () => {
    expect(shape([reg('wind_speed', 3, 10, 'uint32'), reg('wind_direction', 3, 11)])).toEqual([
      [3, 10, 2, ['wind_speed@0', 'wind_direction@1']],
    ]);
  });

  it('splits a run at maxRegistersPerRead without cutting a 32-bit value', () => {
    const registers = [reg('co', 3, 0, 'float32'), reg('no2', 3, 2, 'float32'), reg('so2', 3, 4, 'float32')];
    expect(shape(registers, 3)).toEqual([
      [3, 0, 2, ['co@0']],
      [3, 2, 2, ['no2@0']],
      [3, 4, 2, ['so2@0']],
    ]);
    const many = Array.from({ length: 130 }, (_, i) => reg(`m${i}`, 4, 100 + i));
    const blocks = planReads({ registers: many, maxRegistersPerRead: 125 });
    expect(blocks.map((b) => [b.address, b.count])).toEqual([
      [100, 125],
      [225, 5],
    ]);
  });
});
