import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { codedError } from '../../util/errors.js';
import { createPrng, type Prng } from '../../util/prng.js';
import { RtspRequestReader, rtspReply } from './rtsp.js';

/**
 * What a camera that is down looks like from the network. 'refuse': its ports are closed (connection refused), as
 * a camera whose services crashed or whose switch port answers RST. 'silent': connections are accepted and never
 * answered, as a hung camera. 'garbage': each connection gets 1–64 random bytes and is closed.
 */
export type CameraDownMode = 'refuse' | 'silent' | 'garbage';

/** A window of downtime, ms relative to the fleet's start: down for fromMs ≤ t < toMs. */
export interface DownWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface FleetCameraOptions {
  /** Camera id (the sensor id its heartbeats are reported under). */
  readonly id: string;
  /** Responders the camera has. Default 'both'. */
  readonly protocols?: 'rtsp' | 'http' | 'both';
  /** Scheduled downtime. Default none. */
  readonly down?: readonly DownWindow[];
  /** Default 'refuse'. */
  readonly downMode?: CameraDownMode;
}

export interface CameraFleetOptions {
  readonly cameras: readonly FleetCameraOptions[];
  /** Epoch ms; schedules are relative to its value at start(). Default Date.now. */
  readonly clock?: () => number;
  /** How often schedules are applied to 'refuse' cameras' ports, ms; 0: only by sync(). Default 100. */
  readonly syncIntervalMs?: number;
  /** Path of the HTTP status page. Default '/status'. */
  readonly statusPath?: string;
  /** Seed of the garbage bytes. Default 1. */
  readonly seed?: number;
}

/** Where a camera listens (127.0.0.1); ports are 0 for a protocol the camera does not have. */
export interface CameraEndpoints {
  readonly id: string;
  readonly host: '127.0.0.1';
  readonly rtspPort: number;
  readonly httpPort: number;
  /** `rtsp://127.0.0.1:<rtspPort>/` */
  readonly rtspUrl: string;
  /** `http://127.0.0.1:<httpPort>/status` */
  readonly statusUrl: string;
}

export interface CameraFleetStats {
  /** RTSP requests answered (any status), and of them OPTIONS answered 200. */
  rtspRequests: number;
  rtspOk: number;
  /** HTTP requests answered (any status). */
  httpRequests: number;
  /** Connections accepted while down in 'silent' mode and left unanswered. */
  silentConnections: number;
  /** Garbage bytes sent while down in 'garbage' mode. */
  garbageBytes: number;
  /** Times a port could not be listened on again after a 'refuse' downtime (taken meanwhile); retried at next sync. */
  relistenErrors: number;
}

interface Camera {
  readonly options: FleetCameraOptions;
  /** Manual state; undefined follows the schedule. */
  override: boolean | undefined;
  /** Whether its ports listen now ('refuse' mode closes them while down). */
  listening: boolean;
  readonly rtsp: Listener | undefined;
  readonly http: Listener | undefined;
}

interface Listener {
  readonly server: Server | HttpServer;
  port: number;
  readonly sockets: Set<Socket>;
}

const HOST = '127.0.0.1';

/**
 * A fleet of traffic cameras on loopback ports: each answers RTSP `OPTIONS` with `RTSP/1.0 200 OK` and `GET /status`
 * with 200, and can be set down or up by hand or by a schedule of downtime windows (relative to start, read from an
 * injectable clock). It shares no code with the edge's probes.
 */
export class CameraFleet {
  private readonly cameras = new Map<string, Camera>();
  private readonly clock: () => number;
  private readonly prng: Prng;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly counters: CameraFleetStats = {
    rtspRequests: 0,
    rtspOk: 0,
    httpRequests: 0,
    silentConnections: 0,
    garbageBytes: 0,
    relistenErrors: 0,
  };

  constructor(private readonly options: CameraFleetOptions) {
    this.clock = options.clock ?? Date.now;
    this.prng = createPrng(options.seed ?? 1);
    for (const camera of options.cameras) {
      if (this.cameras.has(camera.id)) throw new RangeError(`camera ${camera.id} is listed twice`);
      for (const w of camera.down ?? []) {
        if (!(w.fromMs >= 0 && w.toMs > w.fromMs)) throw new RangeError(`camera ${camera.id}: a down window needs 0 ≤ fromMs < toMs`);
      }
      const protocols = camera.protocols ?? 'both';
      this.cameras.set(camera.id, {
        options: camera,
        override: undefined,
        listening: false,
        rtsp: protocols === 'http' ? undefined : this.rtspListener(camera.id),
        http: protocols === 'rtsp' ? undefined : this.httpListener(camera.id),
      });
    }
  }

