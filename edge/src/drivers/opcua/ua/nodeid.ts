// NodeId and ExpandedNodeId: the string form of the config (OPC 10000-6 §5.3.1.10) and the binary encoding
// (OPC 10000-6 §5.2.2.9–10).
import { decodeError, type Reader, type Writer } from './binary.js';
import { uaError } from './errors.js';

export type NodeId =
  | { readonly ns: number; readonly kind: 'i'; readonly id: number }
  | { readonly ns: number; readonly kind: 's'; readonly id: string }
  | { readonly ns: number; readonly kind: 'g'; readonly id: string }
  | { readonly ns: number; readonly kind: 'b'; readonly id: Buffer };

/** A NodeId as configured: its namespace given by index (`ns=`) or by URI (`nsu=`, resolved against the server's). */
export interface ParsedNodeId {
  readonly nodeId: NodeId;
  /** The namespace URI of a `nsu=` NodeId; nodeId.ns is then 0 until resolved. */
  readonly namespaceUri?: string;
}

export const NULL_NODE_ID: NodeId = { ns: 0, kind: 'i', id: 0 };

export function numericNodeId(id: number, ns = 0): NodeId {
  return { ns, kind: 'i', id };
}

const ENCODING_TWO_BYTE = 0x00;
const ENCODING_FOUR_BYTE = 0x01;
const ENCODING_NUMERIC = 0x02;
const ENCODING_STRING = 0x03;
const ENCODING_GUID = 0x04;
const ENCODING_BYTE_STRING = 0x05;
const EXPANDED_NAMESPACE_URI = 0x80;
const EXPANDED_SERVER_INDEX = 0x40;

const FORM = /^(?:ns=(\d{1,5});|nsu=([^;]+);)?([isgb])=(.+)$/s;

/** Parses `ns=1;s=Station1.PM25`, `i=2258`, `nsu=urn:vendor;s=PM10`, `ns=3;g=<guid>`, `ns=1;b=<base64>`. */
export function parseNodeId(text: string): ParsedNodeId {
  const match = FORM.exec(text);
  const invalid = (why: string): Error => uaError('IOC_ERR_OPCUA_ENCODE', `NodeId ${JSON.stringify(text)}: ${why}`);
  if (!match) throw invalid('not of the form ns=<index>;<i|s|g|b>=<identifier>');
  const [, nsText, namespaceUri, kind, idText = ''] = match;
  const ns = nsText === undefined ? 0 : Number(nsText);
  if (ns > 0xffff) throw invalid('namespace index beyond 65535');
  const uri = namespaceUri === undefined ? {} : { namespaceUri };
  switch (kind) {
    case 'i': {
      if (!/^\d{1,10}$/.test(idText) || Number(idText) > 0xffff_ffff) throw invalid('numeric identifier beyond UInt32');
      return { nodeId: { ns, kind, id: Number(idText) }, ...uri };
    }
    case 'g':
      if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(idText)) throw invalid('not a Guid');
      return { nodeId: { ns, kind, id: idText.toUpperCase() }, ...uri };
    case 'b':
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(idText)) throw invalid('not base64');
      return { nodeId: { ns, kind, id: Buffer.from(idText, 'base64') }, ...uri };
    default:
      return { nodeId: { ns, kind: 's', id: idText }, ...uri };
  }
}

export function writeNodeId(w: Writer, nodeId: NodeId, flags = 0): void {
  const { ns } = nodeId;
  switch (nodeId.kind) {
    case 'i':
      if (ns === 0 && nodeId.id <= 0xff) w.u8(ENCODING_TWO_BYTE | flags).u8(nodeId.id);
      else if (ns <= 0xff && nodeId.id <= 0xffff) w.u8(ENCODING_FOUR_BYTE | flags).u8(ns).u16(nodeId.id);
      else w.u8(ENCODING_NUMERIC | flags).u16(ns).u32(nodeId.id);
      return;
    case 's':
      w.u8(ENCODING_STRING | flags).u16(ns).string(nodeId.id);
      return;
    case 'g':
      w.u8(ENCODING_GUID | flags).u16(ns).guid(nodeId.id);
      return;
    case 'b':
      w.u8(ENCODING_BYTE_STRING | flags).u16(ns).byteString(nodeId.id);
      return;
  }
}

export function readNodeId(r: Reader): NodeId {
  return readNodeIdBody(r, r.u8());
}

function readNodeIdBody(r: Reader, encodingByte: number): NodeId {
  switch (encodingByte & 0x3f) {
    case ENCODING_TWO_BYTE:
      return { ns: 0, kind: 'i', id: r.u8() };
    case ENCODING_FOUR_BYTE:
      return { ns: r.u8(), kind: 'i', id: r.u16() };
    case ENCODING_NUMERIC:
      return { ns: r.u16(), kind: 'i', id: r.u32() };
    case ENCODING_STRING:
      return { ns: r.u16(), kind: 's', id: r.string('NodeId string') ?? '' };
    case ENCODING_GUID:
      return { ns: r.u16(), kind: 'g', id: r.guid() };
    case ENCODING_BYTE_STRING:
      return { ns: r.u16(), kind: 'b', id: r.byteString('NodeId ByteString') ?? Buffer.alloc(0) };
    default:
      throw decodeError(`unknown NodeId encoding 0x${encodingByte.toString(16)}`);
  }
}

/** An ExpandedNodeId: the NodeId, with the namespace URI and server index when present. */
export interface ExpandedNodeId {
  readonly nodeId: NodeId;
  readonly namespaceUri?: string;
  readonly serverIndex?: number;
}

export function readExpandedNodeId(r: Reader): ExpandedNodeId {
  const encodingByte = r.u8();
  const nodeId = readNodeIdBody(r, encodingByte);
  const namespaceUri = encodingByte & EXPANDED_NAMESPACE_URI ? (r.string('ExpandedNodeId NamespaceUri') ?? undefined) : undefined;
  const serverIndex = encodingByte & EXPANDED_SERVER_INDEX ? r.u32() : undefined;
  return {
    nodeId,
    ...(namespaceUri === undefined ? {} : { namespaceUri }),
    ...(serverIndex === undefined ? {} : { serverIndex }),
  };
}

export function writeExpandedNodeId(w: Writer, value: ExpandedNodeId): void {
  const flags = (value.namespaceUri === undefined ? 0 : EXPANDED_NAMESPACE_URI) | (value.serverIndex === undefined ? 0 : EXPANDED_SERVER_INDEX);
  writeNodeId(w, value.nodeId, flags);
  if (value.namespaceUri !== undefined) w.string(value.namespaceUri);
  if (value.serverIndex !== undefined) w.u32(value.serverIndex);
}

/** The numeric identifier of a namespace-0 NodeId (the encoding ids of the services), else undefined. */
export function ns0Numeric(nodeId: NodeId): number | undefined {
  return nodeId.ns === 0 && nodeId.kind === 'i' ? nodeId.id : undefined;
}

export function nodeIdToString(nodeId: NodeId): string {
  const id = nodeId.kind === 'b' ? nodeId.id.toString('base64') : String(nodeId.id);
  return `${nodeId.ns === 0 ? '' : `ns=${nodeId.ns};`}${nodeId.kind}=${id}`;
}
