// Command line parsing for natss3fs (see options.h): libfuse's fuse_opt splits the arguments
// and -o lists; this file knows what each option means. Includes only <fuse_opt.h> of FUSE.
#include "options.h"

#define FUSE_USE_VERSION 312
#include <fuse_opt.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <set>

#include "natss3/units.h"
#include "secrets.h"

namespace natss3::fs {
namespace {

Result<uint64_t> ParseNumber(const std::string& text, int base) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return InvalidArgument("not a number: '" + text + "'");
  }
  return value;
}

bool AllDigits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// What the parser collects before the connection is resolved.
struct Parse {
  CommandLine cl;
  ConnectionFlags flags;
  std::optional<std::string> js_domain;
  std::optional<bool> default_permissions;  // explicit default_permissions / no_...
  std::vector<std::string> positional;
  bool after_servers = false;  // the previous -o option was server= (see ApplyOption)
  Status error;
};

// A duration: Go style ("5s", "1m30s"), or a plain number of milliseconds.
Result<std::chrono::milliseconds> ParseMillis(const std::string& text) {
  if (AllDigits(text)) {
    NATSS3_ASSIGN_OR_RETURN(uint64_t ms, ParseNumber(text, 10));
    return std::chrono::milliseconds(ms);
  }
  NATSS3_ASSIGN_OR_RETURN(std::chrono::nanoseconds d, ParseDuration(text));
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

using Setter = std::function<Status(Parse&, const std::string&)>;

Setter Flag(std::optional<std::string> ConnectionFlags::*field) {
  return [field](Parse& p, const std::string& v) {
    p.flags.*field = v;
    return Status::OK();
  };
}

// The deprecated TLS spellings of natss3fs before it took natscli's.
Setter OldTls(std::optional<std::string> ConnectionFlags::*field, const char* now) {
  return [field, now](Parse& p, const std::string& v) {
    p.cl.warnings.push_back(std::string("tls_ca/tls_cert/tls_key are deprecated: use ") + now);
    p.flags.*field = v;
    return Status::OK();
  };
}

Setter SecretFile(std::optional<std::string> ConnectionFlags::*field) {
  return [field](Parse& p, const std::string& path) -> Status {
    NATSS3_ASSIGN_OR_RETURN(p.flags.*field, ReadSecretFile(path));
    return Status::OK();
  };
}

// natss3fs scrubs these from its argv (secrets.h), but mount(8) and the moments before
// that show them: say so.
Setter Secret(std::optional<std::string> ConnectionFlags::*field, std::string name,
              std::string env) {
  return [field, name, env](Parse& p, const std::string& v) {
    p.cl.warnings.push_back(name + " on the command line is visible to other users for a " +
                            "while: prefer " + name + "_file=FILE or $" + env);
    p.flags.*field = v;
    return Status::OK();
  };
}

Setter Millis(std::chrono::milliseconds ConnectOptions::*field) {
  return [field](Parse& p, const std::string& v) -> Status {
    NATSS3_ASSIGN_OR_RETURN(p.cl.connect.*field, ParseMillis(v));
    return Status::OK();
  };
}

Setter Number(int base, const std::function<void(Parse&, uint64_t)>& set) {
  return [base, set](Parse& p, const std::string& v) -> Status {
    NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, base));
    set(p, n);
    return Status::OK();
  };
}

// Kept for libfuse, which parses it again when mounting.
Setter ForFuse(const std::string& name) {
  return [name](Parse& p, const std::string& v) {
    p.cl.fuse_options.push_back(name + "=" + v);
    return Status::OK();
  };
}

