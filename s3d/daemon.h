// Daemon: natss3d's lifecycle: embedded or external NATS, credentials, the S3 service, the HTTP
// server, NATS health watching, multipart expiry, reload on SIGHUP, systemd readiness and
// watchdog, and graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include <functional>

#include "s3d/config.h"

namespace natss3::s3d {

// Runs until SIGTERM/SIGINT. Returns the process exit code (0 on a clean stop). On SIGHUP,
// `reparse` reads the settings again (the command line, environment and config file) and the
// reloadable ones take effect (see Reload in daemon.cc); unset: SIGHUP only re-reads files.
int RunDaemon(const DaemonConfig& config,
              const std::function<Result<DaemonConfig>()>& reparse = nullptr);

}  // namespace natss3::s3d
