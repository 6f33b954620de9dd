// Bucket operations through the raw JetStream JSON API (docs/object-store-format.md §1).
#include <algorithm>
#include <optional>
#include <thread>

#include "meta_json.h"
#include "nats/nats_store.h"
#include "natss3/crash_point.h"
#include "natss3/multipart.h"
#include "natss3/names.h"

namespace natss3::natsw {

using json = nlohmann::json;

namespace {

json StreamConfigFor(const BucketConfig& c, bool server_2_10) {
  json j;
  j["name"] = StreamName(c.bucket);
  if (!c.description.empty()) j["description"] = c.description;
  j["subjects"] = {"$O." + c.bucket + ".C.>", "$O." + c.bucket + ".M.>"};
  j["retention"] = "limits";
  j["max_bytes"] = c.max_bytes > 0 ? c.max_bytes : -1;
  j["max_age"] = c.ttl.count();
  j["storage"] = c.storage == StorageType::kMemory ? "memory" : "file";
  j["num_replicas"] = c.replicas > 0 ? c.replicas : 1;
  j["discard"] = "new";
  j["allow_rollup_hdrs"] = true;
  j["allow_direct"] = true;
  if (c.placement) {
    json p;
    p["cluster"] = c.placement->cluster;
    if (!c.placement->tags.empty()) p["tags"] = c.placement->tags;
    j["placement"] = p;
  }
  if (server_2_10) {
    if (c.compression) j["compression"] = "s2";
    if (!c.metadata.empty()) j["metadata"] = c.metadata;
  }
  return j;
}

TimePoint ParseTime(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return TimePoint{};
  return ParseRfc3339(it->get<std::string>());
}

}  // namespace

Result<BucketStatus> NatsObjectStore::StatusFromInfo(const json& info) {
  BucketStatus st;
  const json& cfg = info.value("config", json::object());
  const json& state = info.value("state", json::object());
  st.stream_name = cfg.value("name", "");
  st.bucket = st.stream_name.rfind("OBJ_", 0) == 0 ? st.stream_name.substr(4) : st.stream_name;
  st.description = cfg.value("description", "");
  st.ttl = std::chrono::nanoseconds(cfg.value("max_age", int64_t{0}));
  st.storage = cfg.value("storage", "file") == "memory" ? StorageType::kMemory : StorageType::kFile;
  st.replicas = cfg.value("num_replicas", 1);
  st.sealed = cfg.value("sealed", false);
  st.max_bytes = cfg.value("max_bytes", int64_t{-1});
  st.size = state.value("bytes", uint64_t{0});
  st.messages = state.value("messages", uint64_t{0});
  st.last_seq = state.value("last_seq", uint64_t{0});
  st.is_compressed = cfg.contains("compression") && cfg["compression"].is_string() &&
                     cfg["compression"] != "none";
  if (auto md = cfg.find("metadata"); md != cfg.end() && md->is_object()) {
    for (auto& [k, v] : md->items())
      if (v.is_string() && k.rfind("_nats.", 0) != 0) st.metadata[k] = v.get<std::string>();
  }
  if (auto p = cfg.find("placement"); p != cfg.end() && p->is_object()) {
    Placement pl;
    pl.cluster = p->value("cluster", "");
    if (p->contains("tags") && (*p)["tags"].is_array())
      for (auto& t : (*p)["tags"]) pl.tags.push_back(t.get<std::string>());
    st.placement = pl;
  }
  st.created = ParseTime(info, "created");
  if (st.messages > 0) st.last_update = ParseTime(state, "last_ts");
  if (auto cl = info.find("cluster"); cl != info.end() && cl->is_object()) {
    ClusterInfo ci;
    ci.name = cl->value("name", "");
    ci.leader = cl->value("leader", "");
    if (cl->contains("replicas") && (*cl)["replicas"].is_array()) {
      for (auto& r : (*cl)["replicas"]) {
        ClusterPeer p;
        p.name = r.value("name", "");
        p.current = r.value("current", false);
        p.active = std::chrono::nanoseconds(r.value("active", int64_t{0}));
        p.lag = r.value("lag", uint64_t{0});
        ci.replicas.push_back(p);
      }
    }
    if (!ci.name.empty() || !ci.leader.empty()) st.cluster = ci;
  }
  return st;
}

Result<json> NatsObjectStore::StreamInfo(std::string_view bucket) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  return conn_->Api("STREAM.INFO." + StreamName(bucket), json(), "bucket " + std::string(bucket),
                    /*retry=*/true);
}

