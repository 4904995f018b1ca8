// The OPC-UA client the gateway needs and nothing more (OPC 10000-4): discover the endpoint, open the secure channel,
// create and activate a session (anonymous or user name), create one subscription with its monitored items, keep
// publish requests outstanding, and close it all. No browsing, reading of values, writing, or reconnection: the owner
// (link.ts) builds a new client when anything breaks.
import { randomBytes, X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { Reader, Writer } from './binary.js';
import { asUaError, uaError, type UaError } from './errors.js';
import {
  ANONYMOUS_IDENTITY_TOKEN,
  DATA_CHANGE_NOTIFICATION,
  MESSAGE_SECURITY_MODE,
  NULL_SIGNATURE,
  SERVICES,
  STATUS_CHANGE_NOTIFICATION,
  UA_TCP_BINARY_PROFILE,
  USER_NAME_IDENTITY_TOKEN,
  USER_TOKEN_TYPE,
  readActivateSessionResponse,
  readCreateMonitoredItemsResponse,
  readCreateSessionResponse,
  readCreateSubscriptionResponse,
  readDataChangeNotification,
  readGetEndpointsResponse,
  readPublishResponse,
  readReadResponse,
  readServiceResponse,
  readStatusChangeNotification,
  writeActivateSessionRequest,
  writeAnonymousIdentityToken,
  writeCloseSessionRequest,
  writeCreateMonitoredItemsRequest,
  writeCreateSessionRequest,
  writeCreateSubscriptionRequest,
  writeGetEndpointsRequest,
  writePublishRequest,
  writeReadRequest,
  writeRequestHeader,
  writeUserNameIdentityToken,
  type CreateSessionResponse,
  type EndpointDescription,
  type MonitoredItemRequest,
  type PublishResponse,
  type Service,
  type SignatureData,
  type SubscriptionAcknowledgement,
  type UserTokenPolicy,
} from './messages.js';
import { NULL_NODE_ID, ns0Numeric, numericNodeId, parseNodeId, writeNodeId, type NodeId, type ParsedNodeId } from './nodeid.js';
import { APPLICATION_NAME, applicationUriFor, checkServerCertificate, ownCertificate, type OwnCertificate } from './pki.js';
import { SecureChannel } from './secure-channel.js';
import { SECURITY_POLICIES, asymmetricSign, asymmetricVerify, policyOfUri, rsaEncrypt, type SecurityPolicy, type SecurityPolicyName } from './security.js';
import { statusName } from './status-codes.js';
import { CLIENT_LIMITS } from './transport.js';
import type { DataValue } from './variant.js';
import { chainCertificates, leafCertificate } from './x509.js';

export interface UaClientOptions {
  /** `opc.tcp://host:port[/path]`. */
  readonly endpointUrl: string;
  readonly securityMode: 'None' | 'SignAndEncrypt';
  /** Ignored (None) with securityMode None. */
  readonly securityPolicy: SecurityPolicyName;
  /** The PKI folder (see pki.ts); used with SignAndEncrypt only. */
  readonly pkiDir: string;
  readonly trustUnknownServerCertificate: boolean;
  /** A UserName identity; anonymous when absent. */
  readonly user?: { readonly userName: string; readonly password: string };
  /** Bound of each service call and OpenSecureChannel, ms. */
  readonly requestTimeoutMs: number;
  /** Session timeout asked of the server, ms: longer than the subscription's keep-alive period. */
  readonly sessionTimeoutMs: number;
  /** Security token lifetime asked of the server, ms (default 10 min; renewed at 75 %). */
  readonly tokenLifetimeMs?: number;
  readonly log?: { warn(obj: object, msg: string): void };
}

export interface SubscribeOptions {
  readonly publishingIntervalMs: number;
  readonly maxKeepAliveCount: number;
  readonly lifetimeCount: number;
  /** NodeIds in their string form; a data change of item i is reported with index i. */
  readonly nodeIds: readonly string[];
  readonly samplingIntervalMs: number;
  readonly queueSize: number;
}

export interface SubscriptionInfo {
  /** As revised by the server. */
  readonly publishingIntervalMs: number;
  readonly maxKeepAliveCount: number;
  /** The StatusCode of each item, in the order of nodeIds (Good, or why the server or the gateway refused it). */
  readonly itemStatus: readonly number[];
}

export interface SubscriptionHandlers {
  /** A data change of item `index`. Must not throw. */
  onDataChange(index: number, value: DataValue): void;
  /** Any publish response (data or keep-alive): the subscription is alive. */
  onPublish(): void;
  /** The server ended the subscription or the session (StatusChangeNotification, Bad publish result). */
  onEnd(err: UaError): void;
}

interface Publishing {
  readonly subscriptionId: number;
  readonly itemCount: number;
  readonly handlers: SubscriptionHandlers;
  readonly timeoutHintMs: number;
  acks: SubscriptionAcknowledgement[];
  outstanding: number;
  /** Publish requests kept at the server; lowered when it answers BadTooManyPublishRequests. */
  max: number;
}

const NAMESPACE_ARRAY = 2255;
const BAD_NODE_ID_INVALID = 0x8033_0000;
const BAD_NODE_ID_UNKNOWN = 0x8034_0000;
const PUBLISH_REQUESTS = 2;
const DEFAULT_TOKEN_LIFETIME_MS = 600_000;
const CLOSE_SESSION_TIMEOUT_MS = 2000;

export class UaClient {
  private channel: SecureChannel | undefined;
  private authenticationToken: NodeId = NULL_NODE_ID;
  private lastHandle = 0;
  private closed = false;
  /** Why the connection was lost, when it was (not closed by close()). */
  private lostBy: UaError | undefined;
  private sessionOpen = false;
  private publishing: Publishing | undefined;
  private closeHandler: ((err: UaError) => void) | undefined;

  constructor(private readonly options: UaClientOptions) {}

  /** Called once when the connection is lost after connect() resolved (not after close()). */
  onClose(handler: (err: UaError) => void): void {
    this.closeHandler = handler;
  }

  /** Discovery, secure channel, session; rejects with a UaError naming the step that failed. */
  async connect(): Promise<void> {
    const { securityMode, securityPolicy, pkiDir } = this.options;
    const secure = securityMode === 'SignAndEncrypt';
    const policy = SECURITY_POLICIES[secure ? securityPolicy : 'None'];
    const own = secure ? await ownCertificate(pkiDir) : undefined;
    await this.openChannel(SECURITY_POLICIES.None);
    const endpoint = chooseEndpoint(await this.getEndpoints(), securityMode, policy);
    const sentChain = endpoint.serverCertificate ? chainCertificates(endpoint.serverCertificate) : [];
    let serverCertificate = sentChain[0];
    if (secure) {
      if (!serverCertificate) throw uaError('IOC_ERR_OPCUA_ENDPOINT', `the ${securityMode}/${policy.name} endpoint has no server certificate`);
      this.channel?.close();
      await checkServerCertificate(pkiDir, serverCertificate, this.options.trustUnknownServerCertificate, sentChain.slice(1));
      this.ensureOpen();
      await this.openChannel(policy, own, serverCertificate);
    }
    const session = await this.createSession(policy, own, serverCertificate);
    serverCertificate ??= session.serverCertificate ? leafCertificate(session.serverCertificate) : undefined;
    if (secure) checkSession(session, policy, own, serverCertificate, endpoint);
    this.authenticationToken = session.authenticationToken;
    this.sessionOpen = true;
    await this.activateSession(policy, endpoint, own, serverCertificate, session.serverNonce);
  }

  /** One subscription with a monitored item per node; publish requests flow until close() or its end. */
  async subscribe(options: SubscribeOptions, handlers: SubscriptionHandlers): Promise<SubscriptionInfo> {
    const parsed = options.nodeIds.map(tryParseNodeId);
    const namespaces = await this.namespaceArray(parsed);
    const r = await this.call(SERVICES.createSubscription, (w) =>
      writeCreateSubscriptionRequest(w, { ...options, maxNotificationsPerPublish: 0, priority: 1 }),
    );
    const subscription = readCreateSubscriptionResponse(r);
    const keepAliveMs = subscription.publishingIntervalMs * subscription.maxKeepAliveCount;
    this.publishing = {
      subscriptionId: subscription.subscriptionId,
      itemCount: options.nodeIds.length,
      handlers,
      timeoutHintMs: Math.min(0x7fff_ffff, Math.max(10_000, 3 * keepAliveMs)),
      acks: [],
      outstanding: 0,
      max: PUBLISH_REQUESTS,
    };
    this.fillPublishQueue();
    const itemStatus = await this.createMonitoredItems(subscription.subscriptionId, parsed, namespaces, options);
    return { publishingIntervalMs: subscription.publishingIntervalMs, maxKeepAliveCount: subscription.maxKeepAliveCount, itemStatus };
  }

  /** CloseSession (deleting the subscription) within 2 s, then CloseSecureChannel. Never throws; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.publishing = undefined;
    const channel = this.channel;
    if (channel && this.sessionOpen) {
      await this.call(SERVICES.closeSession, (w) => writeCloseSessionRequest(w, true), { timeoutMs: CLOSE_SESSION_TIMEOUT_MS }).catch(() => undefined);
    }
    channel?.close();
  }

  // --- Connection ------------------------------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw this.lostBy ?? uaError('IOC_ERR_OPCUA_CLOSED', 'the client was closed');
  }

  private async openChannel(policy: SecurityPolicy, own?: OwnCertificate, serverCertificate?: Buffer): Promise<void> {
    this.ensureOpen();
    const channel = new SecureChannel({
      endpointUrl: this.options.endpointUrl,
      mode: policy.name === 'None' ? 'None' : 'SignAndEncrypt',
      policy,
      ...(own ? { own } : {}),
      ...(serverCertificate ? { serverCertificate } : {}),
      requestedLifetimeMs: this.options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS,
      timeoutMs: this.options.requestTimeoutMs,
      onClose: (err) => this.channelLost(channel, err),
    });
    this.channel = channel;
    await channel.open();
    this.ensureOpen();
  }

  private channelLost(channel: SecureChannel, err: UaError): void {
    if (channel !== this.channel || this.closed) return;
    this.closed = true;
    this.lostBy = err;
    this.publishing = undefined;
    this.closeHandler?.(err);
  }

  private async getEndpoints(): Promise<EndpointDescription[]> {
    const r = await this.call(SERVICES.getEndpoints, (w) => writeGetEndpointsRequest(w, this.options.endpointUrl));
    return readGetEndpointsResponse(r);
  }

  private async createSession(policy: SecurityPolicy, own: OwnCertificate | undefined, serverCertificate: Buffer | undefined): Promise<CreateSessionResponse> {
    const clientNonce = randomBytes(32);
    const r = await this.call(SERVICES.createSession, (w) =>
      writeCreateSessionRequest(w, {
        applicationUri: own?.applicationUri ?? applicationUriFor(hostname()),
        applicationName: APPLICATION_NAME,
        endpointUrl: this.options.endpointUrl,
        sessionName: `${APPLICATION_NAME}-${clientNonce.toString('hex', 0, 4)}`,
        clientNonce,
        clientCertificate: own?.certificate ?? null,
        requestedSessionTimeoutMs: this.options.sessionTimeoutMs,
        maxResponseMessageSize: CLIENT_LIMITS.maxMessageSize,
      }),
    );
    const session = readCreateSessionResponse(r);
    if (policy.name !== 'None' && own && serverCertificate) verifyServerSignature(session.serverSignature, policy, serverCertificate, own.certificate, clientNonce);
    return session;
  }

  private async activateSession(
    policy: SecurityPolicy,
    endpoint: EndpointDescription,
    own: OwnCertificate | undefined,
    serverCertificate: Buffer | undefined,
    serverNonce: Buffer | null,
  ): Promise<void> {
    const clientSignature: SignatureData =
      policy.name !== 'None' && own && serverCertificate
        ? { algorithm: policy.signatureUri, signature: asymmetricSign(policy, own.privateKey, Buffer.concat([serverCertificate, serverNonce ?? Buffer.alloc(0)])) }
        : NULL_SIGNATURE;
    const userIdentityToken = this.identityToken(policy, endpoint, serverCertificate, serverNonce);
    const r = await this.call(SERVICES.activateSession, (w) => writeActivateSessionRequest(w, { clientSignature, userIdentityToken }));
    readActivateSessionResponse(r);
  }

  /** The identity token as an ExtensionObject: anonymous, or user name with the password encrypted as the policy asks. */
  private identityToken(channelPolicy: SecurityPolicy, endpoint: EndpointDescription, serverCertificate: Buffer | undefined, serverNonce: Buffer | null): { typeId: NodeId; body: Buffer } {
    const { user } = this.options;
    const w = new Writer();
    if (!user) {
      const tokenPolicy = endpoint.userIdentityTokens.find((t) => t.tokenType === USER_TOKEN_TYPE.Anonymous);
      if (!tokenPolicy) throw uaError('IOC_ERR_OPCUA_ENDPOINT', 'the server accepts no anonymous session on this endpoint: configure username and password');
      writeAnonymousIdentityToken(w, tokenPolicy.policyId);
      return { typeId: numericNodeId(ANONYMOUS_IDENTITY_TOKEN), body: Buffer.from(w.toBuffer()) };
    }
    const tokenPolicy = userNamePolicy(endpoint.userIdentityTokens, channelPolicy.name !== 'None');
    if (!tokenPolicy) throw uaError('IOC_ERR_OPCUA_ENDPOINT', 'the server accepts no user name on this endpoint (or only with a deprecated policy)');
    const policy = tokenPolicy.securityPolicyUri ? (policyOfUri(tokenPolicy.securityPolicyUri) ?? channelPolicy) : channelPolicy;
    const password = Buffer.from(user.password, 'utf8');
    if (policy.name === 'None') {
      if (channelPolicy.name === 'None') this.options.log?.warn({ endpoint: this.options.endpointUrl }, 'the OPC-UA server takes the password in clear over an unencrypted channel');
      writeUserNameIdentityToken(w, { policyId: tokenPolicy.policyId, userName: user.userName, password, encryptionAlgorithm: null });
    } else {
      if (!serverCertificate) throw uaError('IOC_ERR_OPCUA_ENDPOINT', 'the server gave no certificate to encrypt the password with');
      const nonce = serverNonce ?? Buffer.alloc(0);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(password.length + nonce.length);
      // OPC 10000-4 §7.41.2.3: length (UInt32), password, server nonce; encrypted with the server's public key.
      const secret = rsaEncrypt(policy, new X509Certificate(serverCertificate).publicKey, Buffer.concat([length, password, nonce]));
      writeUserNameIdentityToken(w, { policyId: tokenPolicy.policyId, userName: user.userName, password: secret, encryptionAlgorithm: policy.encryptionUri });
    }
    return { typeId: numericNodeId(USER_NAME_IDENTITY_TOKEN), body: Buffer.from(w.toBuffer()) };
  }

  // --- Subscription ------------------------------------------------------------------------------------------------

  /** The server's NamespaceArray when a NodeId names its namespace by URI (`nsu=`), else undefined. */
  private async namespaceArray(parsed: readonly (ParsedNodeId | undefined)[]): Promise<readonly (string | null)[] | undefined> {
    if (!parsed.some((p) => p?.namespaceUri !== undefined)) return undefined;
    const r = await this.call(SERVICES.read, (w) => writeReadRequest(w, [numericNodeId(NAMESPACE_ARRAY)]));
    const value = readReadResponse(r)[0]?.value;
    if (!value || value.isScalar || value.dataType !== 12) throw uaError('IOC_ERR_OPCUA_PROTOCOL', "the server's NamespaceArray is not an array of strings");
    return value.value as (string | null)[];
  }

  private async createMonitoredItems(
    subscriptionId: number,
    parsed: readonly (ParsedNodeId | undefined)[],
    namespaces: readonly (string | null)[] | undefined,
    options: SubscribeOptions,
  ): Promise<number[]> {
    const itemStatus = parsed.map((p): number => (p ? 0 : BAD_NODE_ID_INVALID));
    const requests: MonitoredItemRequest[] = [];
    parsed.forEach((p, index) => {
      if (!p) return;
      const ns = p.namespaceUri === undefined ? p.nodeId.ns : (namespaces?.indexOf(p.namespaceUri) ?? -1);
      if (ns < 0) itemStatus[index] = BAD_NODE_ID_UNKNOWN;
      else requests.push({ nodeId: { ...p.nodeId, ns }, clientHandle: index, samplingIntervalMs: options.samplingIntervalMs, queueSize: options.queueSize, discardOldest: true });
    });
    if (requests.length === 0) return itemStatus;
    const r = await this.call(SERVICES.createMonitoredItems, (w) => writeCreateMonitoredItemsRequest(w, subscriptionId, requests));
    const results = readCreateMonitoredItemsResponse(r);
    if (results.length !== requests.length) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `CreateMonitoredItems answered ${results.length} results for ${requests.length} items`);
    }
    requests.forEach((request, i) => (itemStatus[request.clientHandle] = results[i] ?? 0));
    return itemStatus;
  }

  private fillPublishQueue(): void {
    const p = this.publishing;
    while (p && p === this.publishing && p.outstanding < p.max) this.sendPublish(p);
  }

  private sendPublish(p: Publishing): void {
    const acks = p.acks;
    p.acks = [];
    p.outstanding += 1;
    this.call(SERVICES.publish, (w) => writePublishRequest(w, acks), { timeoutMs: 0, timeoutHintMs: p.timeoutHintMs })
      .then(
        (r) => this.published(p, readPublishResponse(r)),
        (err: unknown) => this.publishFailed(p, asUaError(err, 'Publish')),
      )
      .catch((err: unknown) => this.channel?.destroy(asUaError(err, 'processing a publish response')));
  }

  private published(p: Publishing, response: PublishResponse): void {
    p.outstanding -= 1;
    if (p !== this.publishing) return;
    p.handlers.onPublish();
    if (response.notificationData.length > 0) p.acks.push({ subscriptionId: response.subscriptionId, sequenceNumber: response.sequenceNumber });
    for (const notification of response.notificationData) {
      const id = ns0Numeric(notification.typeId);
      if (!(notification.body instanceof Buffer)) continue;
      if (id === DATA_CHANGE_NOTIFICATION) {
        for (const item of readDataChangeNotification(new Reader(notification.body))) {
          if (item.clientHandle < p.itemCount && p === this.publishing) p.handlers.onDataChange(item.clientHandle, item.value);
        }
      } else if (id === STATUS_CHANGE_NOTIFICATION) {
        const status = readStatusChangeNotification(new Reader(notification.body));
        this.endSubscription(p, uaError('IOC_ERR_OPCUA_STATUS', `the server ended the subscription: ${statusName(status)}`, { statusCode: status }));
      }
    }
    this.fillPublishQueue();
  }

  private publishFailed(p: Publishing, err: UaError): void {
    p.outstanding -= 1;
    if (p !== this.publishing || this.closed) return;
    if (err.statusName === 'BadTimeout') {
      this.fillPublishQueue(); // the request waited longer than its timeoutHint: send another
    } else if (err.statusName === 'BadTooManyPublishRequests') {
      p.max = Math.max(1, p.outstanding);
      if (p.outstanding === 0) this.fillPublishQueue();
    } else if (err.code !== 'IOC_ERR_OPCUA_CLOSED' && err.code !== 'IOC_ERR_OPCUA_CONNECT') {
      this.endSubscription(p, err); // BadSessionClosed, BadSessionIdInvalid, BadNoSubscription, …
    }
  }

  private endSubscription(p: Publishing, err: UaError): void {
    if (p !== this.publishing) return;
    this.publishing = undefined;
    p.handlers.onEnd(err);
  }

  // --- Calls -------------------------------------------------------------------------------------------------------

  /** One service call on the current channel; rejects on a ServiceFault or a Bad service result. */
  private async call(service: Service, write: (w: Writer) => void, timeouts: { timeoutMs?: number; timeoutHintMs?: number } = {}): Promise<Reader> {
    const channel = this.channel;
    if (!channel) throw uaError('IOC_ERR_OPCUA_CLOSED', `${service.name}: not connected`);
    const timeoutMs = timeouts.timeoutMs ?? this.options.requestTimeoutMs;
    const requestHandle = (this.lastHandle = (this.lastHandle % 0xffff_fffe) + 1);
    const w = new Writer();
    writeNodeId(w, numericNodeId(service.request));
    writeRequestHeader(w, { authenticationToken: this.authenticationToken, requestHandle, timeoutHintMs: timeouts.timeoutHintMs ?? timeoutMs });
    write(w);
    const r = await channel.request(w.toBuffer(), timeoutMs, service.name);
    const header = readServiceResponse(r, service);
    if (header.requestHandle !== requestHandle) {
      throw uaError('IOC_ERR_OPCUA_PROTOCOL', `${service.name}: response for request handle ${header.requestHandle}, not ${requestHandle}`);
    }
    return r;
  }
}

