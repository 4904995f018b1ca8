export { stationProfile, type StationProfileOptions, type StationSample, type StationSource } from './profile.js';
export {
  OpcuaStationServer,
  STATION_VARIABLES,
  type OpcuaStationServerOptions,
  type OpcuaStationServerStats,
  type StationVariable,
  type StatusName,
} from './server.js';
