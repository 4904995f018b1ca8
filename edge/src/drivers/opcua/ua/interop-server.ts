// Test support only: a node-opcua server with every security policy the gateway speaks, variables of any built-in
// type (scalar or array), user accounts, and a switch to refuse unknown client certificates. The independent
// implementation the client in this folder is tested against (../test-server.ts is the driver tests' smaller one).
import { join } from 'node:path';
import type * as Ua from 'node-opcua';

export type InteropPolicy = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

export interface InteropVariable {
  /** A node-opcua DataType name: 'Double', 'Float', 'Int64', 'UInt64', 'Boolean', 'String', 'Int32', … */
  readonly dataType: string;
  readonly array?: boolean;
}

export interface InteropServerOptions {
  /** The server's PKI goes to pkiDir/server and pkiDir/user. */
  readonly pkiDir: string;
  /** 0 (default): a free port; the old one to "restart" a server. */
  readonly port?: number;
  readonly users?: Readonly<Record<string, string>>;
  /** Variables `ns=1;s=<name>`. */
  readonly variables: Readonly<Record<string, InteropVariable>>;
  /** Accept client certificates never seen (default true); false files them in pkiDir/server/rejected. */
  readonly trustClients?: boolean;
  /** Default: all four. */
  readonly policies?: readonly InteropPolicy[];
  /** Default: both; a server with only SignAndEncrypt still answers GetEndpoints over a None channel. */
  readonly modes?: readonly ('None' | 'SignAndEncrypt')[];
}

export interface InteropServer {
  readonly endpointUrl: string;
  readonly port: number;
  /** The URI of the namespace of the variables (index 1). */
  readonly namespaceUri: string;
  /** Sets a value (a node-opcua Variant value: number, `[high, low]`, array…), StatusCode name and SourceTimestamp. */
  set(name: string, value: unknown, status?: string, sourceTimestamp?: Date): void;
  sessionCount(): number;
  /** Sends every subscription a StatusChangeNotification GoodSubscriptionTransferred, as a transfer would. */
  endSubscriptions(): number;
  stop(): Promise<void>;
}

export async function startInteropServer(options: InteropServerOptions): Promise<InteropServer> {
  const ua = await import('node-opcua');
  const manager = (name: string, accept: boolean): Ua.OPCUACertificateManager =>
    new ua.OPCUACertificateManager({ rootFolder: join(options.pkiDir, name), automaticallyAcceptUnknownCertificate: accept, disableFileWatchers: true });
  const users = options.users ?? {};
  const policies = options.policies ?? ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'];
  const server = new ua.OPCUAServer({
    port: options.port ?? 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    serverCertificateManager: manager('server', options.trustClients ?? true),
    userCertificateManager: manager('user', true),
    securityModes: (options.modes ?? ['None', 'SignAndEncrypt']).map((mode) => ua.MessageSecurityMode[mode]),
    securityPolicies: policies.map((policy) => ua.SecurityPolicy[policy]),
    allowAnonymous: true,
    userManager: { isValidUser: (user: string, password: string) => users[user] === password },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('OPC-UA interop server has no address space');
  const namespace = addressSpace.getOwnNamespace();
  const nodes = new Map<string, { node: Ua.UAVariable; dataType: Ua.DataType; array: boolean }>();
  for (const [name, variable] of Object.entries(options.variables)) {
    const node = namespace.addVariable({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: name,
      nodeId: `s=${name}`,
      dataType: variable.dataType,
      valueRank: variable.array ? 1 : -1,
      minimumSamplingInterval: 20,
    });
    const dataType = (ua.DataType as unknown as Record<string, Ua.DataType | undefined>)[variable.dataType];
    if (dataType === undefined) throw new Error(`no DataType ${variable.dataType}`);
    nodes.set(name, { node, dataType, array: variable.array ?? false });
  }
  await server.start();
  const port = server.endpoints[0]?.port ?? 0;
  return {
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    port,
    namespaceUri: namespace.namespaceUri,
    set(name, value, status = 'Good', sourceTimestamp = new Date()) {
      const entry = nodes.get(name);
      if (!entry) throw new Error(`no variable ${name}`);
      const statusCode = (ua.StatusCodes as unknown as Record<string, Ua.StatusCode | undefined>)[status];
      if (!statusCode) throw new Error(`no StatusCode ${status}`);
      const arrayType = entry.array ? ua.VariantArrayType.Array : ua.VariantArrayType.Scalar;
      entry.node.setValueFromSource({ dataType: entry.dataType, arrayType, value }, statusCode, sourceTimestamp);
    },
    sessionCount: () => server.currentSessionCount,
    endSubscriptions() {
      let count = 0;
      for (const session of server.engine.getSessions()) {
        for (const subscription of session.publishEngine.subscriptions) {
          subscription.notifyTransfer();
          count += 1;
        }
      }
      return count;
    },
    stop: () => server.shutdown(0),
  };
}
