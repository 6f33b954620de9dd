// Daemon: natss3d's lifecycle: embedded or external NATS, credentials, the S3 service, the HTTP
// server, NATS health watching, multipart expiry, and graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include "s3d/config.h"

namespace natss3::s3d {

// Runs until SIGTERM/SIGINT. Returns the process exit code (0 on a clean stop).
int RunDaemon(const DaemonConfig& config);

}  // namespace natss3::s3d
