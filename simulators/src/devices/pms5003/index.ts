export {
  encodePms5003Command,
  encodePms5003Frame,
  encodePms5003Reply,
  PMS5003_COMMAND,
  PMS5003_FRAME_BYTES,
  type Pms5003FrameValues,
} from './frame.js';
export {
  cf1FromAtmospheric,
  countsFromMass,
  hanoiProfile,
  type HanoiProfileOptions,
  type ParticleSample,
  type ParticleSource,
} from './profile.js';
export {
  Pms5003Simulator,
  type Pms5003Mode,
  type Pms5003SimulatorOptions,
  type Pms5003SimulatorStats,
} from './simulator.js';
