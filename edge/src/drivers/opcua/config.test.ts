import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOpcuaConfig } from './config.js';

const node = { nodeId: 'ns=1;s=Station1.PM25', sensor: 'hn-st1', metric: 'pm25' };
const minimal = { driver: 'opcua', id: 'station-1', endpoint: 'opc.tcp://10.0.0.5:4840', nodes: [node] };

function errorOf(raw: unknown): { code?: unknown; message: string } {
  try {
    parseOpcuaConfig(raw, 'inputs[1]');
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected parseOpcuaConfig to throw');
}

describe('parseOpcuaConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = parseOpcuaConfig(minimal, 'inputs[1]');
    expect(config).toEqual({
      ...minimal,
      securityMode: 'None',
      securityPolicy: 'None',
      pkiDir: 'pki/station-1',
      trustUnknownServerCertificate: false,
      samplingIntervalMs: 1000,
      publishingIntervalMs: 1000,
      connectTimeoutMs: 10_000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.nodes)).toBe(true);
    expect(Object.isFrozen(config.nodes[0])).toBe(true);
  });

  it('defaults the policy to Basic256Sha256 with SignAndEncrypt, and publishing to the sampling interval', () => {
    const config = parseOpcuaConfig(
      { ...minimal, securityMode: 'SignAndEncrypt', username: 'tech', passwordFile: '/etc/ioc/opcua.pw', samplingIntervalMs: 5000 },
      'x',
    );
    expect(config).toMatchObject({ securityPolicy: 'Basic256Sha256', username: 'tech', passwordFile: '/etc/ioc/opcua.pw', publishingIntervalMs: 5000 });
    expect(config).not.toHaveProperty('password');
  });

  it.each(['ns=2;i=1042', 'i=2258', 'nsu=urn:vendor:logger;s=PM10', 'ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63', 'ns=1;b=M/RbKBsRVkePCePcx24oRA==', 'ns=1;s=Trạm 1.PM2,5'])(
    'accepts the NodeId %s',
    (nodeId) => {
      expect(parseOpcuaConfig({ ...minimal, nodes: [{ ...node, nodeId }] }, 'x').nodes[0]?.nodeId).toBe(nodeId);
    },
  );

  it.each([
    [{ ...minimal, endpoint: 'http://10.0.0.5:4840' }, 'inputs[1].endpoint: "http://10.0.0.5:4840" is not an opc.tcp://host:port URL'],
    [{ ...minimal, endpoint: 'opc.tcp://' }, 'inputs[1].endpoint: "opc.tcp://" is not an opc.tcp://host:port URL'],
    [{ ...minimal, endpoint: undefined }, 'inputs[1].endpoint: is required'],
    [{ ...minimal, securityMode: 'Sign' }, "inputs[1].securityMode: must be one of 'None', 'SignAndEncrypt'"],
    [{ ...minimal, securityPolicy: 'Basic256Sha256' }, "inputs[1].securityPolicy: must be 'None' (or absent) when securityMode is 'None'"],
    [{ ...minimal, securityMode: 'SignAndEncrypt', securityPolicy: 'None' }, "inputs[1].securityPolicy: must not be 'None'"],
    [{ ...minimal, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic128Rsa15' }, 'inputs[1].securityPolicy: must be one of'],
    [{ ...minimal, username: 'tech' }, 'inputs[1].password: password or passwordFile is required with a username'],
    [{ ...minimal, password: 'x' }, 'inputs[1].username: is required with a password'],
    [{ ...minimal, username: 'tech', password: 'x', passwordFile: '/p' }, 'inputs[1].passwordFile: give either password or passwordFile'],
    [{ ...minimal, username: 'tech', password: '' }, 'inputs[1].password: must not be empty'],
    [{ ...minimal, samplingIntervalMs: 5 }, 'inputs[1].samplingIntervalMs: must be between 10 and 3600000'],
    [{ ...minimal, reconnectMinMs: 5000, reconnectMaxMs: 1000 }, 'inputs[1].reconnectMaxMs: must be at least reconnectMinMs (5000)'],
    [{ ...minimal, nodes: [] }, 'inputs[1].nodes: must have at least 1 item'],
    [{ ...minimal, nodes: node }, 'inputs[1].nodes: must be an array'],
    [{ ...minimal, nodes: [node, { ...node, nodeId: 'Station1.PM10' }] }, 'inputs[1].nodes[1].nodeId: "Station1.PM10" is not a NodeId'],
    [{ ...minimal, nodes: [{ ...node, metric: 'pm2.5' }] }, 'inputs[1].nodes[0].metric: "pm2.5" is not a known metric'],
    [{ ...minimal, nodes: [{ ...node, sensor: 'Trạm 1' }] }, 'inputs[1].nodes[0].sensor: "Trạm 1" is not a valid id'],
    [{ ...minimal, nodes: [node, node] }, 'inputs[1].nodes[1].nodeId: ns=1;s=Station1.PM25 is listed twice'],
    [{ ...minimal, nodes: [node, { ...node, nodeId: 'ns=1;s=X' }] }, 'inputs[1].nodes[1].metric: sensor hn-st1 already has a node for pm25'],
    [{ ...minimal, nodes: [{ ...node, unit: 'µg/m³' }] }, 'inputs[1].nodes[0].unit: unknown field'],
    [{ ...minimal, samplingInterval: 1000 }, 'inputs[1].samplingInterval: unknown field'],
    [{ ...minimal, driver: 'camera' }, "inputs[1].driver: must be 'opcua'"],
  ])('rejects %j naming the path', (raw, message) => {
    const err = errorOf(raw);
    expect(err.code).toBe('IOC_ERR_CONFIG');
    expect(err.message).toContain(message);
  });

  it('accepts its own sample.jsonc', () => {
    const text = readFileSync(new URL('./sample.jsonc', import.meta.url), 'utf8');
    const json = text.replace(/^\s*\/\/.*$/gm, '');
    const config = parseOpcuaConfig(JSON.parse(json), 'inputs[0]');
    expect(config.nodes.length).toBeGreaterThan(0);
    expect(config.securityMode).toBe('SignAndEncrypt');
  });
});
