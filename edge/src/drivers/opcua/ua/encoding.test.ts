// The binary encoding without a network: round trips through our own writer and reader, both directions against
// node-opcua's encoder (an independent implementation of OPC 10000-6), and garbage that must fail cleanly.
import type * as Ua from 'node-opcua';
import { beforeAll, describe, expect, it } from 'vitest';
import { Reader, Writer } from './binary.js';
import { isUaError } from './errors.js';
import { parseNodeId, readExpandedNodeId, readNodeId, writeExpandedNodeId, writeNodeId, type NodeId } from './nodeid.js';
import { MAX_NESTING, readDataValue, readVariant, skipDiagnosticInfo, writeDataValue, writeVariant, type DataValue, type Variant } from './variant.js';

let ua: typeof Ua;

beforeAll(async () => {
  ua = await import('node-opcua');
});

const T = Date.UTC(2025, 2, 1, 7, 0, 0, 123);

function encode(write: (w: Writer) => void): Buffer {
  const w = new Writer(4); // small on purpose: every write path grows the buffer
  write(w);
  return Buffer.from(w.toBuffer());
}

/** node-opcua's encoding of something with an `encode(stream)` or an encode function. */
function theirs(write: (stream: Ua.BinaryStream) => void): Buffer {
  const stream = new ua.BinaryStream(4096);
  write(stream);
  return Buffer.from(stream.buffer.subarray(0, stream.length));
}

/** Expects `fn` to throw an IOC_ERR_OPCUA_DECODE error (never another kind of exception). */
function expectDecodeError(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isUaError(thrown) && thrown.code === 'IOC_ERR_OPCUA_DECODE', `${String(thrown)}`).toBe(true);
  if (message) expect((thrown as Error).message).toMatch(message);
}

const SCALARS: readonly Variant[] = [
  { dataType: 0, isScalar: true, value: null },
  { dataType: 1, isScalar: true, value: true },
  { dataType: 2, isScalar: true, value: -128 },
  { dataType: 3, isScalar: true, value: 255 },
  { dataType: 4, isScalar: true, value: -32768 },
  { dataType: 5, isScalar: true, value: 65535 },
  { dataType: 6, isScalar: true, value: -2147483648 },
  { dataType: 7, isScalar: true, value: 4294967295 },
  { dataType: 8, isScalar: true, value: [0xffff_ffff, 0xffff_fffe] },
  { dataType: 9, isScalar: true, value: [1, 5] },
  { dataType: 10, isScalar: true, value: 21.25 },
  { dataType: 11, isScalar: true, value: -41.5e-3 },
  { dataType: 12, isScalar: true, value: 'trạm Hà Nội' },
  { dataType: 12, isScalar: true, value: null },
  { dataType: 13, isScalar: true, value: new Date(T) },
  { dataType: 14, isScalar: true, value: '72962B91-FA75-4AE6-8D28-B404DC7DAF63' },
  { dataType: 15, isScalar: true, value: Buffer.from([1, 2, 3]) },
  { dataType: 16, isScalar: true, value: '<a/>' },
  { dataType: 17, isScalar: true, value: { ns: 2, kind: 's', id: 'PM25' } },
  { dataType: 18, isScalar: true, value: { nodeId: { ns: 0, kind: 'i', id: 42 }, namespaceUri: 'urn:x', serverIndex: 3 } },
  { dataType: 19, isScalar: true, value: 0x808c_0000 },
  { dataType: 20, isScalar: true, value: { ns: 1, name: 'PM25' } },
  { dataType: 21, isScalar: true, value: { locale: 'vi', text: 'bụi' } },
  { dataType: 22, isScalar: true, value: { typeId: { ns: 0, kind: 'i', id: 811 }, body: Buffer.from([9, 9]) } },
  { dataType: 23, isScalar: true, value: { statusCode: 0x4090_0000, value: { dataType: 11, isScalar: true, value: 1 }, sourceTimestamp: T } },
  { dataType: 11, isScalar: false, value: [1.5, 2.5, 3.5] },
  { dataType: 6, isScalar: false, value: [1, 2, 3, 4], dimensions: [2, 2] },
  { dataType: 12, isScalar: false, value: ['a', null, 'c'] },
  { dataType: 24, isScalar: false, value: [{ dataType: 1, isScalar: true, value: false }, { dataType: 12, isScalar: true, value: 'x' }] },
];

