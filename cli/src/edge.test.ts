import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '@ioc/simulators';
import { listSerialPorts } from '@ioc/edge';
import { main } from './main.js';

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../edge');
let dir: string;
let pty: PtyPair;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-edge-cli-'));
  pty = await openPtyPair(dir);
});
afterAll(async () => {
  await pty.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ioc(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

/** A PMS5003 frame with atmospheric pm1 1, pm2.5 `pm25`, pm10 `pm25` + 10; checksum right unless told. */
function pmsFrame(pm25: number, badChecksum = false): Buffer {
  const frame = Buffer.alloc(32);
  frame.writeUInt16BE(0x424d, 0);
  frame.writeUInt16BE(28, 2);
  frame.writeUInt16BE(1, 10);
  frame.writeUInt16BE(pm25, 12);
  frame.writeUInt16BE(pm25 + 10, 14);
  let sum = 0;
  for (let i = 0; i < 30; i++) sum += frame[i] ?? 0;
  frame.writeUInt16BE((sum + (badChecksum ? 1 : 0)) & 0xffff, 30);
  return frame;
}

describe('ioc edge check', () => {
  it('accepts the shipped samples, YAML and JSON with comments', async () => {
    for (const sample of ['sample-config.yaml', 'sample-config.jsonc']) {
      const res = await ioc('edge', 'check', '--config', path.join(SAMPLES, sample));
      expect(res.err).toBe('');
      expect(res.code).toBe(0);
      expect(res.out).toContain(': OK — gateway gw-phu-ly-01 in site ha-nam-phu-ly; inputs: pms5003 pms-1, sds011 sds-1; broker mqtt://ioc.example.vn:1883; data dir /var/lib/ioc-edge; metrics http://127.0.0.1:9464/metrics');
    }
  });

  it('exits 1 naming the file and the path of the first problem', async () => {
    const file = path.join(dir, 'gw.yaml');
    writeFileSync(file, 'gateway: { site: ha-nam, id: gw-01 }\nmqtt: { url: "mqtt://x", password: s }\ninputs:\n  - { driver: pms5003, id: p, port: /dev/x, sensor: s, calibration: { pm25: { gain: "1.1" } } }\n');
    const res = await ioc('edge', 'check', '--config', file);
    expect(res.code).toBe(1);
    expect(res.err).toBe(`ioc edge: ${file}: inputs[0].calibration.pm25.gain: must be a finite number other than 0 [IOC_ERR_CONFIG]\n`);
  });
});

describe('ioc edge ports', () => {
  it('lists what the OS reports, and says so when there is nothing', async () => {
    const ports = await listSerialPorts();
    const json = await ioc('edge', 'ports', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(ports);
    const text = await ioc('edge', 'ports');
    if (ports.length === 0) expect(text.out).toMatch(/^No serial ports found\./);
    else for (const p of ports) expect(text.out).toContain(p.path);
  });
});

describe('ioc edge probe', () => {
  it('prints one JSON line per frame of a real port, bad frames with their code, and exits after N good ones', async () => {
    let out = '';
    let err = '';
    const running = main(['edge', 'probe', '--driver', 'pms5003', '--port', pty.hostPath, '--json', '--count', '3', '--set', 'emitCounts=false'], (s) => (out += s), (s) => (err += s));
    let done = false;
    void running.then(() => (done = true));
    const device = openSync(pty.devicePath, 'w');
    const lines = (): string[] => out.split('\n').filter(Boolean);
    /** Writes (every 100 ms: until the port is open, a frame may be lost) until `enough`. */
    const until = async (enough: () => boolean, write: () => void): Promise<void> => {
      for (let i = 0; i < 300 && !enough(); i++) {
        if (i % 10 === 0) write();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      await until(() => lines().length >= 1, () => writeSync(device, pmsFrame(70)));
      const before = lines().length;
      writeSync(device, pmsFrame(71, true));
      await until(() => lines().length > before, () => undefined);
      await until(() => done, () => writeSync(device, pmsFrame(72)));
      expect(await running).toBe(0);
    } finally {
      closeSync(device);
    }
    expect(err).toBe('');
    const events = lines().map((l) => JSON.parse(l) as { ok: boolean });
    expect(events.filter((e) => e.ok)).toHaveLength(3);
    expect(events[0]).toEqual({ ok: true, readings: [{ metric: 'pm1', value: 1, unit: 'µg/m³' }, { metric: 'pm25', value: 70, unit: 'µg/m³' }, { metric: 'pm10', value: 80, unit: 'µg/m³' }] });
    expect(events).toContainEqual({ ok: false, error: 'IOC_ERR_FRAME_CHECKSUM' });
    expect(events.at(-1)).toEqual({ ok: true, readings: [{ metric: 'pm1', value: 1, unit: 'µg/m³' }, { metric: 'pm25', value: 72, unit: 'µg/m³' }, { metric: 'pm10', value: 82, unit: 'µg/m³' }] });
  });

  it.each([
    [['--driver', 'pms5003'], 2, '--port PATH is required'],
    [['--port', '/dev/null'], 2, '--driver is required (pms5003'],
    [['--driver', 'pms5003', '--port', '/dev/ttyNOPE'], 1, '/dev/ttyNOPE does not exist; "ioc edge ports" lists the serial ports [IOC_ERR_PORT_NOT_FOUND]'],
    [['--driver', 'pms5003', '--port', '/dev/null', '--count', 'two'], 2, '--count: "two" is not a whole number'],
    [['--driver', 'pms5003', '--port', '/dev/null', '--set', 'mode=sleepy'], 1, 'probe.mode: must be one of'],
    [['--driver', 'pms9000', '--port', '/dev/null'], 1, 'unknown driver "pms9000"'],
  ])('refuses %j', async (args, code, message) => {
    const res = await ioc('edge', 'probe', ...args);
    expect(res.code).toBe(code);
    expect(res.err).toContain(message);
  });
});
