import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { CameraProbeTarget } from './config.js';

/**
 * How a probe ended. Only 'ok' is a heartbeat. 'refused': nothing listens (ECONNREFUSED); 'timeout': no connection or
 * no complete answer within the timeout; 'bad-reply': an answer that is not the expected one (garbage, an RTSP
 * status other than 200); 'http-status': an HTTP status outside 2xx; 'error': any other socket error
 * (unreachable host, reset, DNS); 'aborted': the driver stopped.
 */
export type ProbeOutcome = 'ok' | 'refused' | 'timeout' | 'bad-reply' | 'http-status' | 'error' | 'aborted';

/** Probes one camera; never rejects. */
export type ProbeFn = (target: CameraProbeTarget, timeoutMs: number, signal: AbortSignal) => Promise<ProbeOutcome>;

/** Longest RTSP status line read before giving up on a reply, bytes. */
const MAX_STATUS_LINE = 512;
const RTSP_VERSION = 'RTSP/1.0 ';

/** The probe for `target.kind`: a TCP connect, an RTSP OPTIONS request, or an HTTP GET. */
export const probeCamera: ProbeFn = (target, timeoutMs, signal) => {
  if (target.kind === 'http') return probeHttp(target.url, timeoutMs, signal);
  if (target.kind === 'tcp') return probeTcp(target.host, target.port, timeoutMs, signal);
  return probeRtsp(target.host, target.port, timeoutMs, signal);
};

/** Online iff a TCP connection to host:port opens within timeoutMs. */
export function probeTcp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return socketProbe(host, port, timeoutMs, signal, (_socket, settle) => settle('ok'));
}

/**
 * Online iff the camera answers `OPTIONS rtsp://host:port/ RTSP/1.0` with a status line starting `RTSP/1.0 200`
 * (RFC 2326 §10.1) within timeoutMs.
 */
export function probeRtsp(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const options = `OPTIONS rtsp://${authority}/ RTSP/1.0\r\nCSeq: 1\r\n\r\n`;
  return socketProbe(host, port, timeoutMs, signal, (socket, settle) => {
    let head = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]).subarray(0, MAX_STATUS_LINE);
      const verdict = rtspVerdict(head);
      if (verdict !== undefined) settle(verdict);
    });
    socket.on('end', () => settle('bad-reply'));
    socket.write(options);
  });
}

/**
 * The verdict on the first bytes of an RTSP reply, or undefined while more are needed: 'ok' for a status line
 * `RTSP/1.0 200 …`, 'bad-reply' as soon as the bytes cannot be that (garbage, another status, no line end).
 */
export function rtspVerdict(head: Buffer): 'ok' | 'bad-reply' | undefined {
  const prefix = head.subarray(0, RTSP_VERSION.length).toString('latin1');
  if (!RTSP_VERSION.startsWith(prefix)) return 'bad-reply';
  const end = head.indexOf('\r\n');
  if (end < 0) return head.length >= MAX_STATUS_LINE ? 'bad-reply' : undefined;
  return /^RTSP\/1\.0 200(?: |$)/.test(head.subarray(0, end).toString('latin1')) ? 'ok' : 'bad-reply';
}

/** Online iff GET url answers a 2xx status within timeoutMs (the body is not read). */
export function probeHttp(url: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let req: ClientRequest | undefined;
    const { settle } = settler(resolve, timeoutMs, signal, () => req?.destroy());
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    try {
      req = send(url, { method: 'GET', agent: false, headers: { connection: 'close', 'user-agent': 'ioc-edge' } });
    } catch {
      settle('error');
      return;
    }
    req.on('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      settle(status >= 200 && status < 300 ? 'ok' : 'http-status');
    });
    req.on('error', (err) => settle(socketErrorOutcome(err)));
    req.end();
  });
}

type Settle = (outcome: ProbeOutcome) => void;

/** Connects, then lets `onConnect` decide; the socket is destroyed once the outcome is known. */
function socketProbe(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
  onConnect: (socket: Socket, settle: Settle) => void,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const { settle } = settler(resolve, timeoutMs, signal, () => socket.destroy());
    socket.on('error', (err) => settle(socketErrorOutcome(err)));
    socket.on('close', () => settle('error'));
    socket.once('connect', () => onConnect(socket, settle));
  });
}

/** A once-only resolver with a timeout and an abort signal; `cleanup` runs once, whatever settled. */
function settler(
  resolve: (outcome: ProbeOutcome) => void,
  timeoutMs: number,
  signal: AbortSignal,
  cleanup: () => void,
): { settle: Settle } {
  let done = false;
  const onAbort = (): void => settle('aborted');
  const timer = setTimeout(() => settle('timeout'), timeoutMs);
  function settle(outcome: ProbeOutcome): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    cleanup();
    resolve(outcome);
  }
  if (signal.aborted) settle('aborted');
  else signal.addEventListener('abort', onAbort, { once: true });
  return { settle };
}

function socketErrorOutcome(err: Error): ProbeOutcome {
  return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'refused' : 'error';
}