// Options taking a value: "-o name=value" and "--name value" / "--name=value" (the flag's
// dashes are underscores here).
const std::map<std::string, Setter>& ValueOptions() {
  using CF = ConnectionFlags;
  static const std::map<std::string, Setter> kOptions = {
      {"bucket", [](Parse& p, const std::string& v) { p.cl.fs.bucket = v; return Status::OK(); }},
      {"server", Flag(&CF::server)},
      {"servers", Flag(&CF::server)},
      {"context", Flag(&CF::context)},
      {"user", Flag(&CF::user)},
      {"password", Secret(&CF::password, "password", "NATS_PASSWORD")},
      {"password_file", SecretFile(&CF::password)},
      {"token", Secret(&CF::token, "token", "NATS_TOKEN")},
      {"token_file", SecretFile(&CF::token)},
      {"creds", Flag(&CF::creds)},
      {"nkey", Flag(&CF::nkey)},
      {"tlsca", Flag(&CF::tls_ca)},
      {"tlscert", Flag(&CF::tls_cert)},
      {"tlskey", Flag(&CF::tls_key)},
      {"tls_ca", OldTls(&CF::tls_ca, "tlsca")},
      {"tls_cert", OldTls(&CF::tls_cert, "tlscert")},
      {"tls_key", OldTls(&CF::tls_key, "tlskey")},
      {"js_domain", [](Parse& p, const std::string& v) { p.js_domain = v; return Status::OK(); }},
      {"timeout", [](Parse& p, const std::string& v) -> Status {
         if (AllDigits(v)) {
           p.cl.warnings.push_back("timeout in plain milliseconds is deprecated: use a "
                                   "duration such as " + v + "ms or 5s");
         }
         NATSS3_ASSIGN_OR_RETURN(auto t, ParseMillis(v));
         if (t.count() <= 0) return InvalidArgument("must be positive");
         p.flags.timeout = t;
         return Status::OK();
       }},
      {"gc_interval", Millis(&ConnectOptions::gc_interval)},
      {"gc_grace", Millis(&ConnectOptions::gc_grace)},
      {"release_grace", Millis(&ConnectOptions::release_grace)},
      {"write_budget", Millis(&ConnectOptions::write_budget)},
      {"max_file_size", [](Parse& p, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(p.cl.fs.max_file_size, ParseByteSize(v));
         return Status::OK();
       }},
      {"read_timeout", [](Parse& p, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(auto t, ParseMillis(v));
         p.cl.fs.read_idle_timeout_ms = static_cast<uint64_t>(t.count());
         return Status::OK();
       }},
      {"cache_dir", [](Parse& p, const std::string& v) { p.cl.fs.cache_dir = v; return Status::OK(); }},
      {"cache_size", [](Parse& p, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(p.cl.fs.cache_limit, ParseByteSize(v));
         return Status::OK();
       }},
      {"uid", Number(10, [](Parse& p, uint64_t n) { p.cl.fs.uid = static_cast<uint32_t>(n); })},
      {"gid", Number(10, [](Parse& p, uint64_t n) { p.cl.fs.gid = static_cast<uint32_t>(n); })},
      {"umask", Number(8, [](Parse& p, uint64_t n) {
         p.cl.fs.umask = static_cast<uint32_t>(n) & 0777;
       })},
      {"readahead_kb", Number(10, [](Parse& p, uint64_t n) {
         p.cl.readahead_kb = static_cast<uint32_t>(std::min<uint64_t>(n, 1u << 20));
       })},
      {"read_window", Number(10, [](Parse& p, uint64_t n) {
         p.cl.fs.read_window = static_cast<int>(std::clamp<uint64_t>(n, 1, 256));
       })},
      {"read_window_max", Number(10, [](Parse& p, uint64_t n) {
         p.cl.fs.read_window_max = static_cast<int>(std::clamp<uint64_t>(n, 1, 256));
       })},
      {"chunk_size", [](Parse& p, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseByteSize(v));
         if (n != 0 && (n < 1024 || n > (8u << 20))) return InvalidArgument("1K..8M");
         p.cl.fs.chunk_size = static_cast<uint32_t>(n);
         return Status::OK();
       }},
      {"threads", Number(10, [](Parse& p, uint64_t n) {
         p.cl.max_threads = static_cast<int>(std::max<uint64_t>(1, n));
       })},
      {"max_threads", Number(10, [](Parse& p, uint64_t n) {  // libfuse's name
         p.cl.max_threads = static_cast<int>(std::max<uint64_t>(1, n));
       })},
      // FUSE's own: libfuse and the kernel read them. SELinux's "context=" is taken by the
      // nats CLI context above; its other three pass.
      {"max_read", [](Parse& p, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         if (n < 4096 || n > (1u << 30)) return InvalidArgument("4096..1G");
         p.cl.max_read = static_cast<uint32_t>(n);
         p.cl.fuse_options.push_back("max_read=" + v);
         return Status::OK();
       }},
      {"fsname", ForFuse("fsname")},
      {"subtype", ForFuse("subtype")},
      {"fscontext", ForFuse("fscontext")},
      {"defcontext", ForFuse("defcontext")},
      {"rootcontext", ForFuse("rootcontext")},
  };
  return kOptions;
}

