// What the network can do to the client: alter, replay, drop, truncate or inflate messages between it and a real
// node-opcua server (a relay in the middle), and servers that are not OPC-UA or misbehave in the handshake. Every case
// must end in a clear error with a stable code, promptly, without a crash, a hang or a large allocation.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../test-support.js';
import { Reader, Writer } from './binary.js';
import { UaClient, type UaClientOptions } from './client.js';
import { isUaError, type UaError } from './errors.js';
import { startInteropServer, type InteropServer } from './interop-server.js';
import { readResponseHeader } from './messages.js';
import { readNodeId } from './nodeid.js';
import { startRelay, type Relay, type RelayHooks } from './relay.js';

let dir: string;
let server: InteropServer;
let relay: Relay | undefined;
const clients: UaClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-ua-hostile-'));
  server = await startInteropServer({ pkiDir: join(dir, 'server-pki'), variables: { PM25: { dataType: 'Double' } }, policies: ['None', 'Basic256Sha256'] });
  server.set('PM25', 41.5);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await relay?.close();
  relay = undefined;
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function newClient(endpointUrl: string, over: Partial<UaClientOptions> = {}): UaClient {
  const client = new UaClient({
    endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir: join(dir, 'client-pki'),
    trustUnknownServerCertificate: true,
    requestTimeoutMs: 3000,
    sessionTimeoutMs: 60_000,
    ...over,
  });
  clients.push(client);
  return client;
}

const SECURE: Partial<UaClientOptions> = { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' };

/** Connects through a relay with these hooks; resolves with the error the connection failed with. */
async function failure(hooks: RelayHooks, over: Partial<UaClientOptions> = {}): Promise<UaError> {
  relay = await startRelay(server.port, hooks);
  const started = Date.now();
  const err = await newClient(relay.endpointUrl, over).connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isUaError(err)) throw new Error(`expected a UaError, got ${String(err)}`);
  expect(Date.now() - started).toBeLessThan(2500); // promptly: not by a timeout
  return err;
}

/** A server message's index on a connection: 0 ACK, 1 OPN, 2 the first MSG (GetEndpoints or CreateSession). */
const FIRST_MSG = 2;
/** In SignAndEncrypt, connection 0 does GetEndpoints over None; the secure channel is connection 1. */
const SECURE_CONN = 1;