  /** Listens on a free port per camera and protocol, then applies the schedule. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw codedError('IOC_ERR_SIM_STATE', 'fleet already started');
    this.state = 'running';
    this.startedAt = this.clock();
    for (const camera of this.cameras.values()) {
      for (const listener of [camera.rtsp, camera.http]) if (listener) listener.port = await listen(listener.server, 0);
      camera.listening = true;
    }
    await this.sync();
    const every = this.options.syncIntervalMs ?? 100;
    if (every > 0) this.timer = setInterval(() => void this.sync(), every);
  }

  /** Closes every port and connection; nothing is answered after this resolves. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    clearInterval(this.timer);
    await this.syncing;
    for (const camera of this.cameras.values()) {
      const listeners = [camera.rtsp, camera.http].filter((l): l is Listener => l !== undefined);
      await Promise.all(listeners.map((l) => closeListener(l, camera.listening)));
      camera.listening = false;
    }
  }

  /** The ports of camera `id`. */
  camera(id: string): CameraEndpoints {
    const camera = this.cameras.get(id);
    if (!camera) throw codedError('IOC_ERR_SIM_UNKNOWN', `no camera ${id}`);
    const rtspPort = camera.rtsp?.port ?? 0;
    const httpPort = camera.http?.port ?? 0;
    const statusPath = this.options.statusPath ?? '/status';
    return { id, host: HOST, rtspPort, httpPort, rtspUrl: `rtsp://${HOST}:${rtspPort}/`, statusUrl: `http://${HOST}:${httpPort}${statusPath}` };
  }

  /** Every camera's ports, in the order given. */
  endpoints(): CameraEndpoints[] {
    return [...this.cameras.keys()].map((id) => this.camera(id));
  }

  /** Whether camera `id` is up now: its manual state if set, else its schedule at clock() − start. */
  isUp(id: string): boolean {
    const camera = this.cameras.get(id);
    if (!camera) throw codedError('IOC_ERR_SIM_UNKNOWN', `no camera ${id}`);
    if (camera.override !== undefined) return camera.override;
    const t = this.clock() - this.startedAt;
    return !(camera.options.down ?? []).some((w) => t >= w.fromMs && t < w.toMs);
  }

  /** Sets camera `id` up or down by hand (undefined: back to its schedule) and applies it before resolving. */
  async setUp(id: string, up: boolean | undefined): Promise<void> {
    const camera = this.cameras.get(id);
    if (!camera) throw codedError('IOC_ERR_SIM_UNKNOWN', `no camera ${id}`);
    camera.override = up;
    await this.sync();
  }

  /** Opens or closes the ports of 'refuse' cameras to match isUp() now (the timer does this every syncIntervalMs). */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.applyStates());
    return this.syncing;
  }

  stats(): CameraFleetStats {
    return { ...this.counters };
  }

  private async applyStates(): Promise<void> {
    if (this.state !== 'running') return;
    for (const [id, camera] of this.cameras) {
      if ((camera.options.downMode ?? 'refuse') !== 'refuse') continue;
      const up = this.isUp(id);
      if (up === camera.listening) continue;
      const listeners = [camera.rtsp, camera.http].filter((l): l is Listener => l !== undefined);
      if (!up) {
        await Promise.all(listeners.map((l) => closeListener(l, true)));
        camera.listening = false;
        continue;
      }
      try {
        for (const l of listeners) if (!l.server.listening) await listen(l.server, l.port);
        camera.listening = true;
      } catch {
        this.counters.relistenErrors += 1;
      }
    }
  }

  /** True when the connection must be left to the down behaviour (and that behaviour was applied). */
  private downBehaviour(id: string, socket: Socket): boolean {
    if (this.isUp(id)) return false;
    const mode = this.cameras.get(id)?.options.downMode ?? 'refuse';
    if (mode === 'garbage') {
      const bytes = Buffer.from(Array.from({ length: this.prng.int(1, 64) }, () => this.prng.int(0, 255)));
      this.counters.garbageBytes += bytes.length;
      socket.end(bytes);
    } else if (mode === 'silent') {
      this.counters.silentConnections += 1;
    } else {
      socket.destroy(); // 'refuse' between a schedule change and the next sync
    }
    return true;
  }

  private rtspListener(id: string): Listener {
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      track(sockets, socket);
      if (this.downBehaviour(id, socket)) return;
      const reader = new RtspRequestReader();
      socket.on('data', (chunk: Buffer) => {
        const heads = reader.push(chunk);
        if (heads === 'overflow') {
          socket.end('RTSP/1.0 400 Bad Request\r\n\r\n');
          return;
        }
        for (const head of heads) {
          if (!this.isUp(id)) return; // went down mid-connection: answers stop
          const { reply, close } = rtspReply(head);
          this.counters.rtspRequests += 1;
          if (reply.startsWith('RTSP/1.0 200')) this.counters.rtspOk += 1;
          if (close) socket.end(reply);
          else socket.write(reply);
        }
      });
    });
    return { server, port: 0, sockets };
  }

  private httpListener(id: string): Listener {
    const sockets = new Set<Socket>();
    const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      if (this.downBehaviour(id, req.socket)) return;
      this.counters.httpRequests += 1;
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405, { allow: 'GET, HEAD' }).end();
      else if (path !== (this.options.statusPath ?? '/status')) res.writeHead(404).end();
      else {
        const body = JSON.stringify({ id, online: true, uptimeS: Math.floor((this.clock() - this.startedAt) / 1000) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      }
    });
    server.on('connection', (socket: Socket) => track(sockets, socket));
    return { server, port: 0, sockets };
  }
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => undefined);
}

function listen(server: Server | HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops listening and drops the open connections (a camera going down takes its sessions with it). */
async function closeListener(listener: Listener, listening: boolean): Promise<void> {
  listener.sockets.forEach((socket) => socket.destroy());
  if (!listening || !listener.server.listening) return;
  await new Promise<void>((resolve) => listener.server.close(() => resolve()));
}
