// Argument parsing: finds the subcommand, then parses its flags and positionals with cxxopts.
#define CXXOPTS_VECTOR_DELIMITER '\0'  // repeated flags stay whole: -H "a:b,c" is one header
#include "args.h"

#include <charconv>
#include <cxxopts.hpp>
#include <set>

#include "format.h"
#include "header_template.h"
#include "natss3/names.h"

namespace natss3::cli {
namespace {

struct CommandSpec {
  Command command;
  const char* name;
  std::vector<const char*> aliases;
  const char* usage;
  const char* summary;
};

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      {Command::kAdd, "add", {}, "add BUCKET [flags]", "Adds a new Object Store Bucket"},
      {Command::kEdit, "edit", {}, "edit BUCKET [flags]",
       "Changes the given flags of an existing bucket"},
      {Command::kPut, "put", {}, "put BUCKET [FILE] [flags] | put -r BUCKET DIR",
       "Puts a file (or stdin, or a directory tree with -r) into the store"},
      {Command::kGet, "get", {}, "get BUCKET NAME [-O FILE|-] | get -r BUCKET [PREFIX] [-O DIR]",
       "Retrieves an object (or a tree of objects with -r) from the store"},
      {Command::kDel, "del", {"rm"}, "del BUCKET [NAME] [-f]",
       "Deletes an object, or the whole bucket when no NAME is given"},
      {Command::kInfo, "info", {"show", "i"}, "info [BUCKET [NAME]]",
       "Shows information about a bucket (picked from a list if not given) or an object"},
      {Command::kLs, "ls", {}, "ls [BUCKET] [-n]", "Lists buckets, or the objects of a bucket"},
      {Command::kSeal, "seal", {}, "seal BUCKET [-f]",
       "Seals a bucket, preventing any further change"},
      {Command::kWatch, "watch", {}, "watch BUCKET",
       "Prints changes to a bucket until interrupted"},
      {Command::kStatus, "status", {}, "status [BUCKET]", "Shows the status of a bucket, like info"},
      {Command::kGc, "gc", {}, "gc BUCKET [--purge] [--grace DURATION] [--json]",
       "Finds data no object references (crashed uploads); purges it with --purge"},
      {Command::kSync, "sync", {}, "sync DIR BUCKET:[PREFIX] [flags] | sync BUCKET:[PREFIX] DIR [flags]",
       "Copies the files that differ between a directory and a bucket, either way"},
  };
  return kCommands;
}

const CommandSpec* FindCommand(const std::string& word) {
  for (const auto& spec : Commands()) {
    if (word == spec.name) return &spec;
    for (const char* alias : spec.aliases) {
      if (word == alias) return &spec;
    }
  }
  return nullptr;
}

// Every flag that takes a separate value, so the subcommand scan can skip that value.
const std::set<std::string>& ValueFlags() {
  static const std::set<std::string> kFlags = {
      "-s", "--server", "--user", "--password", "--token", "--creds", "--nkey", "--tlscert",
      "--tlskey", "--tlsca", "--timeout", "--context", "--ttl", "--replicas",
      "--max-bucket-size", "--description", "--storage", "--tags", "--cluster", "--metadata",
      "--name", "-H", "--header", "--chunk-size", "-O", "--output", "--grace",
      "--exclude", "--include", "-j", "--jobs"};
  return kFlags;
}

void AddGlobalOptions(cxxopts::Options& o) {
  o.add_options("Connection")
      ("s,server", "NATS server URLs, comma separated (env NATS_URL)", cxxopts::value<std::string>(), "URL")
      ("user", "Username or token (env NATS_USER)", cxxopts::value<std::string>(), "USER")
      ("password", "Password (env NATS_PASSWORD)", cxxopts::value<std::string>(), "PASSWORD")
      ("token", "Token (env NATS_TOKEN)", cxxopts::value<std::string>(), "TOKEN")
      ("creds", "User credentials file (env NATS_CREDS)", cxxopts::value<std::string>(), "FILE")
      ("nkey", "User NKEY seed file (env NATS_NKEY)", cxxopts::value<std::string>(), "FILE")
      ("tlscert", "TLS client certificate (env NATS_CERT)", cxxopts::value<std::string>(), "FILE")
      ("tlskey", "TLS client key (env NATS_KEY)", cxxopts::value<std::string>(), "FILE")
      ("tlsca", "TLS CA certificate (env NATS_CA)", cxxopts::value<std::string>(), "FILE")
      ("timeout", "Time to wait on responses from NATS (default 5s; env NATS_TIMEOUT)", cxxopts::value<std::string>(), "DURATION")
      ("context", "nats CLI context to use (env NATS_CONTEXT)", cxxopts::value<std::string>(), "NAME");
  o.add_options("General")
      ("json", "Produce JSON output")
      ("h,help", "Show help")
      ("version", "Show the version");
}