describe('Variant', () => {
  it.each(SCALARS.map((v) => [`${v.dataType}${v.isScalar ? '' : '[]'}`, v] as const))('round-trips type %s', (_, variant) => {
    const bytes = encode((w) => writeVariant(w, variant));
    const r = new Reader(bytes);
    expect(readVariant(r)).toEqual(variant);
    expect(r.remaining).toBe(0);
  });

  it('reads what node-opcua writes, and node-opcua reads what it writes', () => {
    const cases: [Ua.VariantOptions, Variant][] = [
      [{ dataType: ua.DataType.Int64, arrayType: ua.VariantArrayType.Scalar, value: [0xffff_ffff, 0xffff_fffe] }, { dataType: 8, isScalar: true, value: [0xffff_ffff, 0xffff_fffe] }],
      [{ dataType: ua.DataType.UInt64, arrayType: ua.VariantArrayType.Scalar, value: [0x0020_0000, 7] }, { dataType: 9, isScalar: true, value: [0x0020_0000, 7] }],
      [{ dataType: ua.DataType.Float, value: 21.25 }, { dataType: 10, isScalar: true, value: 21.25 }],
      [{ dataType: ua.DataType.String, value: 'trạm' }, { dataType: 12, isScalar: true, value: 'trạm' }],
      [{ dataType: ua.DataType.DateTime, value: new Date(T) }, { dataType: 13, isScalar: true, value: new Date(T) }],
      [{ dataType: ua.DataType.Double, arrayType: ua.VariantArrayType.Array, value: new Float64Array([1, 2]) }, { dataType: 11, isScalar: false, value: [1, 2] }],
      [
        { dataType: ua.DataType.Int32, arrayType: ua.VariantArrayType.Matrix, dimensions: [2, 2], value: new Int32Array([1, 2, 3, 4]) },
        { dataType: 6, isScalar: false, value: [1, 2, 3, 4], dimensions: [2, 2] },
      ],
    ];
    for (const [options, ours] of cases) {
      const bytes = theirs((s) => ua.encodeVariant(new ua.Variant(options), s));
      expect(readVariant(new Reader(bytes))).toEqual(ours);
      const back = ua.decodeVariant(new ua.BinaryStream(encode((w) => writeVariant(w, ours))));
      expect(back.dataType).toBe(options.dataType);
      expect(back.toString()).toBe(new ua.Variant(options).toString());
    }
  });
});

describe('DataValue', () => {
  it('round-trips every field, and omits what is absent', () => {
    const full: DataValue = {
      statusCode: 0x808c_0000,
      value: { dataType: 11, isScalar: true, value: 45 },
      sourceTimestamp: T,
      serverTimestamp: T + 250,
      sourcePicoseconds: 5,
      serverPicoseconds: 9,
    };
    for (const dv of [full, { statusCode: 0 }, { statusCode: 0, sourceTimestamp: T }]) {
      expect(readDataValue(new Reader(encode((w) => writeDataValue(w, dv))))).toEqual(dv);
    }
    expect(encode((w) => writeDataValue(w, { statusCode: 0 }))).toEqual(Buffer.from([0]));
  });

  it("reads node-opcua's DataValue: the SourceTimestamp to the millisecond, a Bad status, picoseconds", () => {
    const dv = new ua.DataValue({
      value: { dataType: ua.DataType.Double, value: 45 },
      statusCode: ua.StatusCodes.BadSensorFailure,
      sourceTimestamp: new Date(T),
      sourcePicoseconds: 5,
      serverTimestamp: new Date(T + 1),
    });
    const ours = readDataValue(new Reader(theirs((s) => ua.encodeDataValue(dv, s))));
    expect(ours).toEqual({
      statusCode: ua.StatusCodes.BadSensorFailure.value,
      value: { dataType: 11, isScalar: true, value: 45 },
      sourceTimestamp: T,
      sourcePicoseconds: ours.sourcePicoseconds, // node-opcua derives it from the Date it holds: present, any value
      serverTimestamp: T + 1,
    });
  });

  it('treats the null DateTime and DateTime.MaxValue as no timestamp', () => {
    const bytes = Buffer.alloc(17);
    bytes[0] = 0x04 | 0x08; // SourceTimestamp, ServerTimestamp
    bytes.writeBigInt64LE(0n, 1);
    bytes.writeBigInt64LE(0x7fff_ffff_ffff_ffffn, 9);
    expect(readDataValue(new Reader(bytes))).toEqual({ statusCode: 0 });
  });
});

describe('NodeId', () => {
  it.each([
    ['i=2258', { ns: 0, kind: 'i', id: 2258 }],
    ['ns=1;s=Station1.PM25', { ns: 1, kind: 's', id: 'Station1.PM25' }],
    ['ns=1;s=Trạm 1.PM2,5;x', { ns: 1, kind: 's', id: 'Trạm 1.PM2,5;x' }],
    ['ns=3;g=72962b91-fa75-4ae6-8d28-b404dc7daf63', { ns: 3, kind: 'g', id: '72962B91-FA75-4AE6-8D28-B404DC7DAF63' }],
    ['ns=1;b=M/RbKBsRVkePCePcx24oRA==', { ns: 1, kind: 'b', id: Buffer.from('M/RbKBsRVkePCePcx24oRA==', 'base64') }],
    ['ns=300;i=70000', { ns: 300, kind: 'i', id: 70000 }],
  ])('%s: parses, and encodes as node-opcua does', (text, nodeId) => {
    expect(parseNodeId(text).nodeId).toEqual(nodeId);
    const ours = encode((w) => writeNodeId(w, nodeId as NodeId));
    expect(ours).toEqual(theirs((s) => ua.encodeNodeId(ua.coerceNodeId(text), s)));
    expect(readNodeId(new Reader(ours))).toEqual(nodeId);
  });

  it('keeps the namespace URI of nsu= apart, and refuses malformed forms', () => {
    expect(parseNodeId('nsu=urn:vendor:logger;s=PM10')).toEqual({ nodeId: { ns: 0, kind: 's', id: 'PM10' }, namespaceUri: 'urn:vendor:logger' });
    for (const bad of ['PM25', 'ns=1;x=2', 'ns=70000;i=1', 'i=4294967296', 'ns=1;g=not-a-guid', 'ns=1;b=***']) {
      expect(() => parseNodeId(bad), bad).toThrow(expect.objectContaining({ code: 'IOC_ERR_OPCUA_ENCODE' }));
    }
  });

  it('reads ExpandedNodeIds with a namespace URI and server index', () => {
    const value = { nodeId: { ns: 0, kind: 'i', id: 85 } as NodeId, namespaceUri: 'urn:x', serverIndex: 2 };
    const bytes = encode((w) => writeExpandedNodeId(w, value));
    expect(readExpandedNodeId(new Reader(bytes))).toEqual(value);
    const plain = theirs((s) => ua.encodeExpandedNodeId(ua.coerceExpandedNodeId('ns=2;s=X'), s));
    expect(readExpandedNodeId(new Reader(plain))).toEqual({ nodeId: { ns: 2, kind: 's', id: 'X' } });
  });
});

