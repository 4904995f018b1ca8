import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../cloud/src/alerts/types.js';
import { callsOf, helper, iocNodes, prng, startTestCloud, transition, waitFor, type TestCloud, type TestNode } from './support.js';

let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => {
  await cloud.close();
});
afterEach(async () => {
  await helper.unload();
});

/**
 * A flow: an `ioc-server` with fast reconnects, one `ioc alert` wired to a helper node collecting messages.
 * Each test gives its `ioc alert` its own id: the runtime remembers stream positions by node id.
 */
function alertFlow(id: string, url: string, node: Record<string, unknown> = {}): Record<string, unknown>[] {
  return [
    { id: 'f1', type: 'tab', label: 'alerts' },
    { id: 'srv', type: 'ioc-server', name: 'IOC', url, reconnectMinS: '0.02', reconnectMaxS: '0.1', idleTimeoutS: '45', requestTimeoutS: '5' },
    { id, z: 'f1', x: 100, y: 40, type: 'ioc alert', name: '', server: 'srv', source: 'sse', severity: 'info', sites: '', types: '', maxAgeMin: '60', wires: [['out']], ...node },
    { id: 'out', z: 'f1', x: 300, y: 40, type: 'helper' },
  ];
}

/** Loads a flow and collects what reaches the helper node. */
async function load(flow: Record<string, unknown>[], token: string): Promise<{ node: TestNode; got: Record<string, unknown>[]; ids: () => number[] }> {
  await helper.load(iocNodes, flow, { srv: { token } });
  const got: Record<string, unknown>[] = [];
  helper.getNode('out')!.on('input', (msg) => got.push(msg));
  const node = helper.getNode(String(flow.find((n) => n.type === 'ioc alert')!.id))!;
  return { node, got, ids: () => got.map((m) => (m.payload as AlertEvent).id) };
}

const connected = (node: TestNode, n = 1) => () => (node.stats?.().source?.connects ?? 0) >= n;

describe('ioc alert on the real cloud stream', () => {
  it('emits each transition that passes the filters, with topic ioc/alerts/<site>/<severity>', async () => {
    const { node, got } = await load(alertFlow('in-filters', cloud.base, { severity: 'warning', sites: 'ha-nam-phu-ly, ha-nam-duy-tien', types: 'opened,renotified' }), cloud.viewer);
    await waitFor('the stream', connected(node));
    const hour = 3_600_000;
    cloud.publish(transition('f-info', { severity: 'info' }));
    const warning = cloud.publish(transition('f-warn', { severity: 'warning' }));
    cloud.publish(transition('f-elsewhere', { site: 'bac-ninh-01' }));
    cloud.publish(transition('f-warn', { severity: 'warning', type: 'acknowledged', state: 'acknowledged', actor: 'api:officer' }));
    cloud.publish(transition('f-old', { site: 'ha-nam-duy-tien', at: Date.now() - 2 * hour }));
    const renotified = cloud.publish(transition('f-crit', { site: 'ha-nam-duy-tien', type: 'renotified' }));
    await waitFor('two alerts', () => got.length === 2);
    expect(got.map((m) => [m.topic, m.alertId, m.eventId])).toEqual([
      ['ioc/alerts/ha-nam-phu-ly/warning', 'f-warn', warning.id],
      ['ioc/alerts/ha-nam-duy-tien/critical', 'f-crit', renotified.id],
    ]);
    expect(got[1]!.payload).toEqual(renotified);
    expect(node.stats!()).toMatchObject({ delivered: 2, filtered: { severity: 1, site: 1, type: 1, stale: 1 }, source: { events: 6, garbage: 0 } });
    expect(callsOf(node.status, node).at(-1)).toEqual([{ fill: 'green', shape: 'dot', text: 'connected · 2 sent' }]);
  });

  it('resumes after dropped connections and a cloud restart on the same port: nothing lost, nothing twice', async () => {
    const requestsBefore = cloud.streamRequests.length;
    const { node, ids } = await load(alertFlow('in-resume', cloud.base), cloud.viewer);
    await waitFor('the stream', connected(node));
    const sent: number[] = [cloud.publish(transition('r-1')).id];
    await waitFor('r-1', () => ids().length === 1);

    // The server resets every socket; two transitions happen before the client is back.
    cloud.dropConnections();
    sent.push(cloud.publish(transition('r-2')).id, cloud.publish(transition('r-3', { severity: 'warning' })).id);
    await waitFor('r-2 and r-3', () => ids().length === 3);
    expect(callsOf(node.status, node).some(([s]) => String((s as { text: string }).text).startsWith('reconnecting in'))).toBe(true);

    // The cloud goes down; alerts are recorded meanwhile; it comes back on the same port.
    await cloud.stop();
    sent.push(cloud.publish(transition('r-4')).id, cloud.publish(transition('r-5')).id);
    await cloud.start();
    await waitFor('r-4 and r-5', () => ids().length === 5);
    sent.push(cloud.publish(transition('r-6')).id);
    await waitFor('r-6 (live)', () => ids().length === 6);

    expect(ids()).toEqual(sent);
    const resumes = cloud.streamRequests.slice(requestsBefore);
    // Fresh node: live only; then after the reset: after r-1; after the restart: after r-3 (a request that
    // raced the shutdown may repeat that header).
    expect(resumes.slice(0, 3)).toEqual(['', String(sent[0]), String(sent[2])]);
    expect(resumes.slice(3).every((h) => h === String(sent[2]))).toBe(true);
    expect(node.stats!().source).toMatchObject({ connects: 3, events: 6, duplicates: 0, garbage: 0 });
  });

  it('keeps its position across a redeploy: the new node resumes after the last event id', async () => {
    const flow = alertFlow('in-redeploy', cloud.base);
    const { node, ids } = await load(flow, cloud.viewer);
    await waitFor('the stream', connected(node));
    const before = cloud.publish(transition('d-1'));
    await waitFor('d-1', () => ids().length === 1);
    const requests = cloud.streamRequests.length;
    const changed = flow.map((n) => (n.id === 'in-redeploy' ? { ...n, name: 'renamed' } : n));
    await helper.setFlows(changed, 'nodes', { srv: { token: cloud.viewer } });
    await waitFor('the new node’s request', () => cloud.streamRequests.length === requests + 1);
    expect(cloud.streamRequests.at(-1)).toBe(String(before.id));
    const renamed = helper.getNode('in-redeploy')!;
    await waitFor('the new stream', connected(renamed));
    const after = cloud.publish(transition('d-2'));
    await waitFor('d-2', () => ids().length === 2);
    expect(ids()).toEqual([before.id, after.id]);
  });

  it('shows a refused token in red and keeps retrying', async () => {
    const { node } = await load(alertFlow('in-refused', cloud.base), 'ioc_not-a-token');
    await waitFor('a refusal', () => callsOf(node.status, node).some(([s]) => (s as { fill: string }).fill === 'red'));
    const red = callsOf(node.status, node).find(([s]) => (s as { fill: string }).fill === 'red')![0] as { text: string };
    expect(red.text).toMatch(/^reconnecting in \d+ s: IOC_ERR_UNAUTHORIZED$/);
    expect(callsOf(node.warn, node).some(([w]) => String(w).includes('401'))).toBe(true);
  });
});