void AddBucketOptions(cxxopts::Options& o, bool with_storage) {
  auto add = o.add_options("Bucket");
  add("ttl", "How long to keep objects for (e.g. 1h, 7d, 1y; 0 = forever)", cxxopts::value<std::string>(), "DURATION")
     ("replicas", "How many replicas of the data to store (default 1)", cxxopts::value<std::string>(), "N")
     ("max-bucket-size", "Maximum size of the bucket, 1024-based (512MB, 1GiB; -1 = unlimited)", cxxopts::value<std::string>(), "SIZE")
     ("description", "A description for the bucket", cxxopts::value<std::string>(), "TEXT")
     ("tags", "Place the bucket on servers with this tag (repeatable)", cxxopts::value<std::vector<std::string>>(), "TAG")
     ("cluster", "Place the bucket on a specific cluster", cxxopts::value<std::string>(), "NAME")
     ("metadata", "Bucket metadata K=V (repeatable)", cxxopts::value<std::vector<std::string>>(), "K=V")
     ("compress", "Compress the bucket data (s2)", cxxopts::value<bool>()->implicit_value("true"))
     ("no-compress", "Do not compress the bucket data");
  if (with_storage) add("storage", "Storage backend: file, f, memory, m", cxxopts::value<std::string>(), "TYPE");
}

void AddCommandOptions(cxxopts::Options& o, Command command) {
  switch (command) {
    case Command::kAdd: AddBucketOptions(o, true); break;
    case Command::kEdit: AddBucketOptions(o, false); break;
    case Command::kPut:
      o.add_options("Put")
          ("name", "Object name (required for stdin; name prefix with -r)", cxxopts::value<std::string>(), "NAME")
          ("description", "A description for the object", cxxopts::value<std::string>(), "TEXT")
          ("H,header", "Object header K:V (repeatable)", cxxopts::value<std::vector<std::string>>(), "K:V")
          ("chunk-size", "Chunk size, 1024-based (default 128KiB)", cxxopts::value<std::string>(), "SIZE")
          ("md5", "Also record the content's MD5 (an MD5 ETag for S3 clients; costs CPU)")
          ("progress", "Show a progress bar on a terminal (default)", cxxopts::value<bool>()->implicit_value("true"))
          ("no-progress", "Disable progress bars")
          ("f,force", "Replace existing objects without asking")
          ("r,recursive", "Put a directory tree; object names are paths relative to DIR");
      break;
    case Command::kGet:
      o.add_options("Get")
          ("O,output", "Output file, - for stdout (with -r: output directory)", cxxopts::value<std::string>(), "PATH")
          ("progress", "Show a progress bar on a terminal (default)", cxxopts::value<bool>()->implicit_value("true"))
          ("no-progress", "Disable progress bars")
          ("f,force", "Replace existing files without asking")
          ("r,recursive", "Get every object under PREFIX/ into a directory tree");
      break;
    case Command::kDel:
    case Command::kSeal:
      o.add_options(command == Command::kDel ? "Del" : "Seal")("f,force", "Act without confirmation");
      break;
    case Command::kLs:
      o.add_options("Ls")("n,names", "Show just the names");
      break;
    case Command::kGc:
      o.add_options("Gc")
          ("purge", "Purge what is found (default: only report it)")
          ("grace", "Leave data younger than this alone (default 60s, as natss3d and "
                    "natss3fs; 0 only when no upload can be in progress)",
           cxxopts::value<std::string>(), "DURATION");
      break;
    case Command::kSync:
      o.add_options("Sync")
          ("delete", "Delete files (or objects under the prefix) that only DST has")
          ("exclude", "Leave out relative paths matching GLOB (repeatable; the first "
                      "--exclude/--include that matches decides)", cxxopts::value<std::vector<std::string>>(), "GLOB")
          ("include", "Keep relative paths matching GLOB (repeatable; see --exclude)", cxxopts::value<std::vector<std::string>>(), "GLOB")
          ("dry-run", "Print what would be copied and deleted; change nothing")
          ("j,jobs", "Files transferred in parallel (default 4, at most 64)", cxxopts::value<std::string>(), "N")
          ("q,quiet", "Print no line per file and no progress bar")
          ("progress", "Show a progress bar on a terminal (default)", cxxopts::value<bool>()->implicit_value("true"))
          ("no-progress", "Disable the progress bar")
          ("description", "A description for uploaded objects", cxxopts::value<std::string>(), "TEXT")
          ("H,header", "Header K:V of uploaded objects (repeatable)", cxxopts::value<std::vector<std::string>>(), "K:V")
          ("chunk-size", "Chunk size of uploaded objects, 1024-based (default 128KiB)", cxxopts::value<std::string>(), "SIZE")
          ("md5", "Also record uploaded objects' MD5 (an MD5 ETag for S3 clients; costs CPU)");
      break;
    default: break;
  }
  o.add_options()("args", "", cxxopts::value<std::vector<std::string>>());
  o.parse_positional({"args"});
  o.positional_help("");
}