using Switch = std::function<void(Parse&)>;

// Options without a value: "-o name" and "--name".
const std::map<std::string, Switch>& SwitchOptions() {
  static const std::map<std::string, Switch> kSwitches = {
      {"ro", [](Parse& p) { p.cl.fs.read_only = true; }},
      {"read_only", [](Parse& p) { p.cl.fs.read_only = true; }},
      {"allow_other", [](Parse& p) { p.cl.allow_other = true; }},
      {"allow_root", [](Parse& p) { p.cl.allow_root = true; }},
      {"default_permissions", [](Parse& p) { p.default_permissions = true; }},
      {"no_default_permissions", [](Parse& p) { p.default_permissions = false; }},
      {"trust_metadata_owner", [](Parse& p) { p.cl.fs.trust_metadata_owner = true; }},
      {"md5", [](Parse& p) { p.cl.fs.md5 = true; }},
      {"foreground", [](Parse& p) { p.cl.foreground = true; }},
      {"debug", [](Parse& p) { p.cl.debug = p.cl.foreground = true; }},
      {"dry_run", [](Parse& p) { p.cl.dry_run = true; }},
      {"help", [](Parse& p) { p.cl.help = true; }},
      {"version", [](Parse& p) { p.cl.version = true; }},
  };
  return kSwitches;
}

// Passed on to libfuse as they are. suid and dev are not: a mount stays nosuid,nodev.
const std::set<std::string>& FuseSwitches() {
  static const std::set<std::string> kSwitches = {"auto_unmount", "noexec", "exec", "nosuid",
                                                  "nodev", "noatime"};
  return kSwitches;
}

const std::set<std::string>& IgnoredOptions() {
  static const std::set<std::string> kIgnored = {
      "dev", "suid", "auto", "noauto", "user", "users", "nouser", "_netdev", "nofail",
      "defaults", "async", "sync", "atime", "relatime", "norelatime", "strictatime",
      "lazytime", "nodiratime", "diratime", "rw"};
  return kIgnored;
}

// Short flags; everything else is a name of the tables above.
const std::map<std::string, Switch>& ShortFlags() {
  static const std::map<std::string, Switch> kFlags = {
      {"-h", [](Parse& p) { p.cl.help = true; }},
      {"-V", [](Parse& p) { p.cl.version = true; }},
      {"-f", [](Parse& p) { p.cl.foreground = true; }},
      {"-d", [](Parse& p) { p.cl.debug = p.cl.foreground = true; }},
      {"-s", [](Parse& p) { p.cl.single_thread = true; }},
  };
  return kFlags;
}

// "nats://a:4222", "tls://x", "localhost:4222", "a:1,b:2": what `-s` took before it was
// FUSE's single-thread flag. A bucket name or a mount point has no "://" nor ":PORT".
bool LooksLikeServers(const std::string& text) {
  if (text.empty()) return false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    if (item.find("://") == std::string::npos) {
      size_t colon = item.rfind(':');
      if (colon == std::string::npos || colon == 0 || item.find('/') != std::string::npos ||
          !AllDigits(item.substr(colon + 1))) {
        return false;
      }
    }
    start = comma + 1;
  }
  return true;
}

// Underscores for the dashes of a long flag's name (not of its value).
std::string CanonicalFlag(const std::string& arg) {
  std::string out = arg;
  size_t end = std::min(out.find('='), out.size());
  std::replace(out.begin() + 2, out.begin() + static_cast<long>(end), '-', '_');
  return out;
}

