import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCameraConfig } from './config.js';

const probeMinimal = { driver: 'camera', id: 'cams', cameras: [{ id: 'cam-1', host: '10.20.1.11' }] };
const nvrMinimal = {
  driver: 'camera',
  id: 'nvr-1',
  mode: 'opcua',
  endpoint: 'opc.tcp://10.20.0.2:4840',
  cameras: [{ id: 'cam-1', nodeId: 'ns=2;s=Camera1.Online' }],
};

function errorOf(raw: unknown): { code?: unknown; message: string } {
  try {
    parseCameraConfig(raw, 'inputs[2]');
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected parseCameraConfig to throw');
}

describe('parseCameraConfig', () => {
  it('applies the probe-mode defaults (RTSP on 554) and freezes the result', () => {
    const config = parseCameraConfig(probeMinimal, 'inputs[2]');
    if (config.mode !== 'probe') throw new Error('expected probe mode');
    expect(config).toEqual({
      driver: 'camera',
      id: 'cams',
      mode: 'probe',
      intervalMs: 30_000,
      missedHeartbeats: 3,
      timeoutMs: 3000,
      concurrency: 16,
      cameras: [{ id: 'cam-1', target: { kind: 'rtsp', host: '10.20.1.11', port: 554 } }],
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cameras[0]?.target)).toBe(true);
  });

  it('reads each probe kind', () => {
    const config = parseCameraConfig(
      {
        ...probeMinimal,
        cameras: [
          { id: 'a', probe: 'tcp', host: 'cam-a.local', port: 8554 },
          { id: 'b', probe: 'http', url: 'https://user:pw@10.0.0.9/status' },
          { id: 'c', probe: 'rtsp', host: 'fd00::12' },
        ],
      },
      'x',
    );
    if (config.mode !== 'probe') throw new Error('expected probe mode');
    expect(config.cameras.map((c) => c.target)).toEqual([
      { kind: 'tcp', host: 'cam-a.local', port: 8554 },
      { kind: 'http', url: 'https://user:pw@10.0.0.9/status' },
      { kind: 'rtsp', host: 'fd00::12', port: 554 },
    ]);
  });

  it('reads the NVR mode with the OPC-UA connection fields and their defaults', () => {
    const config = parseCameraConfig(nvrMinimal, 'inputs[2]');
    expect(config).toMatchObject({
      mode: 'opcua',
      endpoint: 'opc.tcp://10.20.0.2:4840',
      securityMode: 'None',
      pkiDir: 'pki/nvr-1',
      samplingIntervalMs: 1000,
      intervalMs: 30_000,
      missedHeartbeats: 3,
      cameras: [{ id: 'cam-1', nodeId: 'ns=2;s=Camera1.Online' }],
    });
  });

  it.each([
    [{ ...probeMinimal, mode: 'ping' }, "inputs[2].mode: must be one of 'probe', 'opcua'"],
    [{ ...probeMinimal, endpoint: 'opc.tcp://x:1' }, 'inputs[2].endpoint: unknown field (allowed: driver, id, mode, intervalMs, missedHeartbeats, cameras, timeoutMs, concurrency)'],
    [{ ...nvrMinimal, concurrency: 4 }, 'inputs[2].concurrency: unknown field'],
    [{ ...probeMinimal, missedHeartbeats: 0 }, 'inputs[2].missedHeartbeats: must be between 1 and 1000'],
    [{ ...probeMinimal, intervalMs: 1000, timeoutMs: 2000 }, 'inputs[2].timeoutMs: must not exceed intervalMs (1000)'],
    [{ ...probeMinimal, concurrency: 0 }, 'inputs[2].concurrency: must be between 1 and 256'],
    [{ ...probeMinimal, cameras: [] }, 'inputs[2].cameras: must have at least 1 item'],
    [{ ...probeMinimal, cameras: [{ id: 'Cam 1', host: 'h' }] }, 'inputs[2].cameras[0].id: "Cam 1" is not a valid id'],
    [{ ...probeMinimal, cameras: [{ id: 'c', host: 'rtsp://10.0.0.1' }] }, 'inputs[2].cameras[0].host: "rtsp://10.0.0.1" is not a host name'],
    [{ ...probeMinimal, cameras: [{ id: 'c' }] }, 'inputs[2].cameras[0].host: is required'],
    [{ ...probeMinimal, cameras: [{ id: 'c', host: 'h', port: 70000 }] }, 'inputs[2].cameras[0].port: must be between 1 and 65535'],
    [{ ...probeMinimal, cameras: [{ id: 'c', probe: 'onvif', host: 'h' }] }, "inputs[2].cameras[0].probe: must be one of 'tcp', 'rtsp', 'http'"],
    [{ ...probeMinimal, cameras: [{ id: 'c', probe: 'http', host: 'h' }] }, 'inputs[2].cameras[0].host: unknown field (allowed: id, probe, url)'],
    [{ ...probeMinimal, cameras: [{ id: 'c', probe: 'http', url: 'ftp://h/' }] }, 'inputs[2].cameras[0].url: "ftp://h/" is not an http:// or https:// URL'],
    [{ ...probeMinimal, cameras: [{ id: 'c', url: 'http://h/' }] }, 'inputs[2].cameras[0].url: unknown field (allowed: id, probe, host, port)'],
    [{ ...probeMinimal, cameras: [{ id: 'c', host: 'a' }, { id: 'c', host: 'b' }] }, 'inputs[2].cameras[1].id: camera c is listed twice'],
    [{ ...nvrMinimal, cameras: [{ id: 'c', nodeId: 'Camera1' }] }, 'inputs[2].cameras[0].nodeId: "Camera1" is not a NodeId'],
    [{ ...nvrMinimal, endpoint: undefined }, 'inputs[2].endpoint: is required'],
    [{ ...probeMinimal, driver: 'opcua' }, "inputs[2].driver: must be 'camera'"],
  ])('rejects %j naming the path', (raw, message) => {
    const err = errorOf(raw);
    expect(err.code).toBe('IOC_ERR_CONFIG');
    expect(err.message).toContain(message);
  });

  it('accepts its own sample.jsonc', () => {
    const text = readFileSync(new URL('./sample.jsonc', import.meta.url), 'utf8');
    const config = parseCameraConfig(JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')), 'inputs[0]');
    expect(config.cameras).toHaveLength(4);
  });
});
