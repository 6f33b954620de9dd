// Info layouts, tables and JSON of buckets and objects.
#include "views.h"

#include <algorithm>

#include "format.h"
#include "natss3/names.h"
#include "table.h"

namespace natss3::cli {
namespace {

const char* StorageName(StorageType storage) {
  return storage == StorageType::kMemory ? "Memory" : "File";
}

std::map<std::string, std::string> UserMetadata(const std::map<std::string, std::string>& all) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : all) {
    if (k.rfind("_nats.", 0) != 0) out.emplace(k, v);
  }
  return out;
}

std::string DigestText(const std::string& digest) {
  size_t eq = digest.find('=');
  std::string algorithm = eq == std::string::npos ? digest : digest.substr(0, eq);
  auto raw = ParseDigest(digest);
  if (!raw.ok()) return digest;  // show what is stored rather than fail
  return algorithm + " " + HexEncode(*raw);
}

}  // namespace

std::string BucketInfoText(const BucketStatus& s) {
  std::string heading = "Information for Object Store Bucket " + s.bucket;
  if (s.created.time_since_epoch().count() != 0) heading += " created " + FormatTime(s.created);
  Columns cols(heading);
  cols.AddSectionTitle("Configuration");
  cols.AddRow("Bucket Name", s.bucket);
  cols.AddRowIfNotEmpty("Description", s.description);
  cols.AddRow("Replicas", Comma(s.replicas));
  cols.AddRow("TTL", s.ttl.count() == 0 ? "unlimited" : HumanizeDuration(s.ttl));
  cols.AddRow("Sealed", s.sealed ? "true" : "false");
  cols.AddRow("Size", IBytes(s.size));
  cols.AddRow("Maximum Bucket Size",
              s.max_bytes <= 0 ? "unlimited" : IBytes(static_cast<uint64_t>(s.max_bytes)));
  cols.AddRow("Storage", StorageName(s.storage));
  cols.AddRow("Backing Store Kind", s.backing_store.empty() ? "JetStream" : s.backing_store);
  cols.AddRow("JetStream Stream", s.stream_name.empty() ? "OBJ_" + s.bucket : s.stream_name);
  auto metadata = UserMetadata(s.metadata);
  if (!metadata.empty()) cols.AddMapAsValue("Metadata", metadata);
  if (s.cluster.has_value()) {
    cols.AddSectionTitle("Cluster Information");
    cols.AddRow("Name", s.cluster->name);
    cols.AddRow("Leader", s.cluster->leader);
    for (const auto& peer : s.cluster->replicas) {
      cols.AddRow("Replica", peer.name + ", " + (peer.current ? "current" : "outdated") +
                                 ", seen " + HumanizeDuration(peer.active) + " ago");
    }
  }
  return cols.Render();
}

std::string ObjectInfoText(const ObjectInfo& info) {
  Columns cols("Object information for " + info.bucket + " > " + info.name());
  cols.AddRowIfNotEmpty("Description", info.meta.description);
  cols.AddRow("Size", IBytes(info.size));
  cols.AddRow("Modification Time", FormatTime(info.mtime));
  cols.AddRow("Chunks", Comma(info.chunks));
  if (!info.digest.empty()) cols.AddRow("Digest", DigestText(info.digest));
  if (info.is_link()) {
    const ObjectLink& link = *info.meta.link;
    cols.AddRow("Link", link.is_bucket_link() ? "bucket " + link.bucket
                                              : link.bucket + " > " + link.name);
  }
  if (info.deleted) cols.AddRow("Deleted", "true");
  std::vector<std::string> headers;
  for (const auto& [key, values] : info.meta.headers) {
    for (const auto& value : values) headers.push_back(key + ": " + value);
  }
  cols.AddStringsAsValue("Headers", headers);
  if (!info.meta.metadata.empty()) {
    cols.AddSectionTitle("Metadata");
    for (const auto& [k, v] : info.meta.metadata) cols.AddRow(k, v);
  }
  return cols.Render();
}