Result<BucketStatus> NatsObjectStore::CreateBucket(const BucketConfig& config) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(config.bucket));
  json cfg = StreamConfigFor(config, conn_->server_at_least_2_10());
  NATSS3_ASSIGN_OR_RETURN(
      json info, conn_->Api("STREAM.CREATE." + StreamName(config.bucket), cfg,
                            "create bucket " + config.bucket));
  return StatusFromInfo(info);
}

Result<BucketStatus> NatsObjectStore::UpdateBucket(const BucketConfig& config) {
  NATSS3_ASSIGN_OR_RETURN(json info, StreamInfo(config.bucket));
  if (config.ttl.count() > 0) {
    // Expiry would remove locked objects with the rest.
    auto lock = GetObjectLockConfig(config.bucket);
    if (lock.ok() && lock->enabled)
      return FailedPrecondition(
          "bucket " + config.bucket + " has object lock enabled; its objects cannot expire (TTL)",
          Detail::kObjectLocked);
  }
  // Start from the server's own config (safe on strict servers), change only our fields.
  json cfg = info["config"];
  json wanted = StreamConfigFor(config, conn_->server_at_least_2_10());
  for (const char* k : {"description", "max_bytes", "max_age", "num_replicas", "placement",
                        "compression", "metadata"}) {
    if (wanted.contains(k)) cfg[k] = wanted[k];
    else if (std::string(k) == "description") cfg.erase(k);
  }
  if (wanted["storage"] != cfg.value("storage", "file"))
    return InvalidArgument("the storage type of an existing bucket cannot be changed");
  NATSS3_ASSIGN_OR_RETURN(json updated,
                          conn_->Api("STREAM.UPDATE." + StreamName(config.bucket), cfg,
                                     "update bucket " + config.bucket));
  return StatusFromInfo(updated);
}

Result<BucketStatus> NatsObjectStore::SealBucket(std::string_view bucket) {
  NATSS3_ASSIGN_OR_RETURN(json info, StreamInfo(bucket));
  json cfg = info["config"];
  cfg["sealed"] = true;
  ForgetBucket(bucket);
  NATSS3_ASSIGN_OR_RETURN(json updated, conn_->Api("STREAM.UPDATE." + StreamName(bucket), cfg,
                                                   "seal bucket " + std::string(bucket)));
  return StatusFromInfo(updated);
}

Status NatsObjectStore::DeleteBucket(std::string_view bucket) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(CheckNoLockedObjects(bucket));
  auto lock_config = GetObjectLockConfig(bucket);
  ForgetBucket(bucket);
  auto r = conn_->Api("STREAM.DELETE." + StreamName(bucket), json(),
                      "delete bucket " + std::string(bucket));
  if (!r.ok()) return r.status();
  // The bucket's object lock configuration goes with it (best effort: creating a bucket of
  // the name through natss3d replaces it anyway).
  if (lock_config.ok() && lock_config->enabled) {
    auto records = Records(MultipartStore::kRecordBucket);
    if (records.ok()) (void)(*records)->Delete(ObjectLockRecordKey(bucket));
  }
  {
    std::lock_guard<std::mutex> lock(lock_config_mu_);
    lock_configs_.erase(std::string(bucket));
  }
  std::shared_ptr<ListingIndex> idx;
  {
    std::lock_guard<std::mutex> lock(indexes_mu_);
    if (auto it = indexes_.find(bucket); it != indexes_.end()) {
      idx = std::move(it->second);
      indexes_.erase(it);
    }
    if (auto it = index_loading_.find(bucket); it != index_loading_.end()) index_loading_.erase(it);
  }
  if (idx) idx->Stop();  // joins the index's thread: never under indexes_mu_
  return Status::OK();
}

