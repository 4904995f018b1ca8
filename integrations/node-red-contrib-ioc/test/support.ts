import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from '../../../cloud/src/registry/registry.js';
import { createInfluxStore } from '../../../cloud/src/store/index.js';
import { GatewayStatusBoard } from '../../../cloud/src/ingest/gateway-status.js';
import { buildApi } from '../../../cloud/src/api/app.js';
import { AlertStore } from '../../../cloud/src/alerts/store.js';
import { AlertHub } from '../../../cloud/src/alerts/hub.js';
import { hubActions } from '../../../cloud/src/alerts/actions.js';
import { WebhookDispatcher } from '../../../cloud/src/alerts/webhooks.js';
import type { AlertEvent, AlertTransition, Severity } from '../../../cloud/src/alerts/types.js';
import { requireCjs } from './cjs.js';

export { prng, waitFor } from './cjs.js';


/** A sinon spy as the test helper installs it on Node.prototype (shared by every node). */
export interface Spy {
  getCalls(): { thisValue: unknown; args: unknown[] }[];
}

/** What the tests use of a node in the helper's runtime. */
export interface TestNode {
  id: string;
  on(event: 'input', listener: (msg: Record<string, unknown>) => void): void;
  receive(msg: Record<string, unknown>): void;
  status: Spy;
  warn: Spy;
  error: Spy;
  /** `ioc alert` only. */
  stats?: () => AlertNodeStats;
}

export interface AlertNodeStats {
  delivered: number;
  filtered: Record<'severity' | 'site' | 'type' | 'stale', number>;
  source: { connects: number; events: number; duplicates: number; garbage: number; garbageBy: Record<string, number>; ignored: number } | null;
}

/** node-red-node-test-helper 0.3.6 (CommonJS, untyped). */
export interface TestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  load(nodes: unknown[], flow: Record<string, unknown>[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  /** Redeploys: with type 'nodes' only changed nodes are restarted, as the editor's "Modified Nodes" deploy. */
  setFlows(flow: Record<string, unknown>[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, Record<string, string>>): Promise<void>;
  getNode(id: string): TestNode | null;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}

export const helper = requireCjs('node-red-node-test-helper') as TestHelper;
helper.init(requireCjs.resolve('node-red'));

/** The package's three node modules, as Node-RED loads them (package.json "node-red".nodes). */
export const iocNodes: unknown[] = ['ioc-server', 'ioc-alert', 'ioc-ack'].map((n) => requireCjs(`../nodes/${n}.js`) as unknown);

/** Arguments of the calls of a prototype spy made by one node. */
export function callsOf(spy: Spy, node: TestNode): unknown[][] {
  return spy.getCalls().filter((c) => c.thisValue === node).map((c) => c.args);
}

/** An alert transition as the rules engine would hand it to the hub. */
export function transition(alertId: string, over: Partial<AlertTransition> & { severity?: Severity; site?: string } = {}): AlertTransition {
  const { site = 'ha-nam-phu-ly', ...rest } = over;
  return {
    alertId, type: 'opened', ruleId: 'pm25-high', ruleName: 'PM2.5 cao / PM2.5 high', severity: 'critical',
    subject: { site, gateway: 'gw-01', sensor: 'pm-01', metric: 'pm25' }, state: 'open', at: Date.now(),
    message: 'PM2.5 182 µg/m³ trên 150 trong 10 phút', cause: { sensor: 'pm-01', metric: 'pm25', ts: Date.now(), value: 182 },
    ...rest,
  };
}

/** A real cloud API (registry, alert store, hub, webhooks, Fastify) on a loopback port, restartable on that port. */
export interface TestCloud {
  hub: AlertHub;
  base: string;
  port: number;
  /** Officer token (may ack/resolve) and viewer token (may only read). */
  officer: string;
  viewer: string;
  /** `Last-Event-ID` header of every stream request, in order ('' when absent). */
  streamRequests: string[];
  publish(t: AlertTransition): AlertEvent;
  /** Destroys every open connection (the clients see a reset), leaving the server up. */
  dropConnections(): void;
  /** Stops the HTTP server (after dropping connections); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestCloud(): Promise<TestCloud> {
  const log = pino({ level: 'silent' });
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-node-red-'));
  const registry = Registry.open(path.join(dir, 'registry.db'));
  const officer = registry.issueApiToken('node-red', 'officer', 'test');
  const viewer = registry.issueApiToken('wall', 'viewer', 'test');
  const hub = new AlertHub(new AlertStore(path.join(dir, 'alerts.db')));
  const webhooks = new WebhookDispatcher({ file: path.join(dir, 'alerts.db'), log, baseDelayMs: 50, maxDelayMs: 200, pollMs: 20 });
  hub.subscribe((e) => webhooks.enqueue(e));
  webhooks.start();
  const sockets = new Set<Socket>();
  const streamRequests: string[] = [];
  let app: FastifyInstance | null = null;
  let port = 0;

  const start = async (): Promise<void> => {
    const a = await buildApi({
      registry, store: createInfluxStore({ url: 'http://127.0.0.1:9' }),
      ingest: { stats: () => ({ messages: 0, readings: 0, rejected: 0, storeRetries: 0, connected: true }), status: new GatewayStatusBoard() },
      log, version: 'test', mqttUrl: 'mqtt://x', alerts: { hub, actions: hubActions(hub), webhooks }, rateLimitPerMinute: 100_000,
    });
    a.addHook('onRequest', async (req) => {
      if (req.url.startsWith('/api/v1/alerts/stream')) streamRequests.push(String(req.headers['last-event-id'] ?? ''));
    });
    a.server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await a.listen({ port, host: '127.0.0.1' });
    port = (a.server.address() as { port: number }).port;
    app = a;
  };
  const dropConnections = (): void => {
    for (const s of sockets) s.destroy();
  };
  const stop = async (): Promise<void> => {
    const a = app;
    app = null;
    dropConnections();
    await a?.close();
  };
  await start();
  return {
    hub, officer, viewer, streamRequests, start, stop, dropConnections,
    get port() { return port; },
    get base() { return `http://127.0.0.1:${port}`; },
    publish: (t) => hub.publish(t),
    async close() {
      await stop();
      await webhooks.stop();
      hub.store.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