cxxopts::Options MakeOptions(const CommandSpec* spec) {
  cxxopts::Options o("natss3ctl", spec ? spec->summary : "");
  o.custom_help(spec ? spec->usage : "COMMAND [ARGS] [flags]");
  AddGlobalOptions(o);
  AddCommandOptions(o, spec ? spec->command : Command::kNone);
  return o;
}

std::vector<std::string> GroupsFor(const CommandSpec* spec) {
  std::vector<std::string> groups;
  if (spec != nullptr) {
    switch (spec->command) {
      case Command::kAdd: case Command::kEdit: groups.push_back("Bucket"); break;
      case Command::kPut: groups.push_back("Put"); break;
      case Command::kGet: groups.push_back("Get"); break;
      case Command::kDel: groups.push_back("Del"); break;
      case Command::kSeal: groups.push_back("Seal"); break;
      case Command::kLs: groups.push_back("Ls"); break;
      case Command::kGc: groups.push_back("Gc"); break;
      case Command::kSync: groups.push_back("Sync"); break;
      default: break;
    }
  }
  groups.push_back("Connection");
  groups.push_back("General");
  return groups;
}

Status ParseKeyValues(const std::vector<std::string>& items, char separator, const char* flag,
                      std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& item : items) {
    size_t at = item.find(separator);
    std::string key = at == std::string::npos ? "" : item.substr(0, at);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
    if (at == std::string::npos || key.empty()) {
      return InvalidArgument(std::string("invalid ") + flag + " \"" + item + "\", expected K" +
                             separator + "V");
    }
    std::string value = item.substr(at + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.erase(0, 1);
    out->emplace_back(key, value);
  }
  return Status::OK();
}

// Header values are templates (header_template.h), checked here so that a malformed one is a
// usage error; they are expanded per object when it is put. Values are trimmed like natscli's.
Status CheckHeaderTemplates(std::vector<std::pair<std::string, std::string>>& headers) {
  TemplateValues probe;
  probe.new_id = [] { return std::string(); };
  probe.random = [](uint64_t) { return std::string(); };
  for (auto& [key, value] : headers) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
    auto expanded = ExpandHeaderTemplate(value, probe);
    if (!expanded.ok()) {
      return InvalidArgument("invalid --header \"" + key + ":" + value + "\": " + expanded.status().message());
    }
  }
  return Status::OK();
}

