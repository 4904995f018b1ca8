export {
  CAMERA_DEFAULTS,
  CAMERA_MAX,
  CAMERA_PROBES,
  parseCameraConfig,
  type CameraConfig,
  type CameraOpcuaConfig,
  type CameraProbeConfig,
  type CameraProbeKind,
  type CameraProbeTarget,
  type NvrCamera,
  type ProbedCamera,
} from './config.js';
export { camera, createCameraDriver } from './driver.js';
export { CameraHeartbeats, HeartbeatTracker, type CameraState } from './heartbeat.js';
export { ProbePool, type ProbePoolOptions, type ProbePoolStats } from './probe-pool.js';
export { probeCamera, probeHttp, probeRtsp, probeTcp, rtspVerdict, type ProbeFn, type ProbeOutcome } from './probes.js';
