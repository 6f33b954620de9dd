// Command line parsing for natss3fs (see options.h).
#include "options.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>

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

const std::set<std::string>& IgnoredOptions() {
  static const std::set<std::string> kIgnored = {
      "dev", "nodev", "suid", "nosuid", "exec", "noexec", "auto", "noauto", "user", "users",
      "nouser", "_netdev", "nofail", "defaults", "async", "sync", "atime", "noatime",
      "relatime", "norelatime", "strictatime", "lazytime", "nodiratime", "diratime", "rw"};
  return kIgnored;
}

using Setter = std::function<Status(CommandLine&, const std::string&)>;

Setter Str(std::string ConnectOptions::*field) {
  return [field](CommandLine& c, const std::string& v) {
    c.connect.*field = v;
    return Status::OK();
  };
}

// A duration in milliseconds, like timeout= and read_timeout=.
Setter Millis(std::chrono::milliseconds ConnectOptions::*field) {
  return [field](CommandLine& c, const std::string& v) -> Status {
    NATSS3_ASSIGN_OR_RETURN(uint64_t ms, ParseNumber(v, 10));
    c.connect.*field = std::chrono::milliseconds(ms);
    return Status::OK();
  };
}

// Options taking a value, shared by "--name value" (dashes) and "-o name=value" (underscores).
const std::map<std::string, Setter>& ValueOptions() {
  static const std::map<std::string, Setter> kOptions = {
      {"bucket", [](CommandLine& c, const std::string& v) { c.fs.bucket = v; return Status::OK(); }},
      {"server", Str(&ConnectOptions::servers)},
      {"servers", Str(&ConnectOptions::servers)},
      {"user", Str(&ConnectOptions::user)},
      {"password", Str(&ConnectOptions::password)},
      {"token", Str(&ConnectOptions::token)},
      {"creds", Str(&ConnectOptions::creds_file)},
      {"nkey", Str(&ConnectOptions::nkey_seed_file)},
      {"tls_ca", Str(&ConnectOptions::tls_ca)},
      {"tls_cert", Str(&ConnectOptions::tls_cert)},
      {"tls_key", Str(&ConnectOptions::tls_key)},
      {"js_domain", Str(&ConnectOptions::js_domain)},
      {"timeout", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t ms, ParseNumber(v, 10));
         c.connect.timeout = std::chrono::milliseconds(ms);
         return Status::OK();
       }},
      {"gc_interval", Millis(&ConnectOptions::gc_interval)},
      {"gc_grace", Millis(&ConnectOptions::gc_grace)},
      {"release_grace", Millis(&ConnectOptions::release_grace)},
      {"max_file_size", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(c.fs.max_file_size, ParseByteSize(v));
         return Status::OK();
       }},
      {"read_timeout", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(c.fs.read_idle_timeout_ms, ParseNumber(v, 10));
         return Status::OK();
       }},
      {"cache_dir", [](CommandLine& c, const std::string& v) { c.fs.cache_dir = v; return Status::OK(); }},
      {"cache_size", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(c.fs.cache_limit, ParseByteSize(v));
         return Status::OK();
       }},
      {"uid", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         c.fs.uid = static_cast<uint32_t>(n);
         return Status::OK();
       }},
      {"gid", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         c.fs.gid = static_cast<uint32_t>(n);
         return Status::OK();
       }},
      {"umask", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 8));
         c.fs.umask = static_cast<uint32_t>(n) & 0777;
         return Status::OK();
       }},
      {"readahead_kb", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         c.readahead_kb = static_cast<uint32_t>(std::min<uint64_t>(n, 1u << 20));
         return Status::OK();
       }},
      {"read_window", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         c.fs.read_window = static_cast<int>(std::clamp<uint64_t>(n, 1, 256));
         return Status::OK();
       }},
      {"read_window_max", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         c.fs.read_window_max = static_cast<int>(std::clamp<uint64_t>(n, 1, 256));
         return Status::OK();
       }},
      {"chunk_size", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseByteSize(v));
         if (n != 0 && (n < 1024 || n > (8u << 20))) return InvalidArgument("1K..8M");
         c.fs.chunk_size = static_cast<uint32_t>(n);
         return Status::OK();
       }},
      {"threads", [](CommandLine& c, const std::string& v) -> Status {
         NATSS3_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(v, 10));
         c.max_threads = static_cast<int>(std::max<uint64_t>(1, n));
         return Status::OK();
       }},
  };
  return kOptions;
}

Status ApplyMountOption(CommandLine& c, const std::string& opt) {
  if (opt.empty() || IgnoredOptions().count(opt) || opt.rfind("x-", 0) == 0 ||
      opt.rfind("comment=", 0) == 0) {
    return Status::OK();
  }
  if (opt == "ro") c.fs.read_only = true;
  else if (opt == "allow_other") c.allow_other = true;
  else if (opt == "default_permissions") c.default_permissions = true;
  else if (opt == "debug") c.debug = c.foreground = true;
  else if (opt == "foreground") c.foreground = true;
  else {
    auto eq = opt.find('=');
    std::string name = opt.substr(0, eq);
    auto it = ValueOptions().find(name);
    if (eq == std::string::npos || it == ValueOptions().end()) {
      return InvalidArgument("unknown mount option '" + opt + "'");
    }
    return it->second(c, opt.substr(eq + 1)).Annotate("option " + name);
  }
  return Status::OK();
}

