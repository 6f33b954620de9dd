// Flag/env/file merging for natss3d.
#include "s3d/config.h"

#include <cxxopts.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

#include "natss3/service.h"

namespace natss3::s3d {
namespace {

struct Setting {
  const char* name;
  const char* help;
  bool is_bool;
};

constexpr Setting kSettings[] = {
    {"listen", "HTTP(S) listen address host:port (default 0.0.0.0:5222)", false},
    {"nats-servers", "NATS server URLs, comma-separated. Unset: start an embedded nats-server", false},
    {"nats-user", "NATS user", false},
    {"nats-password", "NATS password", false},
    {"nats-token", "NATS token", false},
    {"nats-creds", "NATS .creds file (JWT + nkey)", false},
    {"nats-nkey", "file holding an nkey seed", false},
    {"nats-tls-ca", "CA certificate for the NATS connection", false},
    {"nats-tls-cert", "client certificate for the NATS connection", false},
    {"nats-tls-key", "client key for the NATS connection", false},
    {"nats-tls-required", "require TLS to NATS", true},
    {"nats-timeout", "NATS request timeout, e.g. 5s (default 5s)", false},
    {"js-domain", "JetStream domain", false},
    {"js-api-prefix", "JetStream API prefix", false},
    {"embedded-nats-port", "port of the embedded nats-server (default: a free port)", false},
    {"nats-server-bin", "nats-server binary for the embedded mode (default: search PATH)", false},
    {"context-file", "also write the embedded nats-server's context (natscli format) here, "
                     "mode 0640 with natss3d's group, for that group's users (the package: "
                     "/run/natss3/nats-context.json)", false},
    {"data-dir", "data directory: embedded nats-server store, dev credentials "
                 "(default $HOME/.local/share/natss3)", false},
    {"credentials", "credentials file (JSON: access keys, secrets, per-bucket read/write). "
                    "Default: <data-dir>/credentials.json, created with development keys", false},
    {"anonymous", "allow unsigned requests to read and write every bucket", true},
    {"domain", "base domain for virtual-hosted style requests (<bucket>.<domain>)", false},
    {"tls-cert", "HTTPS certificate (PEM)", false},
    {"tls-key", "HTTPS private key (PEM)", false},
    {"multipart-expiry", "abandoned multipart uploads are removed after this (default 24h)", false},
    {"threads", "HTTP worker threads: requests served at once; idle keep-alive connections "
                "use none (default 64)", false},
    {"shutdown-grace", "on SIGTERM/SIGINT, requests in progress may finish for this long "
                       "(default 10s); idle connections close at once", false},
    {"max-connections", "open client connections at most; more are answered 503 SlowDown "
                        "(default 4096)", false},
    {"max-connections-per-ip", "open connections per client IP (IPv6: per /64) at most "
                               "(default 256)", false},
    {"header-timeout", "a request's line and headers must arrive within this, or the "
                       "connection is closed (default 10s)", false},
    {"tls-handshake-timeout", "the TLS handshake must end within this (default 10s)", false},
    {"max-headers", "header fields per request at most (default 100)", false},
    {"max-header-bytes", "request line plus headers at most, in bytes (default 16384)", false},
    {"drain-limit", "a request body the handler did not read is skipped up to this many bytes "
                    "to keep the connection; beyond, it closes (default 1048576)", false},
    {"gc-interval", "collect garbage (orphan chunks of crashed uploads, stale pins) in every "
                    "bucket this often (default 60s; 0: never)", false},
    {"gc-grace", "orphan data younger than this is never collected; use the same value in every "
                 "natss3 process of a bucket (default 60s)", false},
    {"release-grace", "chunks of versions this gateway replaced or deleted stay this long, so "
                      "reads through other gateways finish (default 0s; e.g. 30s with several "
                      "gateways)", false},
    {"log-level", "trace, debug, info, warn, error (default info)", false},
    {"access-log", "one log line per request (default true)", false},
};

std::string EnvName(std::string_view flag) {
  std::string name = "NATSS3_";
  for (char c : flag) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string Trim(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\''))) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

Result<std::map<std::string, std::string>> ReadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read config file " + path);
  std::map<std::string, std::string> values;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t sep = trimmed.find_first_of("=:");
    if (sep == std::string::npos) {
      return InvalidArgument(path + ":" + std::to_string(number) + ": expected key = value");
    }
    std::string key = Trim(trimmed.substr(0, sep));
    bool known = false;
    for (const Setting& s : kSettings) known |= key == s.name;
    if (!known) return InvalidArgument(path + ":" + std::to_string(number) + ": unknown setting " + key);
    values[key] = Trim(trimmed.substr(sep + 1));
  }
  return values;
}

Result<bool> ParseBool(const std::string& name, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes" || value == "on" || value.empty()) return true;
  if (value == "false" || value == "0" || value == "no" || value == "off") return false;
  return InvalidArgument(name + ": expected true or false, got '" + value + "'");
}