describe('DiagnosticInfo', () => {
  it("skips node-opcua's nested DiagnosticInfo exactly", () => {
    const info = new ua.DiagnosticInfo({
      symbolicId: 3,
      localizedText: 1,
      additionalInfo: 'lỗi',
      innerStatusCode: ua.StatusCodes.BadTimeout,
      innerDiagnosticInfo: new ua.DiagnosticInfo({ locale: 2, innerDiagnosticInfo: new ua.DiagnosticInfo({ namespaceURI: 4 }) }),
    });
    const bytes = Buffer.concat([theirs((s) => info.encode(s)), Buffer.from([0xab])]);
    const r = new Reader(bytes);
    skipDiagnosticInfo(r);
    expect(r.u8()).toBe(0xab);
  });
});

describe('garbage', () => {
  it('every truncation of every encoded value fails with IOC_ERR_OPCUA_DECODE', () => {
    for (const variant of SCALARS) {
      const bytes = encode((w) => writeVariant(w, variant));
      for (let n = 0; n < bytes.length; n += 1) {
        if (variant.dataType === 0 && n === 1) continue; // a Null Variant is one byte
        expectDecodeError(() => readVariant(new Reader(bytes.subarray(0, n))));
      }
    }
  });

  it('refuses absurd and negative lengths before allocating anything', () => {
    const started = performance.now();
    const hugeArray = encode((w) => w.u8(0x80 | 8).i32(0x1000_0000)); // 268 million Int64s announced, none sent
    expectDecodeError(() => readVariant(new Reader(hugeArray)), /^Int64 array: length 268435456 exceeds the 0 bytes left/);
    expectDecodeError(() => new Reader(encode((w) => w.i32(0x7fff_ffff))).string(), /String: length 2147483647 exceeds/);
    expectDecodeError(() => new Reader(encode((w) => w.i32(-2))).byteString(), /ByteString: negative length -2/);
    expectDecodeError(() => readVariant(new Reader(encode((w) => w.u8(0x80 | 0).i32(0x7fff_ffff)))), /Null array: length 2147483647 exceeds/);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses unknown types and encodings', () => {
    expectDecodeError(() => readVariant(new Reader(Buffer.from([30]))), /unknown built-in type 30/);
    expectDecodeError(() => readVariant(new Reader(Buffer.from([0x40 | 6, 0, 0, 0, 0]))), /array dimensions but no array/);
    expectDecodeError(() => readNodeId(new Reader(Buffer.from([0x07, 0, 0]))), /unknown NodeId encoding 0x7/);
    expectDecodeError(() => readVariant(new Reader(Buffer.from([22, 0, 0, 7]))), /ExtensionObject with unknown body encoding 7/);
  });

  it('refuses values nested deeper than the bound (a stack overflow otherwise)', () => {
    let bytes = Buffer.from([1, 1]); // Boolean true
    for (let i = 0; i < MAX_NESTING + 2; i += 1) bytes = Buffer.concat([Buffer.from([0x80 | 24, 1, 0, 0, 0]), bytes]); // Variant[1] of it
    expectDecodeError(() => readVariant(new Reader(bytes)), /nested more than 16 deep/);
    let diag = Buffer.from([0]);
    for (let i = 0; i < 100_000; i += 1) diag = Buffer.concat([Buffer.from([0x40]), diag]);
    expectDecodeError(() => skipDiagnosticInfo(new Reader(diag)), /nested more than 16 deep/);
  });

  it('random bytes decode or fail with IOC_ERR_OPCUA_DECODE, nothing else', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i += 1) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
      for (const read of [readVariant, readDataValue, readNodeId, skipDiagnosticInfo]) {
        try {
          read(new Reader(bytes));
        } catch (err) {
          expect(isUaError(err) && err.code === 'IOC_ERR_OPCUA_DECODE', `${String(err)} on ${bytes.toString('hex')}`).toBe(true);
        }
      }
    }
  });
});
