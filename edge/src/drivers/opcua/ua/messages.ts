// The service messages the gateway exchanges (OPC 10000-4 §5, encoded per OPC 10000-6 §5.2.6): only the fields of the
// services it calls, in their wire order. Requests are written after their RequestHeader; responses are read after
// their ResponseHeader (readServiceResponse checks the type and the service result first).
import { type Reader, type Writer } from './binary.js';
import { statusError, uaError } from './errors.js';
import { NULL_NODE_ID, ns0Numeric, nodeIdToString, readNodeId, writeNodeId, type NodeId } from './nodeid.js';
import { isBad } from './status-codes.js';
import {
  readDataValue,
  readExtensionObject,
  readLocalizedText,
  skipDiagnosticInfo,
  writeExtensionObject,
  writeLocalizedText,
  type DataValue,
  type ExtensionObject,
} from './variant.js';

/** A service and the numeric ids (namespace 0) of its request's and response's binary encodings. */
export interface Service {
  readonly name: string;
  readonly request: number;
  readonly response: number;
}

export const SERVICES = {
  openSecureChannel: { name: 'OpenSecureChannel', request: 446, response: 449 },
  closeSecureChannel: { name: 'CloseSecureChannel', request: 452, response: 455 },
  getEndpoints: { name: 'GetEndpoints', request: 428, response: 431 },
  createSession: { name: 'CreateSession', request: 461, response: 464 },
  activateSession: { name: 'ActivateSession', request: 467, response: 470 },
  closeSession: { name: 'CloseSession', request: 473, response: 476 },
  read: { name: 'Read', request: 631, response: 634 },
  createSubscription: { name: 'CreateSubscription', request: 787, response: 790 },
  createMonitoredItems: { name: 'CreateMonitoredItems', request: 751, response: 754 },
  publish: { name: 'Publish', request: 826, response: 829 },
} as const satisfies Record<string, Service>;

const SERVICE_FAULT = 397;
export const ANONYMOUS_IDENTITY_TOKEN = 321;
export const USER_NAME_IDENTITY_TOKEN = 324;
export const DATA_CHANGE_NOTIFICATION = 811;
export const STATUS_CHANGE_NOTIFICATION = 820;

/** MessageSecurityMode (OPC 10000-4 §7.20). */
export const MESSAGE_SECURITY_MODE = { None: 1, Sign: 2, SignAndEncrypt: 3 } as const;
/** UserTokenType (OPC 10000-4 §7.42). */
export const USER_TOKEN_TYPE = { Anonymous: 0, UserName: 1 } as const;
/** The only transport the gateway speaks. */
export const UA_TCP_BINARY_PROFILE = 'http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary';
/** AttributeId of a Variable's value (OPC 10000-4 §A.1). */
export const ATTRIBUTE_VALUE = 13;

export interface RequestHeader {
  readonly authenticationToken: NodeId;
  readonly requestHandle: number;
  /** How long the server may take before it gives up, ms; 0: no limit. */
  readonly timeoutHintMs: number;
}

export function writeRequestHeader(w: Writer, h: RequestHeader): void {
  writeNodeId(w, h.authenticationToken);
  w.dateTime(Date.now());
  w.u32(h.requestHandle);
  w.u32(0); // returnDiagnostics
  w.string(null); // auditEntryId
  w.u32(Math.min(h.timeoutHintMs, 0xffff_ffff));
  writeExtensionObject(w, { typeId: NULL_NODE_ID });
}

export interface ResponseHeader {
  readonly requestHandle: number;
  readonly serviceResult: number;
}

export function readResponseHeader(r: Reader): ResponseHeader {
  r.dateTime();
  const requestHandle = r.u32();
  const serviceResult = r.u32();
  skipDiagnosticInfo(r);
  r.array('StringTable', 4, () => r.string());
  readExtensionObject(r);
  return { requestHandle, serviceResult };
}

/** Reads a response's type id and header; throws on a ServiceFault, an unexpected type, or a Bad service result. */
export function readServiceResponse(r: Reader, service: Service): ResponseHeader {
  const typeId = readNodeId(r);
  const id = ns0Numeric(typeId);
  if (id === SERVICE_FAULT) {
    const { serviceResult } = readResponseHeader(r);
    throw statusError(`${service.name} refused`, isBad(serviceResult) ? serviceResult : 0x8000_0000);
  }
  if (id !== service.response) {
    throw uaError('IOC_ERR_OPCUA_PROTOCOL', `${service.name}: the server answered with type ${nodeIdToString(typeId)}`);
  }
  const header = readResponseHeader(r);
  if (isBad(header.serviceResult)) throw statusError(`${service.name} refused`, header.serviceResult);
  return header;
}