// A positive count (connections, headers, bytes) up to `max`.
Result<uint64_t> ParseCount(const std::string& name, const std::string& text, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) || *end != '\0' ||
      errno != 0 || value == 0 || value > max) {
    return InvalidArgument(name + ": expected a number from 1 to " + std::to_string(max) +
                           ", got '" + text + "'");
  }
  return static_cast<uint64_t>(value);
}

Result<int> ParsePort(const std::string& name, const std::string& text) {
  char* end = nullptr;
  long port = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return InvalidArgument(name + ": bad port '" + text + "'");
  }
  return static_cast<int>(port);
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty duration");
  int64_t total = 0, current = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      current = current * 10 + (c - '0');
      digits = true;
      continue;
    }
    if (!digits) return InvalidArgument("bad duration '" + std::string(text) + "'");
    int64_t unit = c == 'd' ? 86400 : c == 'h' ? 3600 : c == 'm' ? 60 : c == 's' ? 1 : -1;
    if (unit < 0) return InvalidArgument("bad duration unit in '" + std::string(text) + "'");
    total += current * unit;
    current = 0;
    digits = false;
  }
  total += current;
  return std::chrono::seconds(total);
}

Result<DaemonConfig> ParseConfig(int argc, const char* const* argv,
                                 const std::vector<std::string>& environment) {
  cxxopts::Options options("natss3d", "S3-compatible daemon over the NATS JetStream Object Store.\n"
                           "Every flag can also be set as NATSS3_<FLAG> (e.g. NATSS3_NATS_SERVERS)"
                           " or as 'flag = value' in the --config file.\n");
  auto adder = options.add_options();
  adder("config", "config file of 'flag = value' lines", cxxopts::value<std::string>());
  for (const Setting& s : kSettings) {
    if (s.is_bool) adder(s.name, s.help);
    else adder(s.name, s.help, cxxopts::value<std::string>());
  }
  adder("h,help", "show this help");
  adder("V,version", "print the version and exit");
  DaemonConfig config;
  std::map<std::string, std::string> env;
  for (const std::string& entry : environment) {
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  cxxopts::ParseResult parsed;
  try {
    parsed = options.parse(argc, argv);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string(e.what()) + " (see --help)");
  }
  if (parsed.count("help")) {
    config.help = true;
    config.help_text = options.help();
    return config;
  }
  if (parsed.count("version")) {
    config.version = true;
    return config;
  }
  std::map<std::string, std::string> file;
  std::string config_path = parsed.count("config") ? parsed["config"].as<std::string>()
                            : env.count("NATSS3_CONFIG") ? env["NATSS3_CONFIG"] : "";
  if (!config_path.empty()) {
    NATSS3_ASSIGN_OR_RETURN(file, ReadConfigFile(config_path));
  }
  std::string source;  // of the last value() found, for messages
  auto value = [&](const Setting& s) -> std::optional<std::string> {
    source = std::string("--") + s.name;
    if (parsed.count(s.name)) return s.is_bool ? std::string("true") : parsed[s.name].as<std::string>();
    source = EnvName(s.name);
    auto e = env.find(source);
    if (e != env.end()) return e->second;
    source = std::string("'") + s.name + "' in " + config_path;
    auto f = file.find(s.name);
    if (f != file.end()) return f->second;
    return std::nullopt;
  };
  for (const Setting& s : kSettings) {
    std::optional<std::string> v = value(s);
    if (!v) continue;
    std::string name = s.name;
    if (name == "listen") {
      size_t colon = v->rfind(':');
      if (colon == std::string::npos) return InvalidArgument("listen: expected host:port");
      config.listen_host = v->substr(0, colon);
      if (config.listen_host.empty()) config.listen_host = "0.0.0.0";
      NATSS3_ASSIGN_OR_RETURN(config.listen_port, ParsePort(name, v->substr(colon + 1)));
    } else if (name == "nats-servers") {
      config.nats.servers = *v;
      config.embedded_nats = v->empty();
    } else if (name == "nats-user") { config.nats.user = *v;
    } else if (name == "nats-password") { config.nats.password = *v;
    } else if (name == "nats-token") { config.nats.token = *v;
    } else if (name == "nats-creds") { config.nats.creds_file = *v;
    } else if (name == "nats-nkey") { config.nats.nkey_seed_file = *v;
    } else if (name == "nats-tls-ca") { config.nats.tls_ca = *v;
    } else if (name == "nats-tls-cert") { config.nats.tls_cert = *v;
    } else if (name == "nats-tls-key") { config.nats.tls_key = *v;
    } else if (name == "nats-tls-required") {
      NATSS3_ASSIGN_OR_RETURN(config.nats.tls_required, ParseBool(name, *v));
    } else if (name == "nats-timeout") {
      NATSS3_ASSIGN_OR_RETURN(auto d, ParseDuration(*v));
      config.nats.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(d);
    } else if (name == "js-domain") { config.nats.js_domain = *v;
    } else if (name == "js-api-prefix") { config.nats.js_api_prefix = *v;
    } else if (name == "embedded-nats-port") {
      NATSS3_ASSIGN_OR_RETURN(config.embedded_nats_port, ParsePort(name, *v));
    } else if (name == "nats-server-bin") { config.nats_server_binary = *v;
    } else if (name == "data-dir") { config.data_dir = *v;
    } else if (name == "context-file") { config.context_file = *v;
    } else if (name == "credentials") {
      config.credentials_file = *v;
      config.credentials_source = source;
    } else if (name == "anonymous") {
      NATSS3_ASSIGN_OR_RETURN(config.anonymous, ParseBool(name, *v));
    } else if (name == "domain") { config.domain = *v;
    } else if (name == "tls-cert") { config.tls_cert = *v;
    } else if (name == "tls-key") { config.tls_key = *v;
    } else if (name == "multipart-expiry") {
      NATSS3_ASSIGN_OR_RETURN(config.multipart_expiry, ParseDuration(*v));
    } else if (name == "threads") {
      NATSS3_ASSIGN_OR_RETURN(config.threads, ParsePort(name, *v));
      if (config.threads < 4) config.threads = 4;
    } else if (name == "shutdown-grace") {
      NATSS3_ASSIGN_OR_RETURN(config.shutdown_grace, ParseDuration(*v));
    } else if (name == "max-connections") {
      NATSS3_ASSIGN_OR_RETURN(config.http_limits.max_connections, ParseCount(name, *v, 1 << 24));
    } else if (name == "max-connections-per-ip") {
      NATSS3_ASSIGN_OR_RETURN(config.http_limits.max_connections_per_address,
                              ParseCount(name, *v, 1 << 24));
    } else if (name == "header-timeout" || name == "tls-handshake-timeout") {
      NATSS3_ASSIGN_OR_RETURN(auto d, ParseDuration(*v));
      if (d.count() <= 0) return InvalidArgument(name + ": must be at least 1s");
      (name == "header-timeout" ? config.http_limits.header_timeout
                                : config.http_limits.tls_handshake_timeout) = d;
    } else if (name == "max-headers") {
      NATSS3_ASSIGN_OR_RETURN(config.http_limits.max_headers, ParseCount(name, *v, 10000));
    } else if (name == "max-header-bytes") {
      // httplib's own limit on the request line (8 KiB) still applies within this.
      NATSS3_ASSIGN_OR_RETURN(config.http_limits.max_header_bytes,
                              ParseCount(name, *v, 1 << 20));
    } else if (name == "drain-limit") {
      if (*v == "0") {
        config.http_limits.max_drain_bytes = 0;  // never skip: close over any unread body
      } else {
        NATSS3_ASSIGN_OR_RETURN(config.http_limits.max_drain_bytes,
                                ParseCount(name, *v, uint64_t{1} << 40));
      }
    } else if (name == "gc-interval" || name == "gc-grace" || name == "release-grace") {
      NATSS3_ASSIGN_OR_RETURN(auto d, ParseDuration(*v));
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d);
      if (name == "gc-interval") config.nats.gc_interval = ms;
      else if (name == "gc-grace") config.nats.gc_grace = ms;
      else config.nats.release_grace = ms;
    } else if (name == "log-level") {
      if (!IsLogLevel(*v)) {
        return InvalidArgument(std::string("log-level: expected ") + kLogLevels + ", got '" + *v +
                               "' (" + source + ")");
      }
      config.log_level = *v;
    } else if (name == "access-log") {
      NATSS3_ASSIGN_OR_RETURN(config.access_log, ParseBool(name, *v));
    }
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return InvalidArgument("--tls-cert and --tls-key must be given together");
  }
  // Secrets only from the environment (a flag would show in ps, a file has --credentials).
  if (auto a = env.find("NATSS3_ROOT_ACCESS_KEY"); a != env.end()) config.root_access_key = a->second;
  if (auto k = env.find("NATSS3_ROOT_SECRET_KEY"); k != env.end()) config.root_secret_key = k->second;
  if (config.root_access_key.empty() != config.root_secret_key.empty()) {
    return InvalidArgument("NATSS3_ROOT_ACCESS_KEY and NATSS3_ROOT_SECRET_KEY must be set together");
  }
  if (config.data_dir.empty()) {
    const char* home = std::getenv("HOME");
    config.data_dir = std::string(home ? home : "/tmp") + "/.local/share/natss3";
  }
  config.nats.name = "natss3d";
  config.nats.retry_on_failed_connect = true;
  return config;
}

}  // namespace natss3::s3d
