// Variant, DataValue and the composite built-ins they can carry (OPC 10000-6 §5.2.2.11–17). Values decode to plain JS:
// numbers, booleans, strings, Date, Buffer, `[high, low]` words for 64-bit integers; arrays as JS arrays. An
// ExtensionObject stays opaque (its type id and body); a DiagnosticInfo is skipped.
import { decodeError, type Int64Words, type Reader, type Writer } from './binary.js';
import { uaError } from './errors.js';
import { readExpandedNodeId, readNodeId, writeExpandedNodeId, writeNodeId, type ExpandedNodeId, type NodeId } from './nodeid.js';

/** Built-in type names by id (OPC 10000-6 Table 1); the index is the Variant's type id. */
export const BUILTIN_TYPE_NAMES = [
  'Null', 'Boolean', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Int64', 'UInt64', 'Float', 'Double',
  'String', 'DateTime', 'Guid', 'ByteString', 'XmlElement', 'NodeId', 'ExpandedNodeId', 'StatusCode', 'QualifiedName',
  'LocalizedText', 'ExtensionObject', 'DataValue', 'Variant', 'DiagnosticInfo',
] as const;
export type BuiltinTypeName = (typeof BUILTIN_TYPE_NAMES)[number];

/** Smallest encoding of one element of each built-in type: bounds an array's length before it is read. */
const MIN_BYTES = [0, 1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 4, 8, 16, 4, 4, 2, 2, 4, 6, 1, 3, 1, 1, 1] as const;

/** Nesting bound of Variants, DataValues and DiagnosticInfos inside one another (the spec leaves it to the decoder). */
export const MAX_NESTING = 16;

export interface Variant {
  /** The built-in type id (0 Null … 25 DiagnosticInfo): BUILTIN_TYPE_NAMES[dataType] is its name. */
  readonly dataType: number;
  /** False for arrays and matrices. */
  readonly isScalar: boolean;
  /** The value: see the file header for the JS shape of each type; an array for a non-scalar. */
  readonly value: unknown;
  /** Dimensions of a matrix (value then holds its elements, flattened). */
  readonly dimensions?: readonly number[];
}

export interface DataValue {
  /** Absent when the server sent no value (e.g. with a Bad status). */
  readonly value?: Variant;
  /** 0 (Good) when absent. */
  readonly statusCode: number;
  /** Epoch ms. */
  readonly sourceTimestamp?: number;
  readonly serverTimestamp?: number;
  readonly sourcePicoseconds?: number;
  readonly serverPicoseconds?: number;
}

export interface LocalizedText {
  readonly locale?: string;
  readonly text?: string;
}

export interface QualifiedName {
  readonly ns: number;
  readonly name: string | null;
}

/** An ExtensionObject whose body is not decoded here: the caller decodes the types it knows from `body`. */
export interface ExtensionObject {
  readonly typeId: NodeId;
  /** The binary body (encoding 1), the XML text (encoding 2), or undefined (no body). */
  readonly body?: Buffer | string;
}

const DV_VALUE = 0x01;
const DV_STATUS = 0x02;
const DV_SOURCE_TS = 0x04;
const DV_SERVER_TS = 0x08;
const DV_SOURCE_PICO = 0x10;
const DV_SERVER_PICO = 0x20;
const VARIANT_ARRAY = 0x80;
const VARIANT_DIMENSIONS = 0x40;

function nested(depth: number): number {
  if (depth >= MAX_NESTING) throw decodeError(`values nested more than ${MAX_NESTING} deep`);
  return depth + 1;
}

export function readVariant(r: Reader, depth = 0): Variant {
  const inner = nested(depth);
  const encoding = r.u8();
  const dataType = encoding & 0x3f;
  if (dataType >= BUILTIN_TYPE_NAMES.length) throw decodeError(`Variant of unknown built-in type ${dataType}`);
  if (!(encoding & VARIANT_ARRAY)) {
    if (encoding & VARIANT_DIMENSIONS) throw decodeError('Variant with array dimensions but no array');
    if (dataType === 24) throw decodeError('Variant holding a scalar Variant');
    return { dataType, isScalar: true, value: readScalar(r, dataType, inner) };
  }
  const value = r.array(`${BUILTIN_TYPE_NAMES[dataType]} array`, Math.max(1, MIN_BYTES[dataType] ?? 1), () => readScalar(r, dataType, inner));
  if (!(encoding & VARIANT_DIMENSIONS)) return { dataType, isScalar: false, value };
  const dimensions = r.array('ArrayDimensions', 4, () => r.i32());
  return { dataType, isScalar: false, value, dimensions };
}