function flipByte(message: Buffer, at: number): Buffer {
  const copy = Buffer.from(message);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

describe('the client against an altered network', () => {
  it('drops a secure channel whose message was altered: its signature no longer verifies', async () => {
    const err = await failure({ fromServer: (m, conn, i) => [conn === SECURE_CONN && i === FIRST_MSG ? flipByte(m, m.length - 1) : m] }, SECURE);
    expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_SECURITY', message: 'message chunk: signature invalid' });
  });

  it('refuses an OpenSecureChannel answer altered in transit', async () => {
    const err = await failure({ fromServer: (m, conn, i) => [conn === SECURE_CONN && i === 1 ? flipByte(m, m.length - 100) : m] }, SECURE);
    expect(err.code).toBe('IOC_ERR_OPCUA_SECURITY');
    expect(err.message).toMatch(/RSA-OAEP decryption failed|signature invalid/);
  });

  it('detects a replayed message by its sequence number', async () => {
    const err = await failure({ fromServer: (m, conn, i) => (conn === SECURE_CONN && i === FIRST_MSG ? [m, m] : [m]) }, SECURE);
    expect(err.code).toBe('IOC_ERR_OPCUA_SECURITY');
    expect(err.message).toMatch(/^sequence number \d+ after \d+ \(BadSequenceNumberInvalid\)/);
  });

  it('detects a message lost in the middle of the publish stream', async () => {
    let drop = false;
    relay = await startRelay(server.port, { fromServer: (m) => (drop && m.toString('latin1', 0, 3) === 'MSG' ? ((drop = false), []) : [m]) });
    const client = newClient(relay.endpointUrl);
    await client.connect();
    let lost: UaError | undefined;
    client.onClose((err) => (lost = err));
    let publishes = 0;
    await client.subscribe(
      { publishingIntervalMs: 50, maxKeepAliveCount: 2, lifetimeCount: 60, nodeIds: ['ns=1;s=PM25'], samplingIntervalMs: 20, queueSize: 2 },
      { onDataChange: () => undefined, onPublish: () => (publishes += 1), onEnd: () => undefined },
    );
    await until(() => publishes > 0, 'a publish response');
    drop = true;
    await until(() => lost !== undefined, 'the loss to be detected', 5000);
    expect(lost?.message).toMatch(/BadSequenceNumberInvalid/);
  });

  it('refuses a message announcing an absurd size at once, without waiting for or allocating it', async () => {
    const inflate = (m: Buffer): Buffer => {
      const copy = Buffer.from(m);
      copy.writeUInt32LE(0x7fff_ffff, 4);
      return copy;
    };
    const err = await failure({ fromServer: (m, _conn, i) => [i === FIRST_MSG ? inflate(m) : m] });
    expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_PROTOCOL', message: '"MSG" message of 2147483647 bytes (allowed: 8..65536)' });
  });

  it('fails a message cut short by a closed connection', async () => {
    const err = await failure({ fromServer: (m, _conn, i) => (i === FIRST_MSG ? { send: [m.subarray(0, 20)], thenClose: true } : [m]) });
    expect(err.code).toBe('IOC_ERR_OPCUA_CONNECT');
    expect(err.message).toMatch(/connection closed by the server$/);
  });

  it('refuses a length inside a message that exceeds the message (a decoder bound, not an allocation)', async () => {
    const inflateEndpoints = (m: Buffer): Buffer => {
      const copy = Buffer.from(m);
      const r = new Reader(copy.subarray(24)); // header (16) and sequence header (8) of a None chunk
      readNodeId(r);
      readResponseHeader(r);
      copy.writeInt32LE(0x7fff_fff0, 24 + r.position); // the Endpoints array's length
      return copy;
    };
    const err = await failure({ fromServer: (m, _conn, i) => [i === FIRST_MSG ? inflateEndpoints(m) : m] });
    expect(err.code).toBe('IOC_ERR_OPCUA_DECODE');
    expect(err.message).toMatch(/^Endpoints: length 2147483632 exceeds the \d+ bytes left/);
  });

  it('fails only the request an abort chunk names, with the StatusCode and reason it carries', async () => {
    const abort = (m: Buffer): Buffer => {
      const body = new Writer().u32(0x8010_0000).string('too busy').toBuffer(); // BadTooManyOperations
      const chunk = Buffer.concat([m.subarray(0, 24), body]);
      chunk.write('MSGA', 0, 'latin1');
      chunk.writeUInt32LE(chunk.length, 4);
      return chunk;
    };
    const err = await failure({ fromServer: (m, _conn, i) => [i === FIRST_MSG ? abort(m) : m] });
    expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_STATUS', statusName: 'BadTooManyOperations', message: 'GetEndpoints aborted by the server: BadTooManyOperations (0x80100000): too busy' });
  });

  it('refuses a message of an unknown type', async () => {
    const rename = (m: Buffer): Buffer => Buffer.concat([Buffer.from('XYZ', 'latin1'), m.subarray(3)]);
    const err = await failure({ fromServer: (m, _conn, i) => [i === FIRST_MSG ? rename(m) : m] });
    expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_PROTOCOL', message: 'unexpected "XYZF" message' });
  });
});

describe('the client against servers that are not OPC-UA or misbehave in the handshake', () => {
  let fake: Server | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    sockets.splice(0).forEach((s) => s.destroy());
    await new Promise<void>((resolve) => (fake ? fake.close(() => resolve()) : resolve()));
    fake = undefined;
  });

  /** A TCP server that answers the client's first bytes with `answer` (nothing if undefined). */
  async function fakeServer(answer: Buffer | undefined): Promise<string> {
    fake = createServer((socket) => {
      sockets.push(socket.on('error', () => undefined));
      socket.once('data', () => answer && socket.write(answer));
    });
    await new Promise<void>((resolve) => fake?.listen(0, '127.0.0.1', resolve));
    const address = fake.address();
    return `opc.tcp://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  function message(type: string, body: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.write(type, 0, 'latin1');
    header.writeUInt32LE(8 + body.length, 4);
    return Buffer.concat([header, body]);
  }

  async function connectError(endpointUrl: string): Promise<UaError> {
    const err = await newClient(endpointUrl).connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isUaError(err)) throw new Error(`expected a UaError, got ${String(err)}`);
    return err;
  }

  it('an HTTP server', async () => {
    const err = await connectError(await fakeServer(Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
    expect(err.code).toBe('IOC_ERR_OPCUA_PROTOCOL');
    expect(err.message).toMatch(/^"HTT" message of \d+ bytes/);
  });

  it('an Acknowledge that would send chunks larger than the client accepts', async () => {
    const ack = new Writer().u32(0).u32(65_536).u32(1_000_000).u32(0).u32(0).toBuffer();
    const err = await connectError(await fakeServer(message('ACKF', ack)));
    expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_PROTOCOL', message: 'the server would send chunks of 1000000 bytes, above the 65536 asked' });
  });

  it('an Acknowledge cut short', async () => {
    const err = await connectError(await fakeServer(message('ACKF', Buffer.from([0, 0, 0, 0, 0, 0]))));
    expect(err.code).toBe('IOC_ERR_OPCUA_DECODE');
    expect(err.message).toMatch(/^truncated UInt32/);
  });

  it('an Error message in answer to the Hello, with its StatusCode and reason', async () => {
    const err = await connectError(await fakeServer(message('ERRF', new Writer().u32(0x8083_0000).string('no such endpoint').toBuffer())));
    expect(err).toMatchObject({
      code: 'IOC_ERR_OPCUA_STATUS',
      statusName: 'BadTcpEndpointUrlInvalid',
      message: 'the server closed the connection: BadTcpEndpointUrlInvalid (0x80830000): no such endpoint',
    });
  });

  it('a server that never answers: close() ends the attempt at once', async () => {
    const client = newClient(await fakeServer(undefined));
    const connecting = client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await until(() => sockets.length === 1, 'the connection');
    await client.close();
    expect(await connecting).toMatchObject({ code: 'IOC_ERR_OPCUA_CLOSED' });
  });
});