function tryParseNodeId(text: string): ParsedNodeId | undefined {
  try {
    return parseNodeId(text);
  } catch {
    return undefined;
  }
}

/** The endpoint of this security mode and policy over UA-TCP binary, or an error listing what the server offers. */
export function chooseEndpoint(endpoints: readonly EndpointDescription[], mode: 'None' | 'SignAndEncrypt', policy: SecurityPolicy): EndpointDescription {
  const wanted = MESSAGE_SECURITY_MODE[mode];
  const found = endpoints.find(
    (e) => e.securityMode === wanted && e.securityPolicyUri === policy.uri && (e.transportProfileUri ?? UA_TCP_BINARY_PROFILE) === UA_TCP_BINARY_PROFILE,
  );
  if (found) return found;
  const modes = ['Invalid', 'None', 'Sign', 'SignAndEncrypt'];
  const offered = [...new Set(endpoints.map((e) => `${modes[e.securityMode] ?? e.securityMode}/${(e.securityPolicyUri ?? '').split('#')[1] ?? '?'}`))];
  throw uaError('IOC_ERR_OPCUA_ENDPOINT', `the server offers no ${mode}/${policy.name} endpoint; it offers ${offered.join(', ') || 'none'}`);
}

/**
 * The UserName token policy to use: on an encrypted channel one that adds no encryption of its own if offered (the
 * channel protects the password), else the strongest policy the gateway speaks. Deprecated policies are skipped.
 */
