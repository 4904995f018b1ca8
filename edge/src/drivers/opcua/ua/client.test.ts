// The client against a real node-opcua server (one for the file, with every policy; ~1 s to start): each security
// mode and policy, user names, certificates on both sides, the values of every type the driver meets, token renewal,
// and the end of a subscription.
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../test-support.js';
import { UaClient, type UaClientOptions } from './client.js';
import { Reader } from './binary.js';
import { isUaError, type UaError } from './errors.js';
import { startInteropServer, type InteropServer } from './interop-server.js';
import { SERVICES, readPublishResponse, readResponseHeader } from './messages.js';
import { ns0Numeric, readNodeId } from './nodeid.js';
import { startRelay } from './relay.js';
import type { SecurityPolicyName } from './security.js';
import { statusName } from './status-codes.js';
import { readExtensionObject, type DataValue } from './variant.js';

const T1 = new Date('2025-03-01T07:00:00.123Z');
const T2 = new Date('2025-03-01T07:00:01.456Z');

let dir: string;
let server: InteropServer;
const clients: UaClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-ua-client-'));
  server = await startInteropServer({
    pkiDir: join(dir, 'server-pki'),
    users: { technician: 'đúng-mật-khẩu' },
    variables: {
      PM25: { dataType: 'Double' },
      Temp: { dataType: 'Float' },
      Pump: { dataType: 'Boolean' },
      Label: { dataType: 'String' },
      Count: { dataType: 'Int64' },
      Total: { dataType: 'UInt64' },
      Series: { dataType: 'Double', array: true },
      Flags: { dataType: 'Int32', array: true },
    },
  });
  server.set('PM25', 41.5, 'Good', T1);
  server.set('Temp', 21.25, 'Good', T1);
  server.set('Pump', true, 'Good', T1);
  server.set('Label', 'trạm 1', 'Good', T1);
  server.set('Count', [0xffff_ffff, 0xffff_fffe], 'Good', T1); // -2
  server.set('Total', [1, 5], 'Good', T1); // 2^32 + 5
  server.set('Series', new Float64Array([1.5, 2.5, 3.5]), 'Good', T1);
  server.set('Flags', new Int32Array([-1, 0, 7]), 'Good', T1);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function newClient(over: Partial<UaClientOptions> = {}): UaClient {
  const client = new UaClient({
    endpointUrl: server.endpointUrl,
    securityMode: 'None',
    securityPolicy: 'None',
    pkiDir: join(dir, 'client-pki'),
    trustUnknownServerCertificate: true,
    requestTimeoutMs: 5000,
    sessionTimeoutMs: 60_000,
    ...over,
  });
  clients.push(client);
  return client;
}

const secure = (securityPolicy: SecurityPolicyName): Partial<UaClientOptions> => ({ securityMode: 'SignAndEncrypt', securityPolicy });

interface Seen {
  changes: { index: number; value: DataValue }[];
  publishes: number;
  ended: UaError | undefined;
}

async function subscribe(client: UaClient, nodeIds: string[]): Promise<Seen & { itemStatus: readonly number[] }> {
  const seen: Seen = { changes: [], publishes: 0, ended: undefined };
  const info = await client.subscribe(
    { publishingIntervalMs: 50, maxKeepAliveCount: 10, lifetimeCount: 60, nodeIds, samplingIntervalMs: 20, queueSize: 3 },
    {
      onDataChange: (index, value) => seen.changes.push({ index, value }),
      onPublish: () => (seen.publishes += 1),
      onEnd: (err) => (seen.ended = err),
    },
  );
  return Object.assign(seen, { itemStatus: info.itemStatus });
}

async function rejection(promise: Promise<unknown>): Promise<UaError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isUaError(err)) throw new Error(`expected a UaError, got ${String(err)}`);
  return err;
}

