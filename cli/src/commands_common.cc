// Helpers shared by the subcommands: lookups with clear not-found messages, and printing.
#include "commands.h"
#include "views.h"

namespace natss3::cli {

Result<BucketStatus> RequireBucket(Session& s, const std::string& bucket) {
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  auto status = store->GetBucketStatus(bucket);
  if (!status.ok() && status.status().code() == Code::kNotFound) {
    return NotFound("bucket \"" + bucket + "\" not found");
  }
  return status;
}

Result<ObjectInfo> RequireObject(Session& s, const std::string& bucket, const std::string& name) {
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  auto info = store->GetInfo(bucket, name);
  if (!info.ok() && info.status().code() == Code::kNotFound) {
    return NotFound("object " + bucket + " > " + name + " not found");
  }
  return info;
}

void PrintBucket(Session& s, const BucketStatus& status) {
  s.console.out << (s.inv.json ? JsonText(BucketJson(status)) : BucketInfoText(status));
}

void PrintObject(Session& s, const ObjectInfo& info) {
  s.console.out << (s.inv.json ? JsonText(ObjectJson(info)) : ObjectInfoText(info));
}

}  // namespace natss3::cli