Status FillConnection(const cxxopts::ParseResult& r, Invocation* inv) {
  auto opt = [&](const char* key, std::optional<std::string>* field) {
    if (r.count(key)) *field = r[key].as<std::string>();
  };
  ConnectionFlags& c = inv->connection;
  opt("server", &c.server); opt("user", &c.user); opt("password", &c.password);
  opt("token", &c.token); opt("creds", &c.creds); opt("nkey", &c.nkey);
  opt("tlscert", &c.tls_cert); opt("tlskey", &c.tls_key); opt("tlsca", &c.tls_ca);
  opt("context", &c.context);
  if (r.count("timeout")) {
    auto t = ParseDuration(r["timeout"].as<std::string>());
    if (!t.ok()) return InvalidArgument("--timeout: " + t.status().message());
    if (t->count() <= 0) return InvalidArgument("--timeout must be positive");
    c.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*t);
  }
  inv->json = r.count("json") > 0;
  inv->help = r.count("help") > 0;
  inv->version = r.count("version") > 0;
  return Status::OK();
}

Status FillBucketFlags(const cxxopts::ParseResult& r, Invocation* inv) {
  if (r.count("ttl")) {
    auto ttl = ParseDuration(r["ttl"].as<std::string>());
    if (!ttl.ok()) return InvalidArgument("--ttl: " + ttl.status().message());
    inv->ttl = *ttl;
  }
  if (r.count("replicas")) {
    const std::string text = r["replicas"].as<std::string>();
    int replicas = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), replicas);
    if (error != std::errc() || end != text.data() + text.size() || replicas < 1 || replicas > 5) return InvalidArgument("--replicas must be between 1 and 5");
    inv->replicas = replicas;
  }
  if (r.count("max-bucket-size")) {
    auto size = ParseSize(r["max-bucket-size"].as<std::string>());
    if (!size.ok()) return InvalidArgument("--max-bucket-size: " + size.status().message());
    inv->max_bucket_size = *size;
  }
  if (r.count("description")) inv->description = r["description"].as<std::string>();
  if (r.count("storage")) {
    std::string s = r["storage"].as<std::string>();
    if (s == "file" || s == "f") inv->storage = StorageType::kFile;
    else if (s == "memory" || s == "m") inv->storage = StorageType::kMemory;
    else return InvalidArgument("--storage must be one of file, f, memory, m (got \"" + s + "\")");
  }
  if (r.count("tags")) inv->tags = r["tags"].as<std::vector<std::string>>();
  if (r.count("cluster")) inv->cluster = r["cluster"].as<std::string>();
  if (r.count("metadata")) {
    std::vector<std::pair<std::string, std::string>> pairs;
    NATSS3_RETURN_IF_ERROR(ParseKeyValues(r["metadata"].as<std::vector<std::string>>(), '=', "--metadata", &pairs));
    inv->metadata.emplace(pairs.begin(), pairs.end());
  }
  if (r.count("compress")) inv->compress = r["compress"].as<bool>();
  if (r.count("no-compress")) inv->compress = false;
  return Status::OK();
}