// Before fuse_opt, which takes a flag's value only in the same argument: "--name VALUE"
// becomes "--name=VALUE", and "-s URL" the deprecated "--server=URL".
Status JoinFlagValues(const std::vector<std::string>& args, Parse* p,
                      std::vector<std::string>* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out->insert(out->end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (arg == "-o" && i + 1 < args.size()) {
      out->push_back(arg);
      out->push_back(args[++i]);
    } else if (arg == "-s" && i + 1 < args.size() && LooksLikeServers(args[i + 1])) {
      p->cl.warnings.push_back("-s URL is deprecated: use --server URL (-s is FUSE's "
                               "single-thread flag)");
      out->push_back("--server=" + args[++i]);
    } else if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
      std::string flag = CanonicalFlag(arg);
      if (flag.find('=') == std::string::npos && ValueOptions().count(flag.substr(2))) {
        if (i + 1 >= args.size()) return InvalidArgument(arg + " needs a value");
        flag += "=" + args[++i];
      }
      out->push_back(flag);
    } else {
      out->push_back(arg);
    }
  }
  return Status::OK();
}

Status ApplyOption(Parse& p, const std::string& arg, bool after_servers) {
  const bool flag = arg.rfind("--", 0) == 0;
  const std::string body = flag ? arg.substr(2) : arg;
  const size_t eq = body.find('=');
  const std::string name = body.substr(0, eq);
  const std::string where = flag ? "flag '--" + name + "'" : "option " + name;
  if (eq != std::string::npos) {
    auto it = ValueOptions().find(name);
    if (it != ValueOptions().end()) {
      p.after_servers = !flag && (name == "server" || name == "servers");
      return it->second(p, body.substr(eq + 1)).Annotate(where);
    }
  } else if (auto it = SwitchOptions().find(name); it != SwitchOptions().end()) {
    it->second(p);
    return Status::OK();
  } else if (!flag && FuseSwitches().count(name)) {
    p.cl.fuse_options.push_back(name);
    return Status::OK();
  }
  if (!flag && (IgnoredOptions().count(body) || body.rfind("x-", 0) == 0 ||
                body.rfind("comment=", 0) == 0)) {
    return Status::OK();
  }
  // fstab lines write server lists unescaped: "server=nats://a:4222,nats://b:4222".
  if (!flag && after_servers && LooksLikeServers(body) && p.flags.server) {
    *p.flags.server += "," + body;
    p.after_servers = true;
    return Status::OK();
  }
  if (flag || arg.rfind("-", 0) == 0) return InvalidArgument("unknown flag '" + arg + "'");
  return InvalidArgument("unknown mount option '" + arg + "'");
}

// fuse_opt's callback. Every argument reaches it (no templates: the tables above say what
// an option means, so its errors name the option); returning 0 drops it from fuse_opt's
// output, which natss3fs does not use.
int Proc(void* data, const char* arg, int key, fuse_args*) {
  Parse& p = *static_cast<Parse*>(data);
  if (key == FUSE_OPT_KEY_NONOPT) {
    p.positional.emplace_back(arg);
    return 0;
  }
  const std::string text = arg;
  const bool after_servers = p.after_servers;
  p.after_servers = false;
  Status status;
  if (auto it = ShortFlags().find(text); it != ShortFlags().end()) {
    it->second(p);
  } else {
    status = ApplyOption(p, text, after_servers);
  }
  if (!status.ok()) {
    p.error = status;
    return -1;
  }
  return 0;
}