function readScalar(r: Reader, dataType: number, depth: number): unknown {
  switch (dataType) {
    case 0: return null;
    case 1: return r.bool();
    case 2: return r.i8();
    case 3: return r.u8();
    case 4: return r.i16();
    case 5: return r.u16();
    case 6: return r.i32();
    case 7: return r.u32();
    case 8:
    case 9: return r.words64();
    case 10: return r.f32();
    case 11: return r.f64();
    case 12:
    case 16: return r.string();
    case 13: {
      const ms = r.dateTime();
      return ms === undefined ? null : new Date(ms);
    }
    case 14: return r.guid();
    case 15: return r.byteString();
    case 17: return readNodeId(r);
    case 18: return readExpandedNodeId(r);
    case 19: return r.u32();
    case 20: return readQualifiedName(r);
    case 21: return readLocalizedText(r);
    case 22: return readExtensionObject(r);
    case 23: return readDataValue(r, depth);
    case 24: return readVariant(r, depth);
    default: return skipDiagnosticInfo(r, depth);
  }
}

export function writeVariant(w: Writer, v: Variant): void {
  const { dataType } = v;
  if (!Number.isInteger(dataType) || dataType < 0 || dataType >= BUILTIN_TYPE_NAMES.length) {
    throw uaError('IOC_ERR_OPCUA_ENCODE', `Variant of unknown built-in type ${dataType}`);
  }
  if (v.isScalar) {
    w.u8(dataType);
    writeScalar(w, dataType, v.value);
    return;
  }
  if (!Array.isArray(v.value)) throw uaError('IOC_ERR_OPCUA_ENCODE', `array Variant of ${BUILTIN_TYPE_NAMES[dataType]} without an array value`);
  w.u8(dataType | VARIANT_ARRAY | (v.dimensions ? VARIANT_DIMENSIONS : 0));
  w.array(v.value as unknown[], (item) => writeScalar(w, dataType, item));
  if (v.dimensions) w.array(v.dimensions, (d) => w.i32(d));
}

function writeScalar(w: Writer, dataType: number, value: unknown): void {
  switch (dataType) {
    case 0: return;
    case 1: w.bool(value as boolean); return;
    case 2: w.i8(value as number); return;
    case 3: w.u8(value as number); return;
    case 4: w.i16(value as number); return;
    case 5: w.u16(value as number); return;
    case 6: w.i32(value as number); return;
    case 7:
    case 19: w.u32(value as number); return;
    case 8:
    case 9: w.words64(value as Int64Words); return;
    case 10: w.f32(value as number); return;
    case 11: w.f64(value as number); return;
    case 12:
    case 16: w.string(value as string | null); return;
    case 13: w.dateTime(value === null ? undefined : (value as Date).getTime()); return;
    case 14: w.guid(value as string); return;
    case 15: w.byteString(value as Buffer | null); return;
    case 17: writeNodeId(w, value as NodeId); return;
    case 18: writeExpandedNodeId(w, value as ExpandedNodeId); return;
    case 20: writeQualifiedName(w, value as QualifiedName); return;
    case 21: writeLocalizedText(w, value as LocalizedText); return;
    case 22: writeExtensionObject(w, value as ExtensionObject); return;
    case 23: writeDataValue(w, value as DataValue); return;
    case 24: writeVariant(w, value as Variant); return;
    default: w.u8(0); // an empty DiagnosticInfo
  }
}

export function readDataValue(r: Reader, depth = 0): DataValue {
  const inner = nested(depth);
  const mask = r.u8();
  const value = mask & DV_VALUE ? readVariant(r, inner) : undefined;
  const statusCode = mask & DV_STATUS ? r.u32() : 0;
  const sourceTimestamp = mask & DV_SOURCE_TS ? r.dateTime() : undefined;
  const sourcePicoseconds = mask & DV_SOURCE_PICO ? r.u16() : undefined;
  const serverTimestamp = mask & DV_SERVER_TS ? r.dateTime() : undefined;
  const serverPicoseconds = mask & DV_SERVER_PICO ? r.u16() : undefined;
  return {
    statusCode,
    ...(value === undefined ? {} : { value }),
    ...(sourceTimestamp === undefined ? {} : { sourceTimestamp }),
    ...(serverTimestamp === undefined ? {} : { serverTimestamp }),
    ...(sourcePicoseconds === undefined ? {} : { sourcePicoseconds }),
    ...(serverPicoseconds === undefined ? {} : { serverPicoseconds }),
  };
}

