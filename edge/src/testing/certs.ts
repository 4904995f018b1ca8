// Test support: a throw-away PKI made with the openssl command line (EC P-256 keys: quick to generate).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestPki {
  /** Files (PEM) for the agent's config. */
  files: { ca: string; clientCert: string; clientKey: string; otherCa: string };
  /** Buffers for the test broker. */
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
}

const openssl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
};
const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA, a server certificate for 127.0.0.1 and a client certificate signed by it, plus an unrelated CA. */
export function makeTestPki(dir: string): TestPki {
  openssl(dir, ['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ioc-test-ca']);
  openssl(dir, ['req', '-x509', ...key, '-keyout', 'other.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=someone-else']);
  writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', '127.0.0.1', ['-extfile', 'san.cnf']], ['client', 'gw-01', []]] as const) {
    openssl(dir, ['req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...ext]);
  }
  const file = (f: string): string => path.join(dir, f);
  return {
    files: { ca: file('ca.pem'), clientCert: file('client.pem'), clientKey: file('client.key'), otherCa: file('other-ca.pem') },
    ca: readFileSync(file('ca.pem')),
    serverKey: readFileSync(file('server.key')),
    serverCert: readFileSync(file('server.pem')),
  };
}
