// natss3d settings: command-line flags, NATSS3_* environment variables and a config file, in
// that order of precedence (a flag beats the environment, which beats the file).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "natss3/nats_store.h"
#include "natss3/status.h"
#include "s3d/http_limits.h"

namespace natss3::s3d {

struct DaemonConfig {
  std::string listen_host = "0.0.0.0";
  int listen_port = 5222;
  // NATS connection. servers empty (and no $NATS_URL given via --nats-servers): embedded mode.
  // Garbage collection runs every minute by default (ConnectOptions::gc_interval).
  ConnectOptions nats = [] {
    ConnectOptions o;
    o.gc_interval = std::chrono::seconds(60);
    return o;
  }();
  bool embedded_nats = true;
  int embedded_nats_port = 0;  // 0: a free loopback port
  std::string nats_server_binary;  // empty: search PATH, /usr/sbin, /usr/local/sbin
  std::string data_dir;            // default: $HOME/.local/share/natss3
  // Embedded mode: a second copy of <data-dir>/nats-context.json, mode 0640, for natss3d's
  // group (natss3ctl, natss3fs and natscli of its members find the server through it).
  std::string context_file;
  std::string credentials_file;    // empty: <data-dir>/credentials.json (dev credentials)
  std::string credentials_source;  // where credentials_file was set: "--credentials", ...
  // From NATSS3_ROOT_ACCESS_KEY / NATSS3_ROOT_SECRET_KEY (containers): a key that may read
  // and write every bucket, added to the credentials file's keys. With it and no
  // --credentials, no development credentials are generated.
  std::string root_access_key, root_secret_key;
  bool anonymous = false;          // unsigned requests may read and write every bucket
  std::string domain;              // virtual-hosted style base domain
  std::string tls_cert, tls_key;   // both set: HTTPS
  std::chrono::seconds multipart_expiry{24 * 3600};
  int threads = 64;                // HTTP workers: requests served at once
  std::chrono::seconds shutdown_grace{10};  // SIGTERM: time requests in progress may take
  HttpLimits http_limits;          // what hostile clients may hold (see http_limits.h)
  std::string log_level = "info";
  bool access_log = true;
  bool help = false;
  bool version = false;  // --version: print it and exit
  std::string help_text;
};

// Parses argv plus environment (`environ` entries NATSS3_<FLAG_IN_UPPER_SNAKE>) plus the file
// named by --config / NATSS3_CONFIG ("key = value" lines, keys are flag names, '#' comments).
// kInvalidArgument with a message naming the bad setting.
Result<DaemonConfig> ParseConfig(int argc, const char* const* argv,
                                 const std::vector<std::string>& environment);

// "24h", "90m", "30s", "1h30m", "3600" (seconds). kInvalidArgument otherwise.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

}  // namespace natss3::s3d
