// `natss3ctl sync`: the pure part. Which argument is the bucket, which paths the filters let
// through, and what has to happen to each path, decided from sizes alone (a digest comparison
// settles the paths whose sizes are equal). commands_sync.cc runs the plan.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "natss3/status.h"

namespace natss3::cli {

// One side of a sync: a local directory, or `BUCKET:[PREFIX]`. Like rsync's HOST:PATH, an
// argument is a bucket when a ':' comes before any '/'; a local directory whose name has a
// colon is written with a slash before it (`./a:b`).
struct SyncEndpoint {
  bool is_bucket = false;
  std::string bucket;
  std::string prefix;  // "" or a cleaned prefix ending in '/': objects are PREFIX + relative path
  std::string path;    // the local directory
};

// kInvalidArgument for an empty argument or an invalid bucket name.
Result<SyncEndpoint> ParseSyncEndpoint(const std::string& argument);

// --include / --exclude, in command-line order. The first pattern that matches a relative path
// decides (rsync's rule); a path no pattern matches is included. A pattern is an fnmatch(3)
// glob in which '*' and '?' also match '/'; a pattern without a '/' is also tried on the base
// name, so `*.tmp` matches `a/b.tmp` and `cache` matches every file named cache.
struct SyncFilter {
  bool include = false;
  std::string pattern;
};
bool SyncIncluded(const std::vector<SyncFilter>& filters, const std::string& relative);

// An object name (with its prefix removed) is safe to materialise below a directory when it
// has no "..", no empty or "." components and is not absolute.
bool SafeRelativeName(const std::string& name);

// What is known of a path on one side before anything is read.
struct SyncSide {
  uint64_t size = 0;
  // False when no digest can be had (an object without one, or a link): equal sizes then
  // prove nothing and the path is copied.
  bool has_digest = true;
};

struct SyncPlan {
  std::vector<std::string> copy;     // missing on the destination, or another size
  std::vector<std::string> compare;  // same size on both sides: the SHA-256 decides
  std::vector<std::string> remove;   // only on the destination (filled with --delete only)
};

// Both maps are keyed by relative path and already filtered. Lists come out sorted.
SyncPlan PlanSync(const std::map<std::string, SyncSide>& source,
                  const std::map<std::string, SyncSide>& destination, bool delete_extraneous);

}  // namespace natss3::cli
