import { close as closeFdCb, constants, open } from 'node:fs';
import { isatty, ReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { codedError } from '../util/errors.js';

const openFd = promisify(open);
const closeFd = promisify(closeFdCb);

/** One end of a pty, opened the way a device (or a test) uses it: raw bytes in, raw bytes out. Baud is ignored. */
export interface TtyPort {
  /** Resolves once the bytes are handed to the kernel. Rejects after close(). */
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the receiver of every chunk read from the port; chunks arrive in order. */
  onData(listener: (chunk: Buffer) => void): void;
  /** Closes the fd; no data callbacks and no writes after it resolves. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a tty (pty end) non-blocking through libuv's tty handle, so reads never park a thread-pool thread and
 * close() ends them at once.
 */
export async function openTtyPort(path: string): Promise<TtyPort> {
  const fd = await openFd(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  if (!isatty(fd)) {
    await closeFd(fd);
    throw codedError('IOC_ERR_NOT_A_TTY', `${path} is not a tty`);
  }
  const stream = new ReadStream(fd);
  // A hang-up of the other side surfaces as EIO; the owner learns of it by the writes that fail.
  stream.on('error', () => undefined);
  let closed: Promise<void> | undefined;
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(codedError('IOC_ERR_PORT_CLOSED', `${path} is closed`));
          return;
        }
        stream.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
    onData: (listener) => {
      stream.on('data', (chunk: Buffer) => {
        if (!closed) listener(chunk);
      });
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        // A hang-up (EIO) may have destroyed the stream already.
        if (stream.closed) {
          resolve();
          return;
        }
        stream.once('close', () => resolve());
        stream.destroy();
      })),
  };
}