describe('ioc alert on a garbage stream', () => {
  it('counts and reports malformed frames and random bytes, delivers the valid events, never crashes, resumes', async () => {
    const random = prng(0x5ee);
    const event = (id: number): AlertEvent => ({ ...transition(`g-${id}`), id });
    const frame = (id: number, data: string) => `id: ${id}\nevent: alert\ndata: ${data}\n\n`;
    const requests: string[] = [];
    const responses: ((res: ServerResponse) => void)[] = [
      (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(frame(1, JSON.stringify(event(1))));
        res.write(frame(2, '{"id": 2, "alertId": "g-2", "type": "opened"'));
        res.write(frame(3, JSON.stringify({ ...event(3), severity: 'catastrophic' })));
        res.write(frame(4, '<html>502 Bad Gateway</html>'));
        res.write(Buffer.from(Array.from({ length: 8192 }, () => Math.floor(random() * 256))));
        res.write('\n\n' + frame(5, JSON.stringify(event(5))));
        res.end();
      },
      (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>'),
      (res) => res.writeHead(502).end('bad gateway'),
      (res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(frame(6, JSON.stringify(event(6))));
      },
    ];
    const server = createServer((req, res) => {
      requests.push(String(req.headers['last-event-id'] ?? ''));
      responses[Math.min(requests.length, responses.length) - 1]!(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { node, ids } = await load(alertFlow('in-garbage', `http://127.0.0.1:${(server.address() as AddressInfo).port}`), 'tok');
      await waitFor('event 6', () => ids().includes(6));
      expect(ids()).toEqual([1, 5, 6]);
      expect(requests).toEqual(['', '5', '5', '5']);
      const stats = node.stats!();
      expect(stats.source!.garbageBy).toMatchObject({ 'bad-json': 2, 'bad-severity': 1 });
      expect(stats.source!.garbage).toBeGreaterThan(3);
      expect(callsOf(node.warn, node)[0]?.[0]).toMatch(/^ioc alert: 1 malformed frame\(s\) ignored \(last: bad-json/);
      expect(callsOf(node.status, node).at(-1)).toEqual([{ fill: 'green', shape: 'dot', text: `connected · 3 sent · ${stats.source!.garbage} malformed` }]);
      const reasons = callsOf(node.status, node).map(([s]) => (s as { text: string }).text).filter((t) => t.startsWith('reconnecting'));
      expect(reasons.map((t) => t.replace(/in \d+ s/, 'in N s'))).toEqual([
        'reconnecting in N s: IOC_ERR_NR_STREAM_ENDED', 'reconnecting in N s: IOC_ERR_NR_BAD_RESPONSE', 'reconnecting in N s: IOC_ERR_NR_HTTP_STATUS',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