// One option of an -o list for libfuse's parser: commas and backslashes escaped.
std::string EscapeOption(const std::string& option) {
  std::string out;
  for (char c : option) {
    if (c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Status Finish(Parse& p, const EnvLookup& env) {
  CommandLine& c = p.cl;
  if (p.positional.empty() || p.positional.size() > 2) {
    return InvalidArgument("expected [SOURCE] MOUNTPOINT");
  }
  c.mountpoint = p.positional.back();
  if (p.positional.size() == 2) {
    std::string source = p.positional.front();
    if (source.rfind("natss3:", 0) == 0) source = source.substr(7);
    static const std::set<std::string> kAll = {"all", "natss3fs", "natss3", "none", ""};
    if (!kAll.count(source) && c.fs.bucket.empty()) c.fs.bucket = source;
  }
  if (c.allow_other && c.allow_root) {
    return InvalidArgument("allow_other and allow_root are mutually exclusive");
  }
  // Other users reach the files only through these two; with them the kernel must check
  // modes and owners, else every local user could read and overwrite every object.
  c.default_permissions = p.default_permissions.value_or(c.allow_other || c.allow_root);
  if (c.fs.cache_dir.empty()) {
    const char* tmp = env("TMPDIR");
    c.fs.cache_dir = std::string(tmp && *tmp ? tmp : "/tmp");
  }
  NATSS3_ASSIGN_OR_RETURN(ConnectOptions resolved, ResolveConnectOptions(p.flags, env));
  // natss3fs's own: a mount keeps trying (operations give EIO meanwhile), collects garbage
  // and keeps the versions it replaces for a while for other readers.
  resolved.retry_on_failed_connect = true;
  resolved.name = "natss3fs";
  resolved.gc_interval = c.connect.gc_interval;
  resolved.gc_grace = c.connect.gc_grace;
  resolved.release_grace = c.connect.release_grace;
  resolved.write_budget = c.connect.write_budget;
  if (p.js_domain) resolved.js_domain = *p.js_domain;
  c.connect = std::move(resolved);
  return Status::OK();
}

}  // namespace

// The -o list libfuse mounts with: natss3fs's defaults, then what the command line said
// (the later fsname= or subtype= wins).
std::string FuseMountOptions(const CommandLine& cl) {
  std::vector<std::string> options = {
      "fsname=natss3fs:" + (cl.fs.bucket.empty() ? "all" : cl.fs.bucket), "subtype=natss3fs"};
  if (cl.allow_other) options.push_back("allow_other");
  if (cl.allow_root) options.push_back("allow_root");
  if (cl.default_permissions) options.push_back("default_permissions");
  if (cl.fs.read_only) options.push_back("ro");
  options.insert(options.end(), cl.fuse_options.begin(), cl.fuse_options.end());
  std::string list;
  for (const auto& option : options) list += (list.empty() ? "" : ",") + EscapeOption(option);
  return list;
}

Result<uint64_t> ParseByteSize(const std::string& text) {
  if (text.empty()) return InvalidArgument("empty size");
  uint64_t scale = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'k': case 'K': scale = 1ull << 10; break;
    case 'm': case 'M': scale = 1ull << 20; break;
    case 'g': case 'G': scale = 1ull << 30; break;
    case 't': case 'T': scale = 1ull << 40; break;
    default: break;
  }
  if (scale != 1) digits.pop_back();
  NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(digits, 10));
  return n * scale;
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                     const EnvLookup& env) {
  Parse p;
  p.cl.fs.uid = getuid();
  p.cl.fs.gid = getgid();
  p.cl.connect.gc_interval = std::chrono::seconds(60);
  p.cl.connect.release_grace = std::chrono::seconds(30);
  // A close or fsync has no caller that would try again: it waits out a stream leader
  // election that takes more than one round (docs/cluster.md) rather than fail with EIO.
  p.cl.connect.write_budget = std::chrono::seconds(30);
  std::vector<std::string> joined = {"natss3fs"};  // fuse_opt skips argv[0]
  NATSS3_RETURN_IF_ERROR(JoinFlagValues(args, &p, &joined));
  std::vector<char*> argv;
  for (auto& arg : joined) argv.push_back(arg.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  static const fuse_opt kNoTemplates[] = {FUSE_OPT_END};
  int rc = fuse_opt_parse(&fargs, &p, kNoTemplates, Proc);
  fuse_opt_free_args(&fargs);
  if (rc != 0) {
    if (!p.error.ok()) return p.error;
    return InvalidArgument("malformed arguments (an -o without options?)");
  }
  if (p.cl.help || p.cl.version) return std::move(p.cl);
  NATSS3_RETURN_IF_ERROR(Finish(p, env));
  return std::move(p.cl);
}

}  // namespace natss3::fs
