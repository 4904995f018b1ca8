// Test support only: fake camera endpoints on loopback ports (the edge does not import @ioc/simulators).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';

/** What a fake camera does with a connection (RTSP) or request (HTTP). */
export type FakeBehaviour =
  | { readonly kind: 'answer' } // RTSP 200 / HTTP 200
  | { readonly kind: 'status'; readonly code: number } // another RTSP or HTTP status
  | { readonly kind: 'bytes'; readonly bytes: () => Buffer } // raw bytes then close (RTSP only)
  | { readonly kind: 'silent' }; // accept, never answer

export interface FakeCamera {
  readonly port: number;
  behaviour: FakeBehaviour;
  /** Requests (RTSP) or GETs (HTTP) received. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** An RTSP listener: answers each request after its blank line, per `behaviour`. */
export async function startFakeRtsp(behaviour: FakeBehaviour = { kind: 'answer' }): Promise<FakeCamera> {
  const sockets = new Set<Socket>();
  const camera = { port: 0, behaviour, requests: [] as string[], close: async (): Promise<void> => undefined };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const request = text.slice(0, end + 4);
      text = text.slice(end + 4);
      camera.requests.push(request);
      const cseq = /CSeq: *(\d+)/i.exec(request)?.[1] ?? '0';
      const b = camera.behaviour;
      if (b.kind === 'answer') socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE, PLAY\r\n\r\n`);
      else if (b.kind === 'status') socket.write(`RTSP/1.0 ${b.code} Nope\r\nCSeq: ${cseq}\r\n\r\n`);
      else if (b.kind === 'bytes') socket.end(b.bytes());
    });
  });
  camera.port = await listen(server);
  camera.close = () => closeServer(server, sockets);
  return camera;
}

/** An HTTP listener: GET anything → 200, or `status.code`, or silence. */
export async function startFakeHttp(behaviour: FakeBehaviour = { kind: 'answer' }): Promise<FakeCamera> {
  const sockets = new Set<Socket>();
  const camera = { port: 0, behaviour, requests: [] as string[], close: async (): Promise<void> => undefined };
  const server: HttpServer = createHttpServer((req, res) => {
    camera.requests.push(`${req.method} ${req.url}`);
    const b = camera.behaviour;
    if (b.kind === 'silent') return;
    res.statusCode = b.kind === 'status' ? b.code : 200;
    res.end('{"online":true}');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  camera.port = await listen(server);
  camera.close = () => closeServer(server, sockets);
  return camera;
}

/** A loopback port where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

async function closeServer(server: Server | HttpServer, sockets: Set<Socket>): Promise<void> {
  sockets.forEach((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A seeded PRNG (mulberry32) in [0, 1): the same seed gives the same garbage. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` random bytes from `random`. */
export function randomBytes(random: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}
