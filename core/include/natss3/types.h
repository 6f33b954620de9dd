// Value types of the object store: bucket config/status and object meta/info (docs/object-store-format.md §1, §3).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace natss3 {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::nanoseconds>;

enum class StorageType { kFile, kMemory };

// Default chunk size of every official client: 128 KiB.
inline constexpr uint32_t kDefaultChunkSize = 128 * 1024;

struct Placement {
  std::string cluster;            // empty: any cluster
  std::vector<std::string> tags;  // server tags required
};

// ObjectStoreConfig (docs/object-store-format.md §1.2).
struct BucketConfig {
  std::string bucket;                      // ^[a-zA-Z0-9_-]+$
  std::string description;                 // omitted when empty
  std::chrono::nanoseconds ttl{0};         // 0: objects never expire (stream max_age)
  int64_t max_bytes = -1;                  // -1 (or 0): unlimited
  StorageType storage = StorageType::kFile;
  int replicas = 1;                        // 0 is treated as 1
  std::optional<Placement> placement;      // sent only when set
  bool compression = false;                // s2; silently ignored by 2.9 servers
  std::map<std::string, std::string> metadata;  // 2.10+ servers only
};

struct ClusterPeer {
  std::string name;
  bool current = false;
  std::chrono::nanoseconds active{0};
  uint64_t lag = 0;
};

struct ClusterInfo {
  std::string name;
  std::string leader;
  std::vector<ClusterPeer> replicas;
};

// ObjectStoreStatus (docs/object-store-format.md §1.4) plus the stream facts front ends show.
struct BucketStatus {
  std::string bucket;  // without the OBJ_ prefix
  std::string description;
  std::chrono::nanoseconds ttl{0};
  StorageType storage = StorageType::kFile;
  int replicas = 1;
  bool sealed = false;
  uint64_t size = 0;  // stream bytes: all chunks and meta, including per-message overhead
  std::string backing_store = "JetStream";
  std::map<std::string, std::string> metadata;
  bool is_compressed = false;
  int64_t max_bytes = -1;
  std::optional<Placement> placement;
  std::string stream_name;  // OBJ_<bucket>
  TimePoint created{};      // stream creation time
  TimePoint last_update{};  // time of the newest message (state.last_ts); epoch when empty
  uint64_t messages = 0;
  uint64_t last_seq = 0;  // the stream's last sequence (state.last_seq)
  std::optional<ClusterInfo> cluster;
};

// Object headers: case-preserved keys, each with one or more values (nats.Header).
using Headers = std::map<std::string, std::vector<std::string>>;

// A link: bucket set and name empty = bucket link; both set = object link.
struct ObjectLink {
  std::string bucket;
  std::string name;
  bool is_bucket_link() const { return name.empty(); }
};

// ObjectMeta: what the caller controls.
struct ObjectMeta {
  std::string name;
  std::string description;
  Headers headers;
  std::map<std::string, std::string> metadata;
  std::optional<ObjectLink> link;  // set only on link records; Put rejects it
  uint32_t max_chunk_size = 0;     // 0: kDefaultChunkSize
};

// ObjectInfo: ObjectMeta plus the instance fields the store fills in.
struct ObjectInfo {
  ObjectMeta meta;
  std::string bucket;
  std::string nuid;     // names the chunk subject $O.<bucket>.C.<nuid>
  uint64_t size = 0;
  TimePoint mtime{};    // always the meta message's stream timestamp
  uint32_t chunks = 0;
  std::string digest;   // "SHA-256=<base64url padded>", empty when none (links, deleted)
  bool deleted = false;
  uint64_t revision = 0;  // stream sequence of the meta message (0 when unknown)

  const std::string& name() const { return meta.name; }
  bool is_link() const { return meta.link.has_value(); }
  // First value of a header, looked up case-insensitively; empty when absent.
  std::string Header(std::string_view key) const;
};

// Header the core writes on every object it puts: lower-case hex MD5 of the content.
// S3 ETags are built from it; other clients ignore it.
inline constexpr const char* kMd5Header = "Natss3-Content-Md5";

// Headers of a rename marker: while a rename is under way the old name's meta is a delete
// marker with a fresh nuid (so a foreign client deleting it purges nothing) that keeps the
// size, chunks and digest, names the new name and the data's nuid in these headers
// (ObjectStore::ModifyMeta), and is purged once the new name is written.
inline constexpr const char* kRenameHeader = "Natss3-Renamed-To";
inline constexpr const char* kRenameNuidHeader = "Natss3-Renamed-Nuid";

}  // namespace natss3