export function userNamePolicy(tokens: readonly UserTokenPolicy[], encryptedChannel: boolean): UserTokenPolicy | undefined {
  const rank = (t: UserTokenPolicy): number => {
    const name = t.securityPolicyUri ? policyOfUri(t.securityPolicyUri)?.name : 'None';
    if (name === undefined) return -1;
    if (name === 'None') return encryptedChannel ? 10 : 0;
    return ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'].indexOf(name) + 1;
  };
  const candidates = tokens.filter((t) => t.tokenType === USER_TOKEN_TYPE.UserName && rank(t) >= 0);
  return candidates.sort((a, b) => rank(b) - rank(a))[0];
}

/** CreateSession's proof that the server holds its certificate's key: its signature of our certificate and nonce. */
function verifyServerSignature(signature: SignatureData, policy: SecurityPolicy, serverCertificate: Buffer, ownCertificateDer: Buffer, clientNonce: Buffer): void {
  const key = new X509Certificate(serverCertificate).publicKey;
  const valid =
    signature.algorithm === policy.signatureUri &&
    signature.signature !== null &&
    asymmetricVerify(policy, key, Buffer.concat([ownCertificateDer, clientNonce]), signature.signature);
  if (!valid) throw uaError('IOC_ERR_OPCUA_SECURITY', "CreateSession: the server's signature does not verify (BadApplicationSignatureInvalid)");
}

/** CreateSession must name the certificate the channel was opened with and still offer the endpoint chosen. */
function checkSession(session: CreateSessionResponse, policy: SecurityPolicy, own: OwnCertificate | undefined, serverCertificate: Buffer | undefined, endpoint: EndpointDescription): void {
  if (!own || !serverCertificate) return;
  if (!session.serverCertificate || !leafCertificate(session.serverCertificate).equals(serverCertificate)) {
    throw uaError('IOC_ERR_OPCUA_SECURITY', 'CreateSession: the server certificate differs from the one of the secure channel');
  }
  if ((session.serverNonce?.length ?? 0) < 32) throw uaError('IOC_ERR_OPCUA_SECURITY', 'CreateSession: server nonce shorter than 32 bytes');
  const listed = session.serverEndpoints.length === 0 || session.serverEndpoints.some((e) => e.securityMode === endpoint.securityMode && e.securityPolicyUri === policy.uri);
  if (!listed) throw uaError('IOC_ERR_OPCUA_SECURITY', 'CreateSession: the endpoint list differs from the one of GetEndpoints');
}