export function writeDataValue(w: Writer, dv: DataValue): void {
  const mask =
    (dv.value ? DV_VALUE : 0) |
    (dv.statusCode !== 0 ? DV_STATUS : 0) |
    (dv.sourceTimestamp !== undefined ? DV_SOURCE_TS : 0) |
    (dv.serverTimestamp !== undefined ? DV_SERVER_TS : 0) |
    (dv.sourcePicoseconds !== undefined ? DV_SOURCE_PICO : 0) |
    (dv.serverPicoseconds !== undefined ? DV_SERVER_PICO : 0);
  w.u8(mask);
  if (dv.value) writeVariant(w, dv.value);
  if (mask & DV_STATUS) w.u32(dv.statusCode);
  if (dv.sourceTimestamp !== undefined) w.dateTime(dv.sourceTimestamp);
  if (dv.sourcePicoseconds !== undefined) w.u16(dv.sourcePicoseconds);
  if (dv.serverTimestamp !== undefined) w.dateTime(dv.serverTimestamp);
  if (dv.serverPicoseconds !== undefined) w.u16(dv.serverPicoseconds);
}

export function readLocalizedText(r: Reader): LocalizedText {
  const mask = r.u8();
  const locale = mask & 0x01 ? r.string('LocalizedText locale') : null;
  const text = mask & 0x02 ? r.string('LocalizedText text') : null;
  return { ...(locale === null ? {} : { locale }), ...(text === null ? {} : { text }) };
}

export function writeLocalizedText(w: Writer, lt: LocalizedText): void {
  w.u8((lt.locale === undefined ? 0 : 0x01) | (lt.text === undefined ? 0 : 0x02));
  if (lt.locale !== undefined) w.string(lt.locale);
  if (lt.text !== undefined) w.string(lt.text);
}

export function readQualifiedName(r: Reader): QualifiedName {
  return { ns: r.u16(), name: r.string('QualifiedName') };
}

export function writeQualifiedName(w: Writer, qn: QualifiedName): void {
  w.u16(qn.ns).string(qn.name);
}

export function readExtensionObject(r: Reader): ExtensionObject {
  const typeId = readNodeId(r);
  const encoding = r.u8();
  if (encoding === 0) return { typeId };
  if (encoding === 1) return { typeId, body: r.byteString('ExtensionObject body') ?? Buffer.alloc(0) };
  if (encoding === 2) return { typeId, body: r.string('ExtensionObject XML body') ?? '' };
  throw decodeError(`ExtensionObject with unknown body encoding ${encoding}`);
}

export function writeExtensionObject(w: Writer, eo: ExtensionObject): void {
  writeNodeId(w, eo.typeId);
  if (eo.body === undefined) w.u8(0);
  else if (typeof eo.body === 'string') w.u8(2).string(eo.body);
  else w.u8(1).byteString(eo.body);
}

/** Reads past a DiagnosticInfo (OPC 10000-6 §5.2.2.12); returns undefined. */
export function skipDiagnosticInfo(r: Reader, depth = 0): undefined {
  const inner = nested(depth);
  const mask = r.u8();
  if (mask & 0x01) r.skip(4, 'DiagnosticInfo SymbolicId');
  if (mask & 0x02) r.skip(4, 'DiagnosticInfo NamespaceUri');
  if (mask & 0x08) r.skip(4, 'DiagnosticInfo Locale');
  if (mask & 0x04) r.skip(4, 'DiagnosticInfo LocalizedText');
  if (mask & 0x10) r.string('DiagnosticInfo AdditionalInfo');
  if (mask & 0x20) r.skip(4, 'DiagnosticInfo InnerStatusCode');
  if (mask & 0x40) skipDiagnosticInfo(r, inner);
  return undefined;
}