// --- OpenSecureChannel (OPC 10000-6 §6.7.4) ------------------------------------------------------------------------

export interface OpenSecureChannelRequest {
  /** 0 Issue, 1 Renew. */
  readonly requestType: 0 | 1;
  readonly securityMode: number;
  readonly clientNonce: Buffer | null;
  readonly requestedLifetimeMs: number;
}

export function writeOpenSecureChannelRequest(w: Writer, req: OpenSecureChannelRequest): void {
  w.u32(0); // ClientProtocolVersion
  w.u32(req.requestType);
  w.u32(req.securityMode);
  w.byteString(req.clientNonce);
  w.u32(req.requestedLifetimeMs);
}

export interface ChannelSecurityToken {
  readonly channelId: number;
  readonly tokenId: number;
  readonly revisedLifetimeMs: number;
  readonly serverNonce: Buffer | null;
}

export function readOpenSecureChannelResponse(r: Reader): ChannelSecurityToken {
  r.u32(); // ServerProtocolVersion
  const channelId = r.u32();
  const tokenId = r.u32();
  r.dateTime(); // CreatedAt: the server's clock; the lifetime counts from the response's arrival here
  const revisedLifetimeMs = r.u32();
  const serverNonce = r.byteString('ServerNonce');
  return { channelId, tokenId, revisedLifetimeMs, serverNonce };
}

// --- GetEndpoints, and the descriptions CreateSession returns too ---------------------------------------------------

export interface UserTokenPolicy {
  readonly policyId: string | null;
  readonly tokenType: number;
  /** The policy that protects the token's secret; empty: the endpoint's. */
  readonly securityPolicyUri: string | null;
}

export interface EndpointDescription {
  readonly endpointUrl: string | null;
  readonly serverApplicationUri: string | null;
  readonly serverCertificate: Buffer | null;
  readonly securityMode: number;
  readonly securityPolicyUri: string | null;
  readonly userIdentityTokens: readonly UserTokenPolicy[];
  readonly transportProfileUri: string | null;
}

export function writeGetEndpointsRequest(w: Writer, endpointUrl: string): void {
  w.string(endpointUrl);
  w.array<string>([], (s) => w.string(s)); // LocaleIds
  w.array<string>([], (s) => w.string(s)); // ProfileUris
}

export function readGetEndpointsResponse(r: Reader): EndpointDescription[] {
  return r.array('Endpoints', 50, () => readEndpointDescription(r));
}

function readApplicationUri(r: Reader): string | null {
  const applicationUri = r.string('ApplicationUri');
  r.string(); // ProductUri
  readLocalizedText(r); // ApplicationName
  r.u32(); // ApplicationType
  r.string(); // GatewayServerUri
  r.string(); // DiscoveryProfileUri
  r.array('DiscoveryUrls', 4, () => r.string());
  return applicationUri;
}

function readEndpointDescription(r: Reader): EndpointDescription {
  const endpointUrl = r.string('EndpointUrl');
  const serverApplicationUri = readApplicationUri(r);
  const serverCertificate = r.byteString('ServerCertificate');
  const securityMode = r.u32();
  const securityPolicyUri = r.string('SecurityPolicyUri');
  const userIdentityTokens = r.array('UserIdentityTokens', 20, () => readUserTokenPolicy(r));
  const transportProfileUri = r.string('TransportProfileUri');
  r.u8(); // SecurityLevel
  return { endpointUrl, serverApplicationUri, serverCertificate, securityMode, securityPolicyUri, userIdentityTokens, transportProfileUri };
}

function readUserTokenPolicy(r: Reader): UserTokenPolicy {
  const policyId = r.string('PolicyId');
  const tokenType = r.u32();
  r.string(); // IssuedTokenType
  r.string(); // IssuerEndpointUrl
  const securityPolicyUri = r.string('SecurityPolicyUri');
  return { policyId, tokenType, securityPolicyUri };
}

// --- CreateSession, ActivateSession, CloseSession -------------------------------------------------------------------

export interface CreateSessionRequest {
  readonly applicationUri: string;
  readonly applicationName: string;
  readonly endpointUrl: string;
  readonly sessionName: string;
  readonly clientNonce: Buffer;
  readonly clientCertificate: Buffer | null;
  readonly requestedSessionTimeoutMs: number;
  readonly maxResponseMessageSize: number;
}

