export {
  encodeSds011Frame,
  encodeSds011HostCommand,
  encodeSds011Measurement,
  encodeSds011Reply,
  SDS011_ANY_DEVICE,
  SDS011_COMMAND,
  SDS011_MAX_UGM3,
  Sds011CommandReader,
  type Sds011HostCommand,
} from './frame.js';
export { hanoiDustProfile, type DustSample, type DustSource, type HanoiDustOptions } from './profile.js';
export {
  Sds011Simulator,
  type Sds011Mode,
  type Sds011SimulatorOptions,
  type Sds011SimulatorStats,
} from './simulator.js';
