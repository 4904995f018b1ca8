import type { Camera, GatewayConfigRecord, Gateway, Sensor, Site, ApiTokenInfo, ApiRole, CameraProbe, Calibration } from './types.js';

/** Row shapes as SQLite returns them, and their mapping to the registry's types. */
export interface SiteRow { id: string; name_vi: string | null; name_en: string | null; district: string | null; lat: number | null; lon: number | null; created_at: number }
export interface GatewayRow { id: string; site_id: string; name: string | null; description: string | null; created_at: number; rotated_at: number | null; revoked_at: number | null }
export interface SensorRow { gateway_id: string; id: string; driver: string; metrics: string; calibration: string; lat: number | null; lon: number | null; description: string | null; created_at: number }
export interface CameraRow { id: string; site_id: string; gateway_id: string | null; name: string | null; probe: CameraProbe; address: string | null; lat: number | null; lon: number | null; created_at: number }
export interface TokenRow { digest: string; name: string; role: ApiRole; created_at: number; revoked_at: number | null }
export interface ConfigRow { gateway_id: string; version: number; body: string; pushed_by: string; pushed_at: number; acked_at: number | null; ack_ok: number | null; ack_error: string | null }

export const toSite = (r: SiteRow): Site => ({ id: r.id, nameVi: r.name_vi, nameEn: r.name_en, district: r.district, lat: r.lat, lon: r.lon, createdAt: r.created_at });

export const toGateway = (r: GatewayRow): Gateway => ({
  id: r.id, site: r.site_id, name: r.name, description: r.description, createdAt: r.created_at, rotatedAt: r.rotated_at, revokedAt: r.revoked_at,
});

export const toSensor = (r: SensorRow): Sensor => ({
  gateway: r.gateway_id, id: r.id, driver: r.driver,
  metrics: JSON.parse(r.metrics) as string[],
  calibration: JSON.parse(r.calibration) as Record<string, Calibration>,
  lat: r.lat, lon: r.lon, description: r.description, createdAt: r.created_at,
});

export const toCamera = (r: CameraRow): Camera => ({
  id: r.id, site: r.site_id, gateway: r.gateway_id, name: r.name, probe: r.probe, address: r.address, lat: r.lat, lon: r.lon, createdAt: r.created_at,
});

export const toToken = (r: TokenRow): ApiTokenInfo => ({ id: r.digest.slice(0, 12), name: r.name, role: r.role, createdAt: r.created_at, revokedAt: r.revoked_at });

export const toConfig = (r: ConfigRow): GatewayConfigRecord => ({
  gateway: r.gateway_id, version: r.version, body: JSON.parse(r.body) as unknown, pushedBy: r.pushed_by, pushedAt: r.pushed_at,
  ackedAt: r.acked_at, ackOk: r.ack_ok === null ? null : r.ack_ok === 1, ackError: r.ack_error,
});
