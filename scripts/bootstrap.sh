#!/usr/bin/env bash
# Makes a fresh Debian/Ubuntu checkout runnable: the Debian packages the system and its tests start
# (InfluxDB 1.x, socat, udev for serialport's port listing, Redis and Mosquitto for the broker's
# cluster and peer tests), then the npm dependencies and the TypeScript build. Idempotent and quick
# when nothing is missing. `npm start` and `npm test` run it first.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]')
minor=$(node -p 'process.versions.node.split(".")[1]')
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  echo "IOC Telemetry needs Node.js 20.19 or newer (found $(node --version))." >&2
  exit 1
fi

pkgs=()
command -v influxd >/dev/null 2>&1 || pkgs+=(influxdb influxdb-client)
command -v socat >/dev/null 2>&1 || pkgs+=(socat)
command -v udevadm >/dev/null 2>&1 || pkgs+=(udev)
command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
command -v mosquitto >/dev/null 2>&1 || pkgs+=(mosquitto)
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "Missing Debian packages: ${pkgs[*]}" >&2
    echo "Install them with:  sudo apt-get install -y ${pkgs[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${pkgs[*]} (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

# npm writes node_modules/.package-lock.json on every install: older than package-lock.json = stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund
fi
npx tsc -b
