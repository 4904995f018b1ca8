/** The version of IOC Telemetry this CLI belongs to. */
export const VERSION = '0.1.0';
