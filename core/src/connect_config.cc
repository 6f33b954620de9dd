// Resolution of connection settings, compatible with natscli's flags, env vars and contexts.
#include "natss3/connect_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "natss3/units.h"

namespace natss3 {

EnvLookup ProcessEnv() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

namespace {

std::string ExpandHome(const std::string& path, const EnvLookup& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = env("HOME");
    if (home != nullptr) return std::string(home) + path.substr(1);
  }
  return path;
}

std::string Env(const EnvLookup& env, const char* name) {
  const char* value = env(name);
  return value == nullptr ? "" : value;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// Reads a whole file; 0, or open(2)'s errno (EACCES tells "exists, not ours" from ENOENT).
int ReadFileOrErrno(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : 0;
      ::close(fd);
      return error;
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

std::string TrimSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

// Picks the first non-empty of flag, environment variable and context value.
std::string Pick(const std::optional<std::string>& flag, const EnvLookup& env,
                 const char* env_name, const std::string& from_context) {
  if (flag.has_value()) return *flag;
  std::string from_env = Env(env, env_name);
  if (!from_env.empty()) return from_env;
  return from_context;
}

}  // namespace

Result<NatsContext> ParseNatsContext(std::string_view json, std::string name,
                                     const EnvLookup& env) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("context " + name + " is not valid JSON");
  }
  auto text = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
  };
  NatsContext ctx;
  ctx.name = std::move(name);
  ctx.url = text("url");
  ctx.user = text("user");
  ctx.password = text("password");
  ctx.token = text("token");
  ctx.creds = ExpandHome(text("creds"), env);
  ctx.nkey = ExpandHome(text("nkey"), env);
  ctx.cert = ExpandHome(text("cert"), env);
  ctx.key = ExpandHome(text("key"), env);
  ctx.ca = ExpandHome(text("ca"), env);
  ctx.js_domain = text("jetstream_domain");
  ctx.js_api_prefix = text("jetstream_api_prefix");
  return ctx;
}

std::string NatsConfigDir(const EnvLookup& env) {
  std::string xdg = Env(env, "XDG_CONFIG_HOME");
  if (!xdg.empty()) return xdg + "/nats";
  return Env(env, "HOME") + "/.config/nats";
}

Result<std::optional<NatsContext>> LoadSelectedContext(const ConnectionFlags& flags,
                                                       const EnvLookup& env) {
  std::string dir = NatsConfigDir(env);
  std::string name = flags.context.value_or(Env(env, "NATS_CONTEXT"));
  if (name.empty()) {
    std::string selected;
    if (!ReadWholeFile(dir + "/context.txt", &selected)) return std::optional<NatsContext>();
    name = TrimSpace(selected);
    if (name.empty()) return std::optional<NatsContext>();
  }
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    return InvalidArgument("invalid context name \"" + name + "\"");
  }
  std::string path = dir + "/context/" + name + ".json";
  std::string json;
  if (!ReadWholeFile(path, &json)) return NotFound("unknown context \"" + name + "\" (" + path + ")");
  NATSS3_ASSIGN_OR_RETURN(NatsContext ctx, ParseNatsContext(json, name, env));
  return std::optional<NatsContext>(std::move(ctx));
}

std::vector<std::string> LocalContextCandidates(const EnvLookup& env) {
  std::vector<std::string> out;
  if (std::string f = Env(env, "NATSS3_CONTEXT_FILE"); !f.empty()) out.push_back(f);
  if (std::string d = Env(env, "NATSS3_DATA_DIR"); !d.empty())
    out.push_back(d + "/" + kLocalContextFile);
  if (std::string home = Env(env, "HOME"); !home.empty())
    out.push_back(home + "/.local/share/natss3/" + kLocalContextFile);
  out.push_back(kServiceContextFile);
  out.push_back(std::string("/var/lib/natss3/") + kLocalContextFile);
  return out;
}

Result<std::optional<NatsContext>> LoadLocalContext(const EnvLookup& env) {
  std::string denied;  // the first candidate that exists but is not ours to read
  for (const std::string& path : LocalContextCandidates(env)) {
    std::string json;
    if (int error = ReadFileOrErrno(path, &json); error != 0) {
      if (error == EACCES && denied.empty()) denied = path;
      continue;  // absent (or a directory): not a context
    }
    NATSS3_ASSIGN_OR_RETURN(NatsContext ctx, ParseNatsContext(json, path, env));
    if (ctx.url.empty()) continue;
    return std::optional<NatsContext>(std::move(ctx));
  }
  if (!denied.empty()) {
    return Status(Code::kPermissionDenied,
                  "natss3d's connection context " + denied +
                      " may not be read by this user: it is for root and the members of group "
                      "natss3 (adduser USER natss3, then log in again); or name a server with "
                      "--server / NATS_URL");
  }
  return std::optional<NatsContext>();
}

Result<ConnectOptions> ResolveConnectOptions(const ConnectionFlags& flags, const EnvLookup& env) {
  NATSS3_ASSIGN_OR_RETURN(std::optional<NatsContext> loaded, LoadSelectedContext(flags, env));
  if (!loaded && !flags.server && Env(env, "NATS_URL").empty()) {
    // Nothing names a server: a natss3d on this host may have left its embedded server's
    // address and credentials for us.
    NATSS3_ASSIGN_OR_RETURN(loaded, LoadLocalContext(env));
  }
  NatsContext ctx = loaded.value_or(NatsContext{});
  ConnectOptions options;
  options.servers = Pick(flags.server, env, "NATS_URL", ctx.url);
  if (options.servers.empty()) options.servers = "nats://127.0.0.1:4222";
  options.user = Pick(flags.user, env, "NATS_USER", ctx.user);
  options.password = Pick(flags.password, env, "NATS_PASSWORD", ctx.password);
  options.token = Pick(flags.token, env, "NATS_TOKEN", ctx.token);
  options.creds_file = Pick(flags.creds, env, "NATS_CREDS", ctx.creds);
  options.nkey_seed_file = Pick(flags.nkey, env, "NATS_NKEY", ctx.nkey);
  options.tls_cert = Pick(flags.tls_cert, env, "NATS_CERT", ctx.cert);
  options.tls_key = Pick(flags.tls_key, env, "NATS_KEY", ctx.key);
  options.tls_ca = Pick(flags.tls_ca, env, "NATS_CA", ctx.ca);
  options.js_domain = ctx.js_domain;
  options.js_api_prefix = ctx.js_api_prefix;
  if (flags.timeout.has_value()) {
    options.timeout = *flags.timeout;
  } else if (std::string t = Env(env, "NATS_TIMEOUT"); !t.empty()) {
    auto parsed = ParseDuration(t);
    if (!parsed.ok()) return InvalidArgument("NATS_TIMEOUT: " + parsed.status().message());
    options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  }
  options.connect_timeout = std::min(options.connect_timeout, options.timeout);
  return options;
}

}  // namespace natss3