Status ApplyMountOptions(CommandLine& c, const std::string& list) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    NATSS3_RETURN_IF_ERROR(ApplyMountOption(c, list.substr(start, comma - start)));
    start = comma + 1;
  }
  return Status::OK();
}

}  // namespace

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

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine c;
  c.fs.uid = getuid();
  c.fs.gid = getgid();
  c.connect.retry_on_failed_connect = true;  // a mount keeps trying; ops give EIO meanwhile
  c.connect.name = "natss3fs";
  // A mount runs for days: it collects the garbage crashes leave behind (orphan chunks), and
  // keeps the versions it replaces for a while, so that readers in other processes finish.
  c.connect.gc_interval = std::chrono::seconds(60);
  c.connect.release_grace = std::chrono::seconds(30);
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto next = [&]() -> Result<std::string> {
      if (i + 1 >= args.size()) return InvalidArgument(arg + " needs a value");
      return args[++i];
    };
    if (arg == "-h" || arg == "--help") c.help = true;
    else if (arg == "-V" || arg == "--version") c.version = true;
    else if (arg == "-f" || arg == "--foreground") c.foreground = true;
    else if (arg == "-d" || arg == "--debug") c.debug = c.foreground = true;
    else if (arg == "--dry-run") c.dry_run = true;
    else if (arg == "-s") { NATSS3_ASSIGN_OR_RETURN(c.connect.servers, next()); }
    else if (arg == "-o") {
      NATSS3_ASSIGN_OR_RETURN(std::string list, next());
      NATSS3_RETURN_IF_ERROR(ApplyMountOptions(c, list));
    } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2 && arg[2] != '-') {
      NATSS3_RETURN_IF_ERROR(ApplyMountOptions(c, arg.substr(2)));
    } else if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2), value;
      auto eq = name.find('=');
      bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      for (char& ch : name) ch = ch == '-' ? '_' : ch;
      if (name == "ro" || name == "read_only") { c.fs.read_only = true; continue; }
      if (name == "allow_other") { c.allow_other = true; continue; }
      auto it = ValueOptions().find(name);
      if (it == ValueOptions().end()) return InvalidArgument("unknown flag '" + arg + "'");
      if (!inline_value) { NATSS3_ASSIGN_OR_RETURN(value, next()); }
      NATSS3_RETURN_IF_ERROR(it->second(c, value).Annotate(arg));
    } else if (arg.size() > 1 && arg[0] == '-') {
      return InvalidArgument("unknown flag '" + arg + "'");
    } else {
      positional.push_back(arg);
    }
  }
  if (c.help || c.version) return c;
  if (positional.empty() || positional.size() > 2) {
    return InvalidArgument("expected [SOURCE] MOUNTPOINT");
  }
  c.mountpoint = positional.back();
  if (positional.size() == 2) {
    std::string source = positional.front();
    if (source.rfind("natss3:", 0) == 0) source = source.substr(7);
    static const std::set<std::string> kAll = {"all", "natss3fs", "natss3", "none", ""};
    if (!kAll.count(source) && c.fs.bucket.empty()) c.fs.bucket = source;
  }
  if (c.fs.cache_dir.empty()) {
    const char* tmp = getenv("TMPDIR");
    c.fs.cache_dir = std::string(tmp && *tmp ? tmp : "/tmp");
  }
  return c;
}

std::string UsageText() {
  return R"(usage: natss3fs [options] [SOURCE] MOUNTPOINT

Mounts NATS JetStream object-store buckets: every bucket as a directory, or one bucket
(--bucket B, or SOURCE=B as mount(8) passes it; SOURCE "all" means every bucket).

NATS connection:
  -s, --server URLS      comma-separated server URLs (default $NATS_URL, nats://127.0.0.1:4222)
  --user U --password P  user/password       --token T       token
  --creds FILE           JWT .creds file     --nkey FILE     nkey seed file
  --tls-ca/--tls-cert/--tls-key FILE         --timeout MS    request timeout (5000)
Mount:
  -f, --foreground       stay in the foreground      -d, --debug   trace FUSE requests
  --dry-run              check the command line and the mount point, then exit 0 without
                         connecting or mounting (what `mount -f` does through mount.natss3fs)
  --bucket B             mount only bucket B
  --cache-dir DIR        staging files (default $TMPDIR or /tmp)
  --cache-size SIZE      staging space limit, e.g. 2G (default 1G)
  -o OPTIONS             comma-separated: ro, allow_other, default_permissions, uid=N, gid=N,
                         umask=OOO, bucket=B, server=URLS, creds=FILE, cache_dir=DIR,
                         cache_size=SIZE, read_timeout=MS, threads=N, readahead_kb=N
                         (kernel readahead, default 1024), read_window=N and
                         read_window_max=N (chunk fetches in flight per sequential reader: up
                         to max (32) while few files are read, down to N (8) when many are),
                         chunk_size=SIZE (of the objects written, default 128K; capped at the
                         server's max_payload), max_file_size=SIZE (EFBIG beyond; default the
                         bucket's max_bytes, else 1T), gc_interval=MS (garbage collection of
                         orphan chunks, default 60000, 0 = off), gc_grace=MS (orphans younger
                         than this are kept, default 60000), release_grace=MS (versions this
                         mount replaced stay readable for other clients this long, default
                         30000), and every flag above
                         as name=value; generic mount options (_netdev, nofail, ...) are ignored.
Unmount with: fusermount3 -u MOUNTPOINT (open files are flushed first).
)";
}

}  // namespace natss3::fs
