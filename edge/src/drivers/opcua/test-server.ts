// Test support only: a minimal node-opcua server for the driver tests. The edge does not import @ioc/simulators
// (packages meet only over @ioc/protocol), so this is a deliberately small server of its own, like ../serial/pty-fixture.
import { join } from 'node:path';
import type * as Ua from 'node-opcua';

export type TestVariableType = 'Double' | 'Boolean' | 'String' | 'Int64';

export interface TestServerOptions {
  /** The server's PKI goes to pkiDir/server and pkiDir/user (never $HOME). */
  readonly pkiDir: string;
  /** 0 (default) picks a free port; give the old one to "restart" a server. */
  readonly port?: number;
  /** Accepted user names and passwords; anonymous sessions are accepted too. */
  readonly users?: Readonly<Record<string, string>>;
  /** Variables `ns=1;s=<name>`, each with its data type. */
  readonly variables: Readonly<Record<string, TestVariableType>>;
}

export interface TestOpcuaServer {
  readonly endpointUrl: string;
  readonly port: number;
  /** Sets a variable's value, StatusCode (a node-opcua StatusCodes name) and SourceTimestamp (default: now). */
  set(name: string, value: unknown, status?: string, sourceTimestamp?: Date): void;
  /** Sessions currently open. */
  sessionCount(): number;
  /** Shuts down at once (`shutdown(0)`): clients see the connection drop. */
  stop(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with None and SignAndEncrypt/Basic256Sha256 endpoints. */
export async function startTestServer(options: TestServerOptions): Promise<TestOpcuaServer> {
  const ua = await import('node-opcua');
  const manager = (name: string): Ua.OPCUACertificateManager =>
    new ua.OPCUACertificateManager({
      rootFolder: join(options.pkiDir, name),
      automaticallyAcceptUnknownCertificate: true,
      disableFileWatchers: true,
    });
  const users = options.users ?? {};
  const server = new ua.OPCUAServer({
    port: options.port ?? 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    serverCertificateManager: manager('server'),
    userCertificateManager: manager('user'),
    securityModes: [ua.MessageSecurityMode.None, ua.MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [ua.SecurityPolicy.None, ua.SecurityPolicy.Basic256Sha256],
    allowAnonymous: true,
    userManager: { isValidUser: (user: string, password: string) => users[user] === password },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('OPC-UA test server has no address space');
  const namespace = addressSpace.getOwnNamespace();
  const variables = new Map<string, { node: Ua.UAVariable; dataType: Ua.DataType }>();
  for (const [name, type] of Object.entries(options.variables)) {
    const node = namespace.addVariable({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: name,
      nodeId: `s=${name}`,
      dataType: type,
      minimumSamplingInterval: 20,
    });
    variables.set(name, { node, dataType: ua.DataType[type] });
  }
  await server.start();
  const port = server.endpoints[0]?.port ?? 0;
  return {
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    port,
    set(name, value, status = 'Good', sourceTimestamp = new Date()) {
      const variable = variables.get(name);
      if (!variable) throw new Error(`no variable ${name}`);
      const statusCode = (ua.StatusCodes as unknown as Record<string, Ua.StatusCode | undefined>)[status];
      if (!statusCode) throw new Error(`no StatusCode ${status}`);
      variable.node.setValueFromSource({ dataType: variable.dataType, arrayType: ua.VariantArrayType.Scalar, value }, statusCode, sourceTimestamp);
    },
    sessionCount: () => server.currentSessionCount,
    stop: () => server.shutdown(0),
  };
}
