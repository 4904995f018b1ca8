import type { DeviceKind } from './metrics.js';
import type { GatewaySpec, ScenarioSpec, SensorSpec, SiteSpec } from './schema.js';

/** One sensor of a scenario with where it sits. */
export interface ScenarioSensor {
  readonly site: SiteSpec;
  readonly gateway: GatewaySpec;
  readonly sensor: SensorSpec;
  readonly kind: DeviceKind;
  /** `gateway/sensor`: unique in the scenario. */
  readonly key: string;
}

/** A validated, frozen scenario (see parseScenario). */
export interface Scenario {
  readonly spec: ScenarioSpec;
  /** The file it came from, or `<inline>`. */
  readonly source: string;
  /** Every sensor of every gateway of every site, in file order. */
  readonly sensors: readonly ScenarioSensor[];
}

export function flattenSensors(spec: ScenarioSpec): ScenarioSensor[] {
  return spec.sites.flatMap((site) =>
    site.gateways.flatMap((gateway) =>
      gateway.sensors.map((sensor) => ({ site, gateway, sensor, kind: sensor.device, key: `${gateway.id}/${sensor.id}` })),
    ),
  );
}

/** Every gateway with its site, in file order. */
export function scenarioGateways(scenario: Scenario): { site: SiteSpec; gateway: GatewaySpec }[] {
  return scenario.spec.sites.flatMap((site) => site.gateways.map((gateway) => ({ site, gateway })));
}
