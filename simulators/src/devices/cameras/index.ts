export {
  CameraFleet,
  type CameraDownMode,
  type CameraEndpoints,
  type CameraFleetOptions,
  type CameraFleetStats,
  type DownWindow,
  type FleetCameraOptions,
} from './fleet.js';
export { RTSP_MAX_REQUEST, RtspRequestReader, rtspReply } from './rtsp.js';
