import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callsOf, helper, iocNodes, startTestCloud, transition, waitFor, type TestCloud, type TestNode } from './support.js';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud.close();
});

interface Caught {
  error: { message: string; code?: string; source: { id: string } };
  statusCode?: unknown;
  alertId?: unknown;
}

let ack: TestNode;
let out: Record<string, unknown>[];
let caught: Caught[];

/** `ioc ack` wired to a helper; a Catch node on the tab collects what it reports. */
async function loadAck(url: string, token: string, node: Record<string, unknown> = {}): Promise<void> {
  await helper.load(iocNodes, [
    { id: 'f1', type: 'tab', label: 'ack' },
    { id: 'srv', type: 'ioc-server', name: 'IOC', url, reconnectMinS: '1', reconnectMaxS: '60', idleTimeoutS: '45', requestTimeoutS: '5' },
    { id: 'acker', z: 'f1', x: 100, y: 40, type: 'ioc ack', name: '', server: 'srv', action: 'ack', note: 'Đã chuyển cho đội trực', wires: [['out']], ...node },
    { id: 'out', z: 'f1', x: 300, y: 40, type: 'helper' },
    { id: 'catcher', z: 'f1', x: 100, y: 100, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', x: 300, y: 100, type: 'helper' },
  ], { srv: { token } });
  ack = helper.getNode('acker')!;
  out = [];
  caught = [];
  helper.getNode('out')!.on('input', (m) => out.push(m));
  helper.getNode('caught')!.on('input', (m) => caught.push(m as unknown as Caught));
}

beforeEach(() => {
  out = [];
  caught = [];
});
afterEach(async () => {
  await helper.unload();
});

describe('ioc ack against the real cloud', () => {
  it('acknowledges an open alert with the message’s note; a second ack is reported as a 409 with its code', async () => {
    await loadAck(cloud.base, cloud.officer);
    const opened = cloud.publish(transition('k-1'));
    ack.receive({ payload: opened, note: 'Đã gửi SMS cho cán bộ trực' });
    await waitFor('the acknowledged alert', () => out.length === 1);
    expect(out[0]).toMatchObject({ statusCode: 200, payload: { id: 'k-1', state: 'acknowledged', acknowledgedBy: 'api:node-red', ackNote: 'Đã gửi SMS cho cán bộ trực' } });
    expect(cloud.hub.store.get('k-1')).toMatchObject({ state: 'acknowledged', ackNote: 'Đã gửi SMS cho cán bộ trực' });
    expect(cloud.hub.store.history('k-1').map((e) => e.type)).toEqual(['opened', 'acknowledged']);

    ack.receive({ alertId: 'k-1' });
    await waitFor('the conflict', () => caught.length === 1);
    expect(caught[0]).toMatchObject({ alertId: 'k-1', statusCode: 409, error: { code: 'IOC_ERR_CONFLICT', source: { id: 'acker' } } });
    expect(caught[0]!.error.message).toContain('409 IOC_ERR_CONFLICT');
    expect(out).toHaveLength(1);
    expect(callsOf(ack.status, ack).at(-1)).toEqual([{ fill: 'red', shape: 'ring', text: '409 IOC_ERR_CONFLICT k-1' }]);
    expect(cloud.hub.store.history('k-1')).toHaveLength(2);
  });

  it('uses the configured note when the message has none, and resolves when msg.action says so', async () => {
    await loadAck(cloud.base, cloud.officer);
    cloud.publish(transition('k-2'));
    ack.receive({ alertId: 'k-2', payload: 'webhook answered OK' });
    await waitFor('ack', () => out.length === 1);
    expect(cloud.hub.store.get('k-2')).toMatchObject({ state: 'acknowledged', ackNote: 'Đã chuyển cho đội trực' });
    ack.receive({ alertId: 'k-2', action: 'resolve', note: 'Đã xử lý tại hiện trường' });
    await waitFor('resolve', () => out.length === 2);
    expect(out[1]).toMatchObject({ payload: { state: 'resolved', resolvedBy: 'api:node-red' } });
    expect(cloud.hub.store.history('k-2').map((e) => [e.type, e.note])).toEqual([
      ['opened', undefined], ['acknowledged', 'Đã chuyển cho đội trực'], ['resolved', 'Đã xử lý tại hiện trường'],
    ]);
  });

  it('a resolve-mode node resolves an acknowledged alert; unknown alerts and missing ids are errors with codes', async () => {
    await loadAck(cloud.base, cloud.officer, { action: 'resolve', note: '' });
    cloud.publish(transition('k-3'));
    ack.receive({ alertId: 'k-3' });
    await waitFor('resolve', () => out.length === 1);
    expect(cloud.hub.store.get('k-3')).toMatchObject({ state: 'resolved', resolvedBy: 'api:node-red' });
    ack.receive({ alertId: 'k-404' });
    ack.receive({ payload: { text: 'no alert here' } });
    await waitFor('two errors', () => caught.length === 2);
    const byCode = Object.fromEntries(caught.map((c) => [String(c.error.code), c.statusCode]));
    expect(byCode).toEqual({ IOC_ERR_NOT_FOUND: 404, IOC_ERR_NR_NO_ALERT_ID: undefined });
  });

  it('a token below officer is refused with IOC_ERR_FORBIDDEN and the alert stays open', async () => {
    await loadAck(cloud.base, cloud.viewer);
    cloud.publish(transition('k-4'));
    ack.receive({ alertId: 'k-4' });
    await waitFor('the refusal', () => caught.length === 1);
    expect(caught[0]).toMatchObject({ statusCode: 403, error: { code: 'IOC_ERR_FORBIDDEN' } });
    expect(cloud.hub.store.get('k-4')?.state).toBe('open');
  });
});

describe('ioc ack when the cloud does not answer properly', () => {
  it('reports an unreachable server, and a non-JSON answer, with their codes', async () => {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      await loadAck(`http://127.0.0.1:${port}`, cloud.officer);
      ack.receive({ alertId: 'k-5' });
      await waitFor('bad response', () => caught.length === 1);
      expect(caught[0]).toMatchObject({ statusCode: 200, error: { code: 'IOC_ERR_NR_BAD_RESPONSE' } });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    await helper.unload();
    await loadAck(`http://127.0.0.1:${port}`, cloud.officer);
    ack.receive({ alertId: 'k-5' });
    await waitFor('unreachable', () => caught.length === 1);
    expect(caught[0]).toMatchObject({ statusCode: 'IOC_ERR_NR_UNREACHABLE', error: { code: 'IOC_ERR_NR_UNREACHABLE' } });
    expect(out).toEqual([]);
  });
});
