// Pure planning of `natss3ctl sync` (see sync_plan.h).
#include "sync_plan.h"

#include <fnmatch.h>

#include "format.h"
#include "natss3/names.h"

namespace natss3::cli {

Result<SyncEndpoint> ParseSyncEndpoint(const std::string& argument) {
  if (argument.empty()) return InvalidArgument("an empty SRC or DST argument");
  SyncEndpoint end;
  size_t colon = argument.find(':');
  size_t slash = argument.find('/');
  if (colon == std::string::npos || (slash != std::string::npos && slash < colon)) {
    end.path = argument;
    return end;
  }
  end.is_bucket = true;
  end.bucket = argument.substr(0, colon);
  Status valid = ValidateBucketName(end.bucket);
  if (!valid.ok()) {
    return InvalidArgument(valid.message() + " (in \"" + argument +
                           "\"; a local directory with a ':' is written ./" + argument + ")");
  }
  // Joined like put -r's --name: "B:", "B:." and "B:./" name the whole bucket.
  std::string prefix = argument.substr(colon + 1);
  if (!prefix.empty()) prefix = CleanPath(prefix);
  if (prefix == ".") prefix.clear();
  if (!prefix.empty() && prefix.back() != '/') prefix += "/";
  end.prefix = prefix;
  return end;
}

bool SyncIncluded(const std::vector<SyncFilter>& filters, const std::string& relative) {
  size_t slash = relative.rfind('/');
  std::string base = slash == std::string::npos ? relative : relative.substr(slash + 1);
  for (const auto& filter : filters) {
    bool match = ::fnmatch(filter.pattern.c_str(), relative.c_str(), 0) == 0;
    if (!match && filter.pattern.find('/') == std::string::npos) {
      match = ::fnmatch(filter.pattern.c_str(), base.c_str(), 0) == 0;
    }
    if (match) return filter.include;
  }
  return true;
}

bool SafeRelativeName(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

SyncPlan PlanSync(const std::map<std::string, SyncSide>& source,
                  const std::map<std::string, SyncSide>& destination, bool delete_extraneous) {
  SyncPlan plan;
  for (const auto& [path, side] : source) {
    auto there = destination.find(path);
    if (there == destination.end() || there->second.size != side.size || !side.has_digest ||
        !there->second.has_digest) {
      plan.copy.push_back(path);
    } else {
      plan.compare.push_back(path);
    }
  }
  if (delete_extraneous) {
    for (const auto& [path, side] : destination) {
      if (source.count(path) == 0) plan.remove.push_back(path);
    }
  }
  return plan;
}

}  // namespace natss3::cli
