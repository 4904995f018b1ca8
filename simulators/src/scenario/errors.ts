import { codedError, type CodedError } from '../util/errors.js';

/** Error codes of the scenario loader and runner. */
export const SCENARIO_ERRORS = {
  /** The scenario is invalid; `path` names where (`sites[2].gateways[0].sensors[1].profile`). */
  invalid: 'IOC_ERR_SCENARIO',
  /** The file is not YAML (message carries line and column) or could not be read. */
  yaml: 'IOC_ERR_SCENARIO_YAML',
  /** A device of the scenario could not be started. */
  device: 'IOC_ERR_SCENARIO_DEVICE',
  /** The runner was used in the wrong state (started twice, stopped). */
  state: 'IOC_ERR_SCENARIO_STATE',
} as const;

export interface ScenarioError extends CodedError {
  /** Where in the scenario, e.g. `faults[3].sensor`; `''` for the file as a whole. */
  readonly path: string;
}

/** An invalid-scenario error whose message starts with its path: `sites[0].lat: must be <= 90`. */
export function scenarioError(path: string, detail: string, code: string = SCENARIO_ERRORS.invalid): ScenarioError {
  return Object.assign(codedError(code, path ? `${path}: ${detail}` : detail), { path });
}
