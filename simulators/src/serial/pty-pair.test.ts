import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, lstat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair, PTY_ERRORS, type PtyPair } from './pty-pair.js';
import { openTtyPort, type TtyPort } from './tty-port.js';

/** True while the process exists and is not a zombie waiting for a reaper. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

function firstChunk(port: TtyPort): Promise<Buffer> {
  return new Promise((resolve) => port.onData(resolve));
}

let dir: string;
let pair: PtyPair | undefined;
const ports: TtyPort[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ioc-pty-'));
});

afterEach(async () => {
  await Promise.all(ports.splice(0).map((p) => p.close()));
  await pair?.close();
  pair = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('openPtyPair', () => {
  it('joins the device end to the host end in both directions', async () => {
    pair = await openPtyPair(dir);
    expect(pair.devicePath).toBe(join(dir, 'ttySIM'));
    expect(pair.hostPath).toBe(join(dir, 'ttyDEV'));
    const device = await openTtyPort(pair.devicePath);
    const host = await openTtyPort(pair.hostPath);
    ports.push(device, host);

    const atHost = firstChunk(host);
    await device.write(Buffer.from([0x42, 0x4d, 0x00, 0xff, 0x0a, 0x0d]));
    expect((await atHost).toString('hex')).toBe('424d00ff0a0d'); // raw: no CR/LF translation, no echo
    const atDevice = firstChunk(device);
    await host.write(Buffer.from('424de200000171', 'hex'));
    expect((await atDevice).toString('hex')).toBe('424de200000171');
  });

  it('takes custom link names', async () => {
    pair = await openPtyPair(dir, { deviceName: 'pmsA', hostName: 'ttyUSB0' });
    expect(pair.hostPath).toBe(join(dir, 'ttyUSB0'));
    await expect(lstat(join(dir, 'pmsA'))).resolves.toBeTruthy();
  });

  it('close() ends socat, removes the links and can be called twice', async () => {
    pair = await openPtyPair(dir);
    expect(await isAlive(pair.pid)).toBe(true);
    await pair.close();
    expect(await isAlive(pair.pid)).toBe(false);
    await expect(lstat(pair.hostPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await pair.close();
  });

  it('replaces a stale link left by a killed run', async () => {
    await symlink('/dev/pts/does-not-exist', join(dir, 'ttyDEV'));
    pair = await openPtyPair(dir);
    const host = await openTtyPort(pair.hostPath);
    ports.push(host);
  });

  it('fails with IOC_ERR_SOCAT_MISSING and the apt-get hint when socat is absent', async () => {
    const err = await openPtyPair(dir, { socatPath: join(dir, 'no-socat-here') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: PTY_ERRORS.socatMissing });
    expect((err as Error).message).toContain('sudo apt-get install socat');
  });

  it('fails with IOC_ERR_PTY_START and socat’s words when a link cannot be made', async () => {
    const err = await openPtyPair(join(dir, 'missing-dir')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: PTY_ERRORS.start });
    expect((err as Error).message).toMatch(/symlink|No such file/);
  });
});

describe('socat does not outlive its parent', () => {
  // The parent is a separate node process running the transpiled module, so its exit is real.
  async function runParent(script: string): Promise<number> {
    const root = join(dir, 'mod');
    const here = dirname(fileURLToPath(import.meta.url));
    for (const rel of ['serial/pty-pair.ts', 'util/errors.ts']) {
      const source = await readFile(join(here, '..', rel), 'utf8');
      const out = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel.replace(/\.ts$/, '.js')), out);
    }
    await writeFile(join(root, 'package.json'), '{"type":"module"}');
    await writeFile(join(root, 'parent.js'), script);
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'parent.js'), dir]);
    return Number(stdout.trim());
  }

  it('when the parent ends by itself without close()', async () => {
    const pid = await runParent(`import { openPtyPair } from './serial/pty-pair.js';
      const pair = await openPtyPair(process.argv[2]);
      console.log(pair.pid);`);
    expect(pid).toBeGreaterThan(0);
    expect(await eventually(async () => !(await isAlive(pid)))).toBe(true);
  });

  it('when the parent calls process.exit()', async () => {
    const pid = await runParent(`import { openPtyPair } from './serial/pty-pair.js';
      const pair = await openPtyPair(process.argv[2]);
      console.log(pair.pid);
      setInterval(() => {}, 1000);
      setTimeout(() => process.exit(3), 50);`).catch((err: { stdout?: string }) => Number(err.stdout?.trim()));
    expect(pid).toBeGreaterThan(0);
    expect(await eventually(async () => !(await isAlive(pid)))).toBe(true);
  });
});