export function writeCreateSessionRequest(w: Writer, req: CreateSessionRequest): void {
  w.string(req.applicationUri);
  w.string(`urn:ioc-telemetry:${req.applicationName}`); // ProductUri
  writeLocalizedText(w, { text: req.applicationName });
  w.u32(1); // ApplicationType Client
  w.string(null); // GatewayServerUri
  w.string(null); // DiscoveryProfileUri
  w.array<string>([], (s) => w.string(s)); // DiscoveryUrls
  w.string(null); // ServerUri
  w.string(req.endpointUrl);
  w.string(req.sessionName);
  w.byteString(req.clientNonce);
  w.byteString(req.clientCertificate);
  w.f64(req.requestedSessionTimeoutMs);
  w.u32(req.maxResponseMessageSize);
}

export interface SignatureData {
  readonly algorithm: string | null;
  readonly signature: Buffer | null;
}

export interface CreateSessionResponse {
  readonly authenticationToken: NodeId;
  readonly revisedSessionTimeoutMs: number;
  readonly serverNonce: Buffer | null;
  readonly serverCertificate: Buffer | null;
  readonly serverEndpoints: readonly EndpointDescription[];
  readonly serverSignature: SignatureData;
}

export function readCreateSessionResponse(r: Reader): CreateSessionResponse {
  readNodeId(r); // SessionId
  const authenticationToken = readNodeId(r);
  const revisedSessionTimeoutMs = r.f64();
  const serverNonce = r.byteString('ServerNonce');
  const serverCertificate = r.byteString('ServerCertificate');
  const serverEndpoints = r.array('ServerEndpoints', 50, () => readEndpointDescription(r));
  r.array('ServerSoftwareCertificates', 8, () => [r.byteString(), r.byteString()]);
  const serverSignature = readSignatureData(r);
  r.u32(); // MaxRequestMessageSize
  return { authenticationToken, revisedSessionTimeoutMs, serverNonce, serverCertificate, serverEndpoints, serverSignature };
}

function readSignatureData(r: Reader): SignatureData {
  return { algorithm: r.string('SignatureData algorithm'), signature: r.byteString('SignatureData signature') };
}

function writeSignatureData(w: Writer, s: SignatureData): void {
  w.string(s.algorithm).byteString(s.signature);
}

export const NULL_SIGNATURE: SignatureData = { algorithm: null, signature: null };

export interface ActivateSessionRequest {
  readonly clientSignature: SignatureData;
  readonly userIdentityToken: ExtensionObject;
}

export function writeActivateSessionRequest(w: Writer, req: ActivateSessionRequest): void {
  writeSignatureData(w, req.clientSignature);
  w.array<never>([], () => undefined); // ClientSoftwareCertificates
  w.array<string>([], (s) => w.string(s)); // LocaleIds
  writeExtensionObject(w, req.userIdentityToken);
  writeSignatureData(w, NULL_SIGNATURE); // UserTokenSignature
}

export function readActivateSessionResponse(r: Reader): { serverNonce: Buffer | null } {
  const serverNonce = r.byteString('ServerNonce');
  return { serverNonce };
}

export function writeAnonymousIdentityToken(w: Writer, policyId: string | null): void {
  w.string(policyId);
}

export interface UserNameIdentityToken {
  readonly policyId: string | null;
  readonly userName: string;
  /** The password, or its encryption (OPC 10000-4 §7.41.2.3). */
  readonly password: Buffer;
  /** The AsymmetricEncryptionAlgorithm URI; null for a password in clear. */
  readonly encryptionAlgorithm: string | null;
}

export function writeUserNameIdentityToken(w: Writer, token: UserNameIdentityToken): void {
  w.string(token.policyId).string(token.userName).byteString(token.password).string(token.encryptionAlgorithm);
}

export function writeCloseSessionRequest(w: Writer, deleteSubscriptions: boolean): void {
  w.bool(deleteSubscriptions);
}

// --- Read (the server's NamespaceArray, for `nsu=` NodeIds) --------------------------------------------------------

export function writeReadRequest(w: Writer, nodeIds: readonly NodeId[]): void {
  w.f64(0); // MaxAge
  w.u32(3); // TimestampsToReturn Neither
  w.array(nodeIds, (nodeId) => writeReadValueId(w, nodeId));
}

export function readReadResponse(r: Reader): DataValue[] {
  const results = r.array('Results', 1, () => readDataValue(r));
  r.array('DiagnosticInfos', 1, () => skipDiagnosticInfo(r));
  return results;
}

