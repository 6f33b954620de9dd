// Connection settings shared by natss3ctl, natss3fs and natss3d: nats-CLI-compatible flags,
// environment variables and saved contexts, plus the context a local natss3d writes for its
// embedded nats-server, resolved into ConnectOptions in one place.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natss3/nats_store.h"
#include "natss3/status.h"

namespace natss3 {

// Values given on the command line; unset fields fall back to the environment, then to the
// selected context, then to the defaults.
struct ConnectionFlags {
  std::optional<std::string> server, user, password, token, creds, nkey;
  std::optional<std::string> tls_cert, tls_key, tls_ca, context;
  std::optional<std::chrono::milliseconds> timeout;
};

// A `nats context save` file (~/.config/nats/context/NAME.json); only the fields we use.
struct NatsContext {
  std::string name;
  std::string url, user, password, token, creds, nkey, cert, key, ca;
  std::string js_domain, js_api_prefix;
};

// Looks up an environment variable; nullptr when unset. Injected so tests need no real env.
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup ProcessEnv();

// Parses a context file's JSON. Unknown keys are ignored; "~/" in paths is expanded with HOME.
Result<NatsContext> ParseNatsContext(std::string_view json, std::string name,
                                     const EnvLookup& env);

// $XDG_CONFIG_HOME/nats, else $HOME/.config/nats.
std::string NatsConfigDir(const EnvLookup& env);

// Which context applies: --context, else $NATS_CONTEXT, else the name in
// <config>/context.txt; nullopt when none is selected. A named context that does not exist is
// kNotFound ("unknown context NAME"); an unreadable or malformed one is kInvalidArgument.
Result<std::optional<NatsContext>> LoadSelectedContext(const ConnectionFlags& flags,
                                                       const EnvLookup& env);

// The context file natss3d writes for its embedded nats-server (URL, user and password, mode
// 0600): <data-dir>/nats-context.json.
inline constexpr const char* kLocalContextFile = "nats-context.json";

// The copy the packaged natss3d service writes for the members of group natss3
// (natss3d --context-file; systemd's RuntimeDirectory /run/natss3, 0750 natss3:natss3).
inline constexpr const char* kServiceContextFile = "/run/natss3/nats-context.json";

// Where a local natss3d's context is looked for, in order: $NATSS3_CONTEXT_FILE,
// $NATSS3_DATA_DIR/nats-context.json, ~/.local/share/natss3/nats-context.json (natss3d's
// default data directory, scripts/run.sh), /run/natss3/nats-context.json (the package's
// service, readable by group natss3), /var/lib/natss3/nats-context.json (the package's data
// directory, root only).
std::vector<std::string> LocalContextCandidates(const EnvLookup& env);
// The first readable candidate, parsed; nullopt when none exists. When none is readable but
// one exists and may not be read (EACCES: the service's context without membership in group
// natss3), kPermissionDenied naming that file and the ways out.
Result<std::optional<NatsContext>> LoadLocalContext(const EnvLookup& env);

// Precedence per field: flag, then environment (NATS_URL, NATS_USER, NATS_PASSWORD,
// NATS_TOKEN, NATS_CREDS, NATS_NKEY, NATS_CERT, NATS_KEY, NATS_CA, NATS_TIMEOUT), then the
// selected context. When none of them names a server, the local natss3d's context (above)
// supplies the server and its credentials (or its kPermissionDenied); failing that,
// nats://127.0.0.1:4222. Timeout 5 s.
Result<ConnectOptions> ResolveConnectOptions(const ConnectionFlags& flags, const EnvLookup& env);

}  // namespace natss3
