import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCjs } from './cjs.js';
import { helper, iocNodes, startTestCloud, transition, waitFor, type TestCloud } from './support.js';

type FlowNode = Record<string, unknown> & { id: string; type: string };
const example = JSON.parse(readFileSync(new URL('../examples/route-critical-alerts.json', import.meta.url), 'utf8')) as FlowNode[];

/** The Node-RED core nodes the example uses (the helper loads Catch itself). */
const coreNodes = ['function/15-change.js', 'function/10-switch.js', 'network/21-httprequest.js', 'common/90-comment.js']
  .map((f) => requireCjs(`@node-red/nodes/core/${f}`) as unknown);

let cloud: TestCloud;
let receiver: Server;
let notifyUrl: string;
const received: { contentType: string; body: { text: string; alertId: string; severity: string; site: string; rule: string } }[] = [];
/** Alert ids for which the SMS/Zalo gateway fails. */
const failFor = new Set<string>();

beforeAll(async () => {
  cloud = await startTestCloud();
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as (typeof received)[number]['body'];
      received.push({ contentType: String(req.headers['content-type']), body });
      res.writeHead(failFor.has(body.alertId) ? 503 : 200, { 'content-type': 'application/json' }).end('{"queued":true}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
});
afterAll(async () => {
  await helper.unload();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  await cloud.close();
});

/** The example as a user would deploy it: their server URL, their webhook, debug nodes swapped for helpers. */
function deployable(): FlowNode[] {
  return example.map((n) => {
    if (n.type === 'tab') return { ...n, env: [{ name: 'IOC_NOTIFY_URL', value: notifyUrl, type: 'str' }] };
    if (n.type === 'ioc-server') return { ...n, url: cloud.base, reconnectMinS: '0.02', reconnectMaxS: '0.1' };
    if (n.type === 'debug') return { id: n.id, z: n.z, x: n.x, y: n.y, type: 'helper', wires: [] };
    return n;
  });
}

/** "HH:MM DD/MM/YYYY" in Vietnam (UTC+7, no daylight saving). */
function vnTime(ms: number): string {
  const d = new Date(ms + 7 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())} ${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

describe('examples/route-critical-alerts.json', () => {
  it('keeps secrets out of the flow file', () => {
    const server = example.find((n) => n.type === 'ioc-server')!;
    expect(Object.keys(server).sort()).toEqual(['id', 'idleTimeoutS', 'mqttUrl', 'name', 'reconnectMaxS', 'reconnectMinS', 'requestTimeoutS', 'type', 'url']);
    expect(JSON.stringify(example)).not.toMatch(/ioc_[A-Za-z0-9]/);
  });

  it('texts each critical alert in Vietnamese to the webhook and acknowledges it once delivered', async () => {
    await helper.load([...iocNodes, ...coreNodes], deployable(), { 'ioc-cfg-server': { token: cloud.officer } });
    const acked: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    helper.getNode('ioc-log-acked')!.on('input', (m) => acked.push(m));
    helper.getNode('ioc-log-failed')!.on('input', (m) => failed.push(m));
    const input = helper.getNode('ioc-in-critical')!;
    await waitFor('the alert stream', () => (input.stats?.().source?.connects ?? 0) >= 1);

    const critical = cloud.publish(transition('x-1'));
    cloud.publish(transition('x-2', { severity: 'warning' }));
    cloud.publish(transition('x-0', { type: 'resolved', state: 'resolved' }));
    failFor.add('x-3');
    cloud.publish(transition('x-3', { site: 'ha-nam-duy-tien', subject: { site: 'ha-nam-duy-tien', camera: 'cam-07' }, message: 'Camera mất kết nối' }));
    await waitFor('one alert acknowledged and one delivery refused', () => acked.length === 1 && failed.length === 1);

    expect(received.map((r) => r.body.alertId)).toEqual(['x-1', 'x-3']);
    expect(received[0]).toEqual({
      contentType: 'application/json',
      body: {
        text: `[IOC] CẢNH BÁO KHẨN: PM2.5 182 µg/m³ trên 150 trong 10 phút — trạm ha-nam-phu-ly (cảm biến pm-01), lúc ${vnTime(critical.at)}`,
        alertId: 'x-1', severity: 'critical', site: 'ha-nam-phu-ly', rule: 'PM2.5 cao / PM2.5 high',
      },
    });
    expect(received[1]!.body.text).toMatch(/^\[IOC\] CẢNH BÁO KHẨN: Camera mất kết nối — trạm ha-nam-duy-tien, lúc /);
    expect(acked[0]).toMatchObject({ alertId: 'x-1', payload: { id: 'x-1', state: 'acknowledged' } });
    expect(cloud.hub.store.get('x-1')).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'api:node-red', ackNote: 'Đã gửi tin nhắn cảnh báo tới cán bộ trực (Node-RED)' });
    expect(failed[0]).toMatchObject({ alertId: 'x-3', statusCode: 503 });
    expect(cloud.hub.store.get('x-3')?.state).toBe('open');
  });
});
