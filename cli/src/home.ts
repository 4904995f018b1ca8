import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** $IOC_HOME (default ./.ioc): where `ioc up` keeps InfluxDB's data, the registry and the admin token. */
export function iocHome(flag?: string): string {
  const dir = path.resolve(flag ?? process.env.IOC_HOME ?? '.ioc');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export const homeFiles = (home: string) => ({
  registry: path.join(home, 'registry.db'),
  deadLetters: path.join(home, 'deadletters.db'),
  alerts: path.join(home, 'alerts.db'),
  adminToken: path.join(home, 'admin.token'),
  influxData: path.join(home, 'influxdb'),
  run: path.join(home, 'run'),
  log: path.join(home, 'ioc.log'),
  edgeConfigs: path.join(home, 'edge'),
});
