// Command-line parsing for natss3ctl: subcommand dispatch plus cxxopts per subcommand.
// Every error here is a usage error (exit code 2), detected before anything contacts NATS.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "natss3/connect_config.h"
#include "natss3/status.h"
#include "natss3/types.h"
#include "sync_plan.h"

namespace natss3::cli {

// Canonical subcommand names (aliases are resolved: rm -> del, show/i -> info).
enum class Command { kNone, kAdd, kEdit, kPut, kGet, kDel, kInfo, kLs, kSeal, kWatch, kStatus, kGc,
                     kSync };

struct Invocation {
  Command command = Command::kNone;
  std::string command_name;       // canonical name, for messages
  std::vector<std::string> args;  // positional arguments after the subcommand
  ConnectionFlags connection;
  bool json = false;
  bool help = false;     // --help: print help (of the subcommand, if any) and exit 0
  bool version = false;  // --version

  // Bucket configuration (add/edit): unset = keep current (edit) or default (add).
  std::optional<std::chrono::nanoseconds> ttl;
  std::optional<int> replicas;
  std::optional<int64_t> max_bucket_size;
  std::optional<std::string> description;
  std::optional<StorageType> storage;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::string> cluster;
  std::optional<std::map<std::string, std::string>> metadata;
  std::optional<bool> compress;

  // Objects.
  std::optional<std::string> name;                        // put --name
  std::vector<std::pair<std::string, std::string>> headers;  // put -H K:V, in order
  uint32_t chunk_size = 0;                                // put --chunk-size (0: default)
  bool md5 = false;                                       // put/sync --md5
  std::optional<std::string> output;                      // get -O
  bool force = false;
  bool progress = true;
  bool names_only = false;  // ls -n
  bool recursive = false;   // put/get -r

  // gc: --purge (default: a dry run) and --grace.
  bool purge = false;
  std::optional<std::chrono::milliseconds> grace;

  // sync SRC DST (also uses headers, chunk_size, description and progress).
  std::vector<SyncFilter> filters;  // --include/--exclude in command-line order
  bool delete_extraneous = false;   // --delete
  bool dry_run = false;             // --dry-run
  bool quiet = false;               // -q: no per-file lines, no progress bar
  int jobs = 4;                     // -j: transfers in parallel
};

// Parses argv (argv[0] is the program). Global flags may appear before or after the subcommand.
// kInvalidArgument with a user-facing message on any usage error.
Result<Invocation> ParseArgs(const std::vector<std::string>& argv);

// Full help text (commands, global flags, exit codes) and per-subcommand help.
std::string MainHelp();
std::string CommandHelp(const std::string& command_name);

}  // namespace natss3::cli
