#!/usr/bin/env bash
# Installs what is missing, builds, and runs the S3 daemon on :5222 with an embedded nats-server.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/deps.sh" build
"$here/scripts/build.sh"
exec "${NATSS3_BUILD_DIR:-$here/build}/s3d/natss3d" --listen 0.0.0.0:5222 \
  --data-dir "${NATSS3_DATA_DIR:-$HOME/.local/share/natss3}" "$@"