std::string BucketListText(std::vector<BucketStatus> buckets, TimePoint now) {
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const BucketStatus& a, const BucketStatus& b) { return a.size < b.size; });
  Table table("Object Store Buckets");
  table.AddHeaders({"Bucket", "Description", "Created", "Size", "Last Update"});
  for (const auto& b : buckets) {
    std::string last = b.last_update.time_since_epoch().count() == 0
                           ? "never"
                           : HumanizeDuration(std::max(now - b.last_update, TimePoint::duration(0)));
    table.AddRow({b.bucket, b.description, FormatTime(b.created), IBytes(b.size), last});
  }
  return table.Render();
}

std::string ContentsText(const std::vector<ObjectInfo>& objects) {
  Table table("Bucket Contents");
  table.AddHeaders({"Name", "Size", "Time"});
  for (const auto& o : objects) table.AddRow({o.name(), IBytes(o.size), FormatTime(o.mtime)});
  return table.Render();
}

std::string WatchLine(const ObjectInfo& info, bool color) {
  std::string time = "[" + FormatTime(info.mtime) + "] ";
  if (info.deleted) {
    std::string op = color ? "\x1b[31mDEL\x1b[0m" : "DEL";
    return time + op + " " + info.bucket + " > " + info.name();
  }
  std::string op = color ? "\x1b[32mPUT\x1b[0m" : "PUT";
  return time + op + " " + info.bucket + " > " + info.name() + ": " + IBytes(info.size) +
         " bytes in " + Comma(info.chunks) + " chunks";
}

nlohmann::json BucketJson(const BucketStatus& s) {
  nlohmann::json j = {
      {"bucket", s.bucket},
      {"description", s.description},
      {"ttl", s.ttl.count()},
      {"storage", s.storage == StorageType::kMemory ? "memory" : "file"},
      {"replicas", s.replicas},
      {"sealed", s.sealed},
      {"size", s.size},
      {"max_bytes", s.max_bytes <= 0 ? -1 : s.max_bytes},
      {"backing_store", s.backing_store.empty() ? "JetStream" : s.backing_store},
      {"stream", s.stream_name.empty() ? "OBJ_" + s.bucket : s.stream_name},
      {"compressed", s.is_compressed},
      {"metadata", UserMetadata(s.metadata)},
      {"created", FormatTimeJson(s.created)},
      {"messages", s.messages},
  };
  if (s.last_update.time_since_epoch().count() != 0) j["last_update"] = FormatTimeJson(s.last_update);
  if (s.placement.has_value()) {
    j["placement"] = {{"cluster", s.placement->cluster}, {"tags", s.placement->tags}};
  }
  if (s.cluster.has_value()) {
    nlohmann::json replicas = nlohmann::json::array();
    for (const auto& p : s.cluster->replicas) {
      replicas.push_back({{"name", p.name}, {"current", p.current}, {"active", p.active.count()},
                          {"lag", p.lag}});
    }
    j["cluster"] = {{"name", s.cluster->name}, {"leader", s.cluster->leader}, {"replicas", replicas}};
  }
  return j;
}

nlohmann::json ObjectJson(const ObjectInfo& info) {
  nlohmann::json j = nlohmann::json::object();
  j["name"] = info.name();
  if (!info.meta.description.empty()) j["description"] = info.meta.description;
  if (!info.meta.headers.empty()) j["headers"] = info.meta.headers;
  if (!info.meta.metadata.empty()) j["metadata"] = info.meta.metadata;
  nlohmann::json options = nlohmann::json::object();
  if (info.meta.link.has_value()) {
    options["link"] = {{"bucket", info.meta.link->bucket}};
    if (!info.meta.link->name.empty()) options["link"]["name"] = info.meta.link->name;
  }
  if (info.meta.max_chunk_size != 0) options["max_chunk_size"] = info.meta.max_chunk_size;
  if (!options.empty()) j["options"] = options;
  j["bucket"] = info.bucket;
  j["nuid"] = info.nuid;
  j["size"] = info.size;
  j["mtime"] = FormatTimeJson(info.mtime);
  j["chunks"] = info.chunks;
  if (!info.digest.empty()) j["digest"] = info.digest;
  if (info.deleted) j["deleted"] = true;
  return j;
}

std::string JsonText(const nlohmann::json& doc) {
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace natss3::cli
