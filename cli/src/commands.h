// The subcommands. Each returns OK or the Status to report; none prints errors itself.
#pragma once

#include <string>

#include "app.h"
#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3::cli {

Status RunAdd(Session& s);
Status RunEdit(Session& s);
Status RunInfo(Session& s);  // also `status`
Status RunLs(Session& s);
Status RunSeal(Session& s);
Status RunDel(Session& s);
Status RunWatch(Session& s);
Status RunPut(Session& s);
Status RunGet(Session& s);
Status RunGc(Session& s);
Status RunSync(Session& s);

// Shared helpers (commands_common.cc).
// Bucket status, with kNotFound turned into "bucket \"B\" not found".
Result<BucketStatus> RequireBucket(Session& s, const std::string& bucket);
// Object info, with kNotFound turned into "object B > NAME not found".
Result<ObjectInfo> RequireObject(Session& s, const std::string& bucket, const std::string& name);
// Prints the bucket info view, or its JSON with --json.
void PrintBucket(Session& s, const BucketStatus& status);
void PrintObject(Session& s, const ObjectInfo& info);

}  // namespace natss3::cli