function writeReadValueId(w: Writer, nodeId: NodeId): void {
  writeNodeId(w, nodeId);
  w.u32(ATTRIBUTE_VALUE);
  w.string(null); // IndexRange
  w.u16(0).string(null); // DataEncoding: null QualifiedName
}

// --- Subscriptions and monitored items (OPC 10000-4 §5.12, §5.13) ---------------------------------------------------

export interface CreateSubscriptionRequest {
  readonly publishingIntervalMs: number;
  readonly lifetimeCount: number;
  readonly maxKeepAliveCount: number;
  readonly maxNotificationsPerPublish: number;
  readonly priority: number;
}

export function writeCreateSubscriptionRequest(w: Writer, req: CreateSubscriptionRequest): void {
  w.f64(req.publishingIntervalMs).u32(req.lifetimeCount).u32(req.maxKeepAliveCount);
  w.u32(req.maxNotificationsPerPublish).bool(true).u8(req.priority);
}

export interface CreateSubscriptionResponse {
  readonly subscriptionId: number;
  readonly publishingIntervalMs: number;
  readonly lifetimeCount: number;
  readonly maxKeepAliveCount: number;
}

export function readCreateSubscriptionResponse(r: Reader): CreateSubscriptionResponse {
  return { subscriptionId: r.u32(), publishingIntervalMs: r.f64(), lifetimeCount: r.u32(), maxKeepAliveCount: r.u32() };
}

export interface MonitoredItemRequest {
  readonly nodeId: NodeId;
  /** Comes back in every notification of the item: the gateway uses the item's index. */
  readonly clientHandle: number;
  readonly samplingIntervalMs: number;
  readonly queueSize: number;
  readonly discardOldest: boolean;
}

/** TimestampsToReturn Both, MonitoringMode Reporting, no filter (the server's default: status or value changed). */
export function writeCreateMonitoredItemsRequest(w: Writer, subscriptionId: number, items: readonly MonitoredItemRequest[]): void {
  w.u32(subscriptionId);
  w.u32(2); // TimestampsToReturn Both
  w.array(items, (item) => {
    writeReadValueId(w, item.nodeId);
    w.u32(2); // MonitoringMode Reporting
    w.u32(item.clientHandle).f64(item.samplingIntervalMs);
    writeExtensionObject(w, { typeId: NULL_NODE_ID }); // Filter
    w.u32(item.queueSize).bool(item.discardOldest);
  });
}

/** The StatusCode of each item created, in request order. */
export function readCreateMonitoredItemsResponse(r: Reader): number[] {
  const results = r.array('Results', 23, () => {
    const statusCode = r.u32();
    r.u32(); // MonitoredItemId
    r.f64(); // RevisedSamplingInterval
    r.u32(); // RevisedQueueSize
    readExtensionObject(r); // FilterResult
    return statusCode;
  });
  r.array('DiagnosticInfos', 1, () => skipDiagnosticInfo(r));
  return results;
}

export interface SubscriptionAcknowledgement {
  readonly subscriptionId: number;
  readonly sequenceNumber: number;
}

export function writePublishRequest(w: Writer, acks: readonly SubscriptionAcknowledgement[]): void {
  w.array(acks, (ack) => w.u32(ack.subscriptionId).u32(ack.sequenceNumber));
}

export interface PublishResponse {
  readonly subscriptionId: number;
  readonly sequenceNumber: number;
  /** Empty for a keep-alive. */
  readonly notificationData: readonly ExtensionObject[];
}

export function readPublishResponse(r: Reader): PublishResponse {
  const subscriptionId = r.u32();
  r.array('AvailableSequenceNumbers', 4, () => r.u32());
  r.bool(); // MoreNotifications: the next publish request fetches them
  const sequenceNumber = r.u32();
  r.dateTime(); // PublishTime
  const notificationData = r.array('NotificationData', 3, () => readExtensionObject(r));
  r.array('Results', 4, () => r.u32());
  r.array('DiagnosticInfos', 1, () => skipDiagnosticInfo(r));
  return { subscriptionId, sequenceNumber, notificationData };
}

export interface MonitoredItemNotification {
  readonly clientHandle: number;
  readonly value: DataValue;
}

export function readDataChangeNotification(r: Reader): MonitoredItemNotification[] {
  const items = r.array('MonitoredItems', 5, () => ({ clientHandle: r.u32(), value: readDataValue(r) }));
  r.array('DiagnosticInfos', 1, () => skipDiagnosticInfo(r));
  return items;
}

export function readStatusChangeNotification(r: Reader): number {
  const status = r.u32();
  skipDiagnosticInfo(r);
  return status;
}