Status FillObjectFlags(const cxxopts::ParseResult& r, Invocation* inv) {
  if (inv->command == Command::kPut || inv->command == Command::kSync) {
    // natscli: an empty --name is no --name (the FILE names the object).
    if (r.count("name") && !r["name"].as<std::string>().empty()) inv->name = r["name"].as<std::string>();
    if (r.count("description")) inv->description = r["description"].as<std::string>();
    if (r.count("header")) {
      NATSS3_RETURN_IF_ERROR(ParseKeyValues(r["header"].as<std::vector<std::string>>(), ':', "--header", &inv->headers));
      NATSS3_RETURN_IF_ERROR(CheckHeaderTemplates(inv->headers));
    }
    inv->md5 = r.count("md5") > 0;
    if (r.count("chunk-size")) {
      auto size = ParseSize(r["chunk-size"].as<std::string>());
      if (!size.ok()) return InvalidArgument("--chunk-size: " + size.status().message());
      if (*size <= 0 || *size > 64LL * 1024 * 1024) return InvalidArgument("--chunk-size must be between 1 B and 64 MiB");
      inv->chunk_size = static_cast<uint32_t>(*size);
    }
  }
  // natscli: an empty output is no output (an unset "$DEST" must not mean "/").
  if (inv->command == Command::kGet && r.count("output") && !r["output"].as<std::string>().empty())
    inv->output = r["output"].as<std::string>();
  if (inv->command == Command::kSync) {
    if (r.count("progress")) inv->progress = r["progress"].as<bool>();
    if (r.count("no-progress")) inv->progress = false;
    inv->delete_extraneous = r.count("delete") > 0;
    inv->dry_run = r.count("dry-run") > 0;
    inv->quiet = r.count("quiet") > 0;
    if (r.count("jobs")) {
      const std::string text = r["jobs"].as<std::string>();
      int jobs = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), jobs);
      if (error != std::errc() || end != text.data() + text.size() || jobs < 1 || jobs > 64)
        return InvalidArgument("--jobs must be between 1 and 64 (got \"" + text + "\")");
      inv->jobs = jobs;
    }
    // The order of --include and --exclude matters, so they are read in command-line order.
    for (const auto& kv : r.arguments()) {
      if (kv.key() != "include" && kv.key() != "exclude") continue;
      if (kv.value().empty()) return InvalidArgument("--" + kv.key() + " needs a non-empty GLOB");
      inv->filters.push_back(SyncFilter{kv.key() == "include", kv.value()});
    }
  }
  if (inv->command == Command::kPut || inv->command == Command::kGet) {
    if (r.count("progress")) inv->progress = r["progress"].as<bool>();
    if (r.count("no-progress")) inv->progress = false;
    inv->recursive = r.count("recursive") > 0;
  }
  if (inv->command == Command::kPut || inv->command == Command::kGet ||
      inv->command == Command::kDel || inv->command == Command::kSeal) {
    inv->force = r.count("force") > 0;
  }
  if (inv->command == Command::kLs) inv->names_only = r.count("names") > 0;
  if (inv->command == Command::kGc) {
    inv->purge = r.count("purge") > 0;
    if (r.count("grace")) {
      auto g = ParseDuration(r["grace"].as<std::string>());
      if (!g.ok()) return InvalidArgument("--grace: " + g.status().message());
      if (g->count() < 0) return InvalidArgument("--grace must not be negative");
      inv->grace = std::chrono::duration_cast<std::chrono::milliseconds>(*g);
    }
  }
  return Status::OK();
}

Status CheckPositionals(const Invocation& inv) {
  size_t n = inv.args.size(), min = 1, max = 1;
  switch (inv.command) {
    case Command::kPut: min = inv.recursive ? 2 : 1; max = 2; break;
    case Command::kGet: min = inv.recursive ? 1 : 2; max = 2; break;
    case Command::kDel: max = 2; break;
    case Command::kInfo: min = 0; max = 2; break;  // no BUCKET: a picker (on a terminal only)
    case Command::kLs: case Command::kStatus: min = 0; break;
    case Command::kSync: min = 2; max = 2; break;
    default: break;
  }
  if (n < min) {
    const char* what = inv.command == Command::kSync ? "SRC and DST arguments are required"
                       : n == 0 ? "a BUCKET argument is required"
                              : (inv.command == Command::kPut ? "a DIR argument is required with --recursive"
                                                              : "an object NAME argument is required");
    return InvalidArgument(std::string(what) + " (usage: natss3ctl " +
                           FindCommand(inv.command_name)->usage + ")");
  }
  if (n > max) return InvalidArgument("unexpected argument \"" + inv.args[max] + "\"");
  if (inv.command == Command::kPut && !inv.recursive && (n < 2 || inv.args[1] == "-") &&
      (!inv.name.has_value() || inv.name->empty())) {
    return InvalidArgument("--name is required when reading from stdin");
  }
  if (inv.command == Command::kSync) {
    NATSS3_ASSIGN_OR_RETURN(SyncEndpoint src, ParseSyncEndpoint(inv.args[0]));
    NATSS3_ASSIGN_OR_RETURN(SyncEndpoint dst, ParseSyncEndpoint(inv.args[1]));
    if (src.is_bucket == dst.is_bucket) {
      return InvalidArgument(std::string(src.is_bucket ? "both SRC and DST are buckets" : "neither SRC nor DST is a bucket") +
                             ": one must be BUCKET:[PREFIX] and the other a local directory "
                             "(usage: natss3ctl " + FindCommand(inv.command_name)->usage + ")");
    }
    return Status::OK();
  }
  if (n >= 1) {
    Status valid = ValidateBucketName(inv.args[0]);
    if (!valid.ok()) return InvalidArgument(valid.message());
  }
  return Status::OK();
}

}  // namespace

