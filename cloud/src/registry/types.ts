/** A monitoring site: a station, a district office roof, a crossroads with cameras. */
export interface Site {
  id: string;
  nameVi: string | null;
  nameEn: string | null;
  district: string | null;
  /** WGS 84 degrees. */
  lat: number | null;
  lon: number | null;
  createdAt: number;
}
export type SiteInput = { id: string } & Partial<Pick<Site, 'nameVi' | 'nameEn' | 'district' | 'lat' | 'lon'>>;

export interface Gateway {
  id: string;
  site: string;
  name: string | null;
  description: string | null;
  createdAt: number;
  rotatedAt: number | null;
  revokedAt: number | null;
}

/** gain and offset applied at the edge: value = raw · gain + offset. */
export interface Calibration {
  gain: number;
  offset: number;
}

export interface Sensor {
  gateway: string;
  /** Unique within its gateway. */
  id: string;
  /** The edge driver that reads it (pms5003, sds011, modbus-rtu, opcua, camera). */
  driver: string;
  metrics: string[];
  calibration: Record<string, Calibration>;
  lat: number | null;
  lon: number | null;
  description: string | null;
  createdAt: number;
}
export type SensorInput = Pick<Sensor, 'gateway' | 'id' | 'driver'> &
  Partial<Pick<Sensor, 'metrics' | 'calibration' | 'lat' | 'lon' | 'description'>>;

export type CameraProbe = 'rtsp' | 'http' | 'tcp' | 'opcua';
export interface Camera {
  id: string;
  site: string;
  gateway: string | null;
  name: string | null;
  probe: CameraProbe;
  /** host:port, or a status URL for http probes. */
  address: string | null;
  lat: number | null;
  lon: number | null;
  createdAt: number;
}
export type CameraInput = Pick<Camera, 'id' | 'site'> & Partial<Pick<Camera, 'gateway' | 'name' | 'probe' | 'address' | 'lat' | 'lon'>>;

export type ServiceRole = 'ingest' | 'observer';
/** admin: everything; technician: provisioning; officer: alerts and reading; viewer: reading. */
export type ApiRole = 'admin' | 'technician' | 'officer' | 'viewer';
export const API_ROLES: readonly ApiRole[] = ['admin', 'technician', 'officer', 'viewer'];

export interface ApiTokenInfo {
  /** First 12 hex digits of the token's digest: names a token without revealing it. */
  id: string;
  name: string;
  role: ApiRole;
  createdAt: number;
  revokedAt: number | null;
}

export interface GatewayConfigRecord {
  gateway: string;
  version: number;
  body: unknown;
  pushedBy: string;
  pushedAt: number;
  ackedAt: number | null;
  ackOk: boolean | null;
  ackError: string | null;
}

/** What an upsert did: `unchanged` makes imports idempotent (no write, no audit entry). */
export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface AuditEntry {
  seq: number;
  ts: number;
  actor: string;
  action: string;
  subject: string;
  detail: string | null;
}