describe('UaClient against a node-opcua server', () => {
  it.each<[string, Partial<UaClientOptions>]>([
    ['None', {}],
    ['SignAndEncrypt Basic256Sha256', secure('Basic256Sha256')],
    ['SignAndEncrypt Aes128_Sha256_RsaOaep', secure('Aes128_Sha256_RsaOaep')],
    ['SignAndEncrypt Aes256_Sha256_RsaPss', secure('Aes256_Sha256_RsaPss')],
  ])('%s: subscribes and receives the value with its SourceTimestamp, then a change', async (_, options) => {
    const client = newClient(options);
    await client.connect();
    const seen = await subscribe(client, ['ns=1;s=PM25']);
    expect(seen.itemStatus).toEqual([0]);
    await until(() => seen.changes.length === 1, 'the initial value');
    expect(seen.changes[0]).toMatchObject({ index: 0, value: { statusCode: 0, value: { dataType: 11, isScalar: true, value: 41.5 }, sourceTimestamp: T1.getTime() } });
    expect(seen.changes[0]?.value.serverTimestamp).toEqual(expect.any(Number));
    server.set('PM25', 42.5, 'Good', T2);
    await until(() => seen.changes.length === 2, 'the change');
    expect(seen.changes[1]?.value).toMatchObject({ value: { value: 42.5 }, sourceTimestamp: T2.getTime() });
    server.set('PM25', 41.5, 'Good', T1);
    await client.close();
    await until(() => server.sessionCount() === 0, 'the session to close');
  });

  it('decodes every value type the driver meets: Int64, UInt64, Boolean, Float, String, arrays', async () => {
    const client = newClient(secure('Basic256Sha256'));
    await client.connect();
    const names = ['Count', 'Total', 'Pump', 'Temp', 'Label', 'Series', 'Flags'];
    const seen = await subscribe(client, names.map((n) => `ns=1;s=${n}`));
    await until(() => seen.changes.length === names.length, 'one value of each');
    const byName = Object.fromEntries(seen.changes.map((c): [string, unknown] => [names[c.index] ?? '?', c.value.value]));
    expect(byName).toEqual({
      Count: { dataType: 8, isScalar: true, value: [0xffff_ffff, 0xffff_fffe] },
      Total: { dataType: 9, isScalar: true, value: [1, 5] },
      Pump: { dataType: 1, isScalar: true, value: true },
      Temp: { dataType: 10, isScalar: true, value: 21.25 },
      Label: { dataType: 12, isScalar: true, value: 'trạm 1' },
      Series: { dataType: 11, isScalar: false, value: [1.5, 2.5, 3.5] },
      Flags: { dataType: 6, isScalar: false, value: [-1, 0, 7] },
    });
  });

  it('carries Uncertain and Bad StatusCodes, with or without a value', async () => {
    const client = newClient();
    await client.connect();
    const seen = await subscribe(client, ['ns=1;s=Temp']);
    await until(() => seen.changes.length === 1, 'the initial value');
    server.set('Temp', 22, 'UncertainLastUsableValue', T2);
    await until(() => seen.changes.length === 2, 'the uncertain value');
    server.set('Temp', 23, 'BadSensorFailure', new Date(T2.getTime() + 1000));
    await until(() => seen.changes.length === 3, 'the bad value');
    expect(seen.changes.slice(1).map((c) => [statusName(c.value.statusCode), c.value.value?.value, c.value.sourceTimestamp])).toEqual([
      ['UncertainLastUsableValue', 22, T2.getTime()],
      ['BadSensorFailure', 23, T2.getTime() + 1000],
    ]);
    server.set('Temp', 21.25, 'Good', T1);
  });

  it('reports the StatusCode of nodes the server or the gateway refuses, and resolves nsu= NodeIds', async () => {
    const client = newClient();
    await client.connect();
    const seen = await subscribe(client, ['ns=1;s=Nope', 'i=99999999999', `nsu=${server.namespaceUri};s=Pump`, 'nsu=urn:nowhere;s=Pump']);
    expect(seen.itemStatus).toEqual([0x8034_0000, 0x8033_0000, 0, 0x8034_0000]); // BadNodeIdUnknown, BadNodeIdInvalid
    await until(() => seen.changes.length === 1, 'the value of the nsu= node');
    expect(seen.changes[0]).toMatchObject({ index: 2, value: { value: { value: true } } });
  });

  it.each<[string, Partial<UaClientOptions>]>([
    ['None (password encrypted by its token policy)', {}],
    ['Basic256Sha256', secure('Basic256Sha256')],
    ['Aes256_Sha256_RsaPss', secure('Aes256_Sha256_RsaPss')],
  ])('activates a session with a user name and password over %s; refuses a wrong password', async (_, options) => {
    const right = newClient({ ...options, user: { userName: 'technician', password: 'đúng-mật-khẩu' } });
    await right.connect();
    expect(server.sessionCount()).toBeGreaterThanOrEqual(1);
    const wrong = newClient({ ...options, user: { userName: 'technician', password: 'sai' } });
    const err = await rejection(wrong.connect());
    expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_STATUS', statusName: 'BadUserAccessDenied' });
    expect(err.message).toMatch(/^ActivateSession refused: BadUserAccessDenied/);
    expect(err.message).not.toContain('sai');
  });

  it('files an unknown server certificate in rejected/, and trusts it once moved to trusted/certs/', async () => {
    const pkiDir = join(dir, 'fresh-pki');
    const client = newClient({ ...secure('Basic256Sha256'), pkiDir, trustUnknownServerCertificate: false });
    const err = await rejection(client.connect());
    expect(err.code).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
    const rejected = await readdir(join(pkiDir, 'rejected'));
    expect(rejected).toEqual([expect.stringMatching(/\[[0-9a-f]{40}\]\.pem$/)]);
    expect(err.message).toContain(rejected[0]);
    // a second attempt finds it in rejected/ and refuses it again, without a second copy
    expect((await rejection(newClient({ ...secure('Basic256Sha256'), pkiDir, trustUnknownServerCertificate: false }).connect())).code).toBe('IOC_ERR_OPCUA_CERTIFICATE_UNTRUSTED');
    expect(await readdir(join(pkiDir, 'rejected'))).toHaveLength(1);

    await mkdir(join(pkiDir, 'trusted', 'certs'), { recursive: true });
    await rename(join(pkiDir, 'rejected', rejected[0] ?? ''), join(pkiDir, 'trusted', 'certs', rejected[0] ?? ''));
    await newClient({ ...secure('Basic256Sha256'), pkiDir, trustUnknownServerCertificate: false }).connect();
  });

  it('renews its security token before the lifetime ends, in both modes, without a gap in the data', async () => {
    // node-opcua's shortest token lifetime is 2.5 s: renewed every ~1.9 s, three times in 6 s. The relay counts the
    // OpenSecureChannel requests on each connection (the secure client's first connection is its GetEndpoints).
    const relay = await startRelay(server.port);
    try {
      const plain = newClient({ endpointUrl: relay.endpointUrl, tokenLifetimeMs: 2500 });
      await plain.connect();
      const encrypted = newClient({ endpointUrl: relay.endpointUrl, ...secure('Aes128_Sha256_RsaOaep'), tokenLifetimeMs: 2500 });
      await encrypted.connect();
      const seen = await Promise.all([subscribe(plain, ['ns=1;s=PM25']), subscribe(encrypted, ['ns=1;s=PM25'])]);
      for (let i = 1; i <= 12; i += 1) {
        server.set('PM25', 100 + i, 'Good', new Date(T2.getTime() + i * 1000));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await until(() => seen.every((s) => s.changes.at(-1)?.value.value?.value === 112), 'the last value on both');
      for (const s of seen) {
        expect(s.ended).toBeUndefined();
        expect(s.changes.map((c) => c.value.value?.value)).toEqual([41.5, ...Array.from({ length: 12 }, (_, i) => 101 + i)]);
      }
      const opens = (conn: number): number => relay.seen.filter((m) => m.conn === conn && m.from === 'client' && m.type === 'OPN').length;
      expect([opens(0), opens(1), opens(2)]).toEqual([expect.any(Number), 1, expect.any(Number)]);
      expect(opens(0)).toBeGreaterThanOrEqual(4); // the None client: Issue, then Renew every ~1.9 s
      expect(opens(2)).toBeGreaterThanOrEqual(3); // the encrypted client, connected a little later
    } finally {
      server.set('PM25', 41.5, 'Good', T1);
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await relay.close();
    }
  });

  it('acknowledges every notification message it received, and no keep-alive', async () => {
    const notified: number[] = [];
    const keepAlives: number[] = [];
    const acknowledged: number[] = [];
    const body = (m: Buffer): { r: Reader; type: number | undefined } => {
      const r = new Reader(m.subarray(24)); // a None MSG chunk: headers (16), sequence header (8)
      return { r, type: m.toString('latin1', 0, 3) === 'MSG' ? ns0Numeric(readNodeId(r)) : undefined };
    };
    const relay = await startRelay(server.port, {
      fromServer: (m) => {
        const { r, type } = body(m);
        if (type === SERVICES.publish.response) {
          readResponseHeader(r);
          const response = readPublishResponse(r);
          (response.notificationData.length > 0 ? notified : keepAlives).push(response.sequenceNumber);
        }
        return [m];
      },
      fromClient: (m) => {
        const { r, type } = body(m);
        if (type === SERVICES.publish.request) {
          readNodeId(r); // RequestHeader: authenticationToken, timestamp, handle, returnDiagnostics, auditEntryId, timeoutHint, additionalHeader
          r.skip(16);
          r.string();
          r.u32();
          readExtensionObject(r);
          acknowledged.push(...r.array('acks', 8, () => (r.u32(), r.u32())));
        }
        return [m];
      },
    });
    try {
      const client = newClient({ endpointUrl: relay.endpointUrl });
      await client.connect();
      const seen = await client.subscribe(
        { publishingIntervalMs: 50, maxKeepAliveCount: 2, lifetimeCount: 60, nodeIds: ['ns=1;s=PM25'], samplingIntervalMs: 20, queueSize: 3 },
        { onDataChange: () => undefined, onPublish: () => undefined, onEnd: () => undefined },
      );
      expect(seen.itemStatus).toEqual([0]);
      for (let i = 1; i <= 5; i += 1) {
        server.set('PM25', 200 + i, 'Good', new Date(T2.getTime() + i));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await until(() => keepAlives.length >= 2 && notified.length >= 6 && notified.every((n) => acknowledged.includes(n)), 'the acknowledgements', 5000, () => ({ notified, acknowledged }));
      expect(acknowledged.filter((n) => !notified.includes(n))).toEqual([]);
    } finally {
      server.set('PM25', 41.5, 'Good', T1);
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await relay.close();
    }
  });

  it('ends the subscription on a StatusChangeNotification', async () => {
    const client = newClient(secure('Basic256Sha256'));
    await client.connect();
    const seen = await subscribe(client, ['ns=1;s=PM25']);
    await until(() => seen.publishes > 0, 'a publish response');
    expect(server.endSubscriptions()).toBe(1);
    await until(() => seen.ended !== undefined, 'the end of the subscription');
    expect(seen.ended).toMatchObject({ code: 'IOC_ERR_OPCUA_STATUS', statusName: 'GoodSubscriptionTransferred' });
  });

  it('tells its owner when the server goes away, and fails a connection to a closed port with the socket error', async () => {
    const other = await startInteropServer({ pkiDir: join(dir, 'other-pki'), variables: { X: { dataType: 'Double' } }, policies: ['None'] });
    const client = newClient({ endpointUrl: other.endpointUrl });
    await client.connect();
    let lost: UaError | undefined;
    client.onClose((err) => (lost = err));
    await other.stop();
    await until(() => lost !== undefined, 'the loss');
    expect(lost?.code).toMatch(/^IOC_ERR_OPCUA_(CONNECT|STATUS)$/);

    const refused = await rejection(newClient({ endpointUrl: `opc.tcp://127.0.0.1:${other.port}` }).connect());
    expect([refused.code, refused.message]).toEqual(['IOC_ERR_OPCUA_CONNECT', `127.0.0.1:${other.port}: ECONNREFUSED`]);
  });

  it('discovers a server that offers SignAndEncrypt only (GetEndpoints over a None channel), and refuses None there', async () => {
    const other = await startInteropServer({
      pkiDir: join(dir, 'secure-only-pki'),
      variables: { X: { dataType: 'Double' } },
      policies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'],
      modes: ['SignAndEncrypt'],
    });
    try {
      other.set('X', 7);
      const client = newClient({ endpointUrl: other.endpointUrl, ...secure('Aes128_Sha256_RsaOaep') });
      await client.connect();
      const seen = await subscribe(client, ['ns=1;s=X']);
      await until(() => seen.changes.length === 1, 'the value');
      const err = await rejection(newClient({ endpointUrl: other.endpointUrl }).connect());
      expect(err.code).toBe('IOC_ERR_OPCUA_ENDPOINT');
      expect(err.message).toMatch(/^the server offers no None\/None endpoint; it offers SignAndEncrypt\/Basic256Sha256, /);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await other.stop();
    }
  });

  it('names what the server lacks when it offers no endpoint for the configured policy', async () => {
    const other = await startInteropServer({ pkiDir: join(dir, 'other-pki'), variables: {}, policies: ['None', 'Basic256Sha256'] });
    try {
      const err = await rejection(newClient({ endpointUrl: other.endpointUrl, ...secure('Aes256_Sha256_RsaPss') }).connect());
      expect(err).toMatchObject({ code: 'IOC_ERR_OPCUA_ENDPOINT' });
      expect(err.message).toMatch(/no SignAndEncrypt\/Aes256_Sha256_RsaPss endpoint; it offers .*SignAndEncrypt\/Basic256Sha256/);
    } finally {
      await other.stop();
    }
  });
});