Result<BucketStatus> NatsObjectStore::GetBucketStatus(std::string_view bucket) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  std::optional<BucketStatus> last;
  {
    std::lock_guard<std::mutex> lock(bucket_cache_mu_);
    if (auto it = last_status_.find(bucket); it != last_status_.end()) last = it->second;
  }
  // A bucket seen before gets one short attempt (kLeaderReadBudget): while its stream elects
  // a leader the info has no answer for seconds, and the status seen last serves meanwhile (a
  // failover must not stall or fail every request that checks its bucket). After a miss the
  // leader is not asked for kLeaderPause, as for record reads.
  if (last && conn_->connected() && LeaderPaused(bucket)) return *last;
  auto ask = [&] {
    auto answer =
        conn_->Api("STREAM.INFO." + StreamName(bucket), json(), "bucket " + std::string(bucket),
                   /*retry=*/true, last ? kLeaderReadBudget : std::chrono::milliseconds(0));
    // Test seam: a JetStream meta leader that has not applied the bucket's assignment yet.
    if (FaultPoint("bucket.info_not_found"))
      answer = NotFound("bucket " + std::string(bucket) + ": stream not found (fault point)",
                        Detail::kBucketNotFound);
    return answer;
  };
  auto info = ask();
  // A replicated bucket seen a moment ago that is "not found": nats-server 2.9's JetStream
  // meta leader answers so for a stream whose assignment it has not applied yet (a server
  // just restarted and elected). Asked again for a little while before it is believed; a
  // bucket really deleted costs its first request here that wait.
  for (auto until = std::chrono::steady_clock::now() + kConfirmBucketGone;
       !info.ok() && info.status().detail() == Detail::kBucketNotFound && last &&
       last->replicas > 1 && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    info = ask();
  }
  if (!info.ok()) {
    // Only while connected: with no server reachable at all the outage is reported.
    if (last && conn_->connected() && IsTransient(info.status())) {
      PauseLeaderReads(bucket);
      return *last;
    }
    if (info.status().code() == Code::kNotFound) {
      std::lock_guard<std::mutex> lock(bucket_cache_mu_);
      last_status_.erase(std::string(bucket));
    }
    return info.status();
  }
  NATSS3_ASSIGN_OR_RETURN(BucketStatus st, StatusFromInfo(*info));
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  last_status_[std::string(bucket)] = st;
  return st;
}

Result<std::vector<BucketStatus>> NatsObjectStore::ListBuckets() {
  std::vector<BucketStatus> out;
  int64_t offset = 0;
  for (;;) {
    json req{{"offset", offset}, {"subject", "$O.*.C.>"}};
    NATSS3_ASSIGN_OR_RETURN(json page,
                            conn_->Api("STREAM.LIST", req, "list buckets", /*retry=*/true));
    auto streams = page.value("streams", json::array());
    if (!streams.is_array()) break;
    for (auto& s : streams) {
      std::string name = s["config"].value("name", "");
      if (name.rfind("OBJ_", 0) != 0) continue;
      NATSS3_ASSIGN_OR_RETURN(BucketStatus st, StatusFromInfo(s));
      out.push_back(std::move(st));
    }
    offset += static_cast<int64_t>(streams.size());
    if (streams.empty() || offset >= page.value("total", int64_t{0})) break;
  }
  std::sort(out.begin(), out.end(),
            [](const BucketStatus& a, const BucketStatus& b) { return a.bucket < b.bucket; });
  return out;
}

}  // namespace natss3::natsw