Result<Invocation> ParseArgs(const std::vector<std::string>& argv) {
  std::vector<std::string> rest = {argv.empty() ? "natss3ctl" : argv[0]};
  const CommandSpec* spec = nullptr;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (spec == nullptr && a == "--") break;
    if (spec == nullptr && (a.size() < 2 || a[0] != '-')) {
      spec = FindCommand(a);
      if (spec == nullptr) return InvalidArgument("unknown command \"" + a + "\", try --help");
      continue;
    }
    rest.push_back(a);
    if (spec == nullptr && ValueFlags().count(a) && i + 1 < argv.size()) rest.push_back(argv[++i]);
  }
  Invocation inv;
  if (spec != nullptr) {
    inv.command = spec->command;
    inv.command_name = spec->name;
  }
  cxxopts::Options options = MakeOptions(spec);
  try {
    std::vector<const char*> raw;
    for (const auto& s : rest) raw.push_back(s.c_str());
    cxxopts::ParseResult r = options.parse(static_cast<int>(raw.size()), raw.data());
    NATSS3_RETURN_IF_ERROR(FillConnection(r, &inv));
    if (inv.help || inv.version) return inv;
    if (spec == nullptr) return InvalidArgument("no command given, try --help");
    if (r.count("args")) inv.args = r["args"].as<std::vector<std::string>>();
    if (spec->command == Command::kAdd || spec->command == Command::kEdit) {
      NATSS3_RETURN_IF_ERROR(FillBucketFlags(r, &inv));
    }
    NATSS3_RETURN_IF_ERROR(FillObjectFlags(r, &inv));
  } catch (const cxxopts::exceptions::exception& e) {
    std::string message = e.what();
    for (const char* quote : {"\xE2\x80\x98", "\xE2\x80\x99"}) {
      for (size_t at; (at = message.find(quote)) != std::string::npos;) message.replace(at, 3, "\"");
    }
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    return InvalidArgument(message + ", try natss3ctl " + (spec ? std::string(spec->name) + " " : "") + "--help");
  }
  NATSS3_RETURN_IF_ERROR(CheckPositionals(inv));
  return inv;
}

std::string CommandHelp(const std::string& command_name) {
  const CommandSpec* spec = FindCommand(command_name);
  cxxopts::Options options = MakeOptions(spec);
  return options.help(GroupsFor(spec));
}

std::string MainHelp() {
  std::string out =
      "natss3ctl: the NATS JetStream Object Store from the command line (like `nats obj`).\n\n"
      "Usage: natss3ctl COMMAND [ARGS] [flags]\n\nCommands:\n";
  for (const auto& spec : Commands()) {
    std::string names = spec.name;
    for (const char* alias : spec.aliases) names += std::string(", ") + alias;
    out += "  " + names + std::string(names.size() < 12 ? 12 - names.size() : 1, ' ') + spec.summary + "\n";
  }
  cxxopts::Options options = MakeOptions(nullptr);
  std::string flags = options.help({"Connection", "General"});
  size_t first_group = flags.find("\n Connection");
  out += first_group == std::string::npos ? flags : flags.substr(first_group);
  out +=
      "\nConnection settings come from the flags, then the environment, then the nats CLI\n"
      "context (--context NAME, $NATS_CONTEXT, or the one selected in\n"
      "~/.config/nats/context.txt), then nats://127.0.0.1:4222.\n\n"
      "Prompts (replace, delete, seal) need a terminal; without one, pass -f/--force.\n"
      "Run `natss3ctl COMMAND --help` for the flags of a command.\n\n"
      "Exit codes:\n"
      "  0  success (also when a prompt was answered \"no\")\n"
      "  1  failure: NATS unreachable, bucket or object not found, sealed bucket,\n"
      "     no terminal to confirm on, I/O error, ...\n"
      "  2  usage error: unknown command or flag, missing or extra arguments, malformed\n"
      "     value (size, duration, header, storage, bucket name)\n";
  return out;
}

}  // namespace natss3::cli
