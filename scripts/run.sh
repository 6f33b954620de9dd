#!/usr/bin/env bash
# Installs what is missing, builds, and runs the S3 daemon on :5222 with an embedded nats-server.
# natss3d leaves the embedded server's address and credentials in <data-dir>/nats-context.json;
# natss3ctl and natss3fs of the same user find them there with no flags (with NATSS3_DATA_DIR
# set, export it to them too).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/deps.sh" build
"$here/scripts/build.sh"
exec "${NATSS3_BUILD_DIR:-$here/build}/s3d/natss3d" --listen 0.0.0.0:5222 \
  --data-dir "${NATSS3_DATA_DIR:-$HOME/.local/share/natss3}" "$@"
