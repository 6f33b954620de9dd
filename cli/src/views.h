// Output layouts: the `nats obj` info views and tables for people, JSON for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "natss3/types.h"

namespace natss3::cli {

// "Information for Object Store Bucket B created <time>" columns view (docs/object-store-format.md §6).
std::string BucketInfoText(const BucketStatus& status);
// "Object information for B > name" columns view.
std::string ObjectInfoText(const ObjectInfo& info);
// "Object Store Buckets" table, rows sorted by size ascending; `now` for "Last Update".
std::string BucketListText(std::vector<BucketStatus> buckets, TimePoint now);
// "Bucket Contents" table, in the given (stream) order.
std::string ContentsText(const std::vector<ObjectInfo>& objects);
// One watch line: "[time] PUT B > name: 16 KiB bytes in 1 chunks" / "[time] DEL B > name".
std::string WatchLine(const ObjectInfo& info, bool color);

// JSON documents. Objects use nats.go's ObjectInfo field names (name, description, headers,
// metadata, options, bucket, nuid, size, mtime, chunks, digest, deleted); times are RFC 3339
// UTC; durations are nanoseconds, like nats.go.
nlohmann::json BucketJson(const BucketStatus& status);
nlohmann::json ObjectJson(const ObjectInfo& info);
// Pretty-printed with a trailing newline.
std::string JsonText(const nlohmann::json& doc);

}  // namespace natss3::cli
