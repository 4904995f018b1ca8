/** The edge config of a freshly provisioned gateway, with one sample input the technician adapts. */
export function edgeConfigFor(site: string, gateway: string, mqttUrl: string, password: string): Record<string, unknown> {
  return {
    gateway: { site, id: gateway },
    mqtt: { url: mqttUrl, username: gateway, password, keepaliveSec: 30 },
    outbox: { maxReadings: 1_000_000 },
    uplink: { maxBatchReadings: 500, lingerMs: 1000 },
    inputs: [{ driver: 'pms5003', id: 'pms-1', port: '/dev/ttyUSB0', sensor: 'pm-01', mode: 'active' }],
  };
}
