import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AgentStats } from '../agent.js';
import { agentFamilies } from './agent-metrics.js';
import { EXPOSITION_CONTENT_TYPE, renderExposition } from './metrics.js';

export interface TechnicianHttpOptions {
  host: string;
  /** 0 = a free port (the agent never passes 0: in its config 0 means off). */
  port: number;
  stats(): AgentStats;
  log: Logger;
}

export interface TechnicianHttp {
  /** `http://127.0.0.1:9464` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * /healthz is 200 while the agent can do its job (store readings), also when MQTT is down — that is what the
 * outbox is for; 503 when the last append to the outbox failed. The body says which parts are up.
 */
function health(s: AgentStats): { status: number; body: object } {
  const storing = !s.outboxFailing;
  return {
    status: storing ? 200 : 503,
    body: { status: storing ? 'ok' : 'failing', mqtt: s.uplink.connected ? 'connected' : 'disconnected', outbox: s.outbox, inputs: Object.keys(s.inputs).length },
  };
}

/** The local endpoint for the technician and a Prometheus scraper: GET /healthz and GET /metrics, nothing else. */
export async function startTechnicianHttp(opts: TechnicianHttpOptions): Promise<TechnicianHttp> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      const body = renderExposition(agentFamilies(opts.stats(), process.memoryUsage.rss()));
      res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : body);
    } else if (path === '/healthz') {
      const { status, body } = health(opts.stats());
      res.writeHead(status, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  opts.log.info({ url: `http://${host}:${port}` }, 'technician endpoint: /healthz, /metrics');
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
