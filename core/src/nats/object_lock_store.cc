// Object Lock in the NATS store: the bucket configuration record and the checks of bucket
// deletion (the per-object checks are in meta_writes.cc, at every conditional meta write).
#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/listing_index.h"
#include "natss3/multipart.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

constexpr auto kLockConfigTtl = std::chrono::seconds(1);


}  // namespace

Result<ObjectLockConfig> NatsObjectStore::GetObjectLockConfig(std::string_view bucket) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(lock_config_mu_);
    auto it = lock_configs_.find(bucket);
    if (it != lock_configs_.end() && now - it->second.second < kLockConfigTtl)
      return it->second.first;
  }
  // Read straight from the key-value stream: looking the record up must not create the record
  // store (a plain natss3ctl put would otherwise leave a KV bucket behind in every account).
  const std::string kv = MultipartStore::kRecordBucket;
  auto answer =
      conn_->Api("STREAM.MSG.GET.KV_" + kv,
                 nlohmann::json{{"last_by_subj", "$KV." + kv + "." + ObjectLockRecordKey(bucket)}},
                 "read the object lock configuration of " + std::string(bucket), /*retry=*/true);
  ObjectLockConfig config;
  if (answer.ok()) {
    const auto& msg = answer->value("message", nlohmann::json::object());
    std::optional<std::string> decoded = Base64Decode(msg.value("data", ""));
    if (!decoded)
      return Internal("object lock configuration of " + std::string(bucket) + ": bad data");
    const std::string& data = *decoded;
    // An empty value is the marker a deleted or purged key leaves.
    if (!data.empty()) {
      NATSS3_ASSIGN_OR_RETURN(config, ParseObjectLockConfig(data));
    }
  } else if (IsTransient(answer.status())) {
    // The record store is unreachable (no stream leader for a moment, or its only server is
    // down): the configuration read last serves meanwhile. With none read yet, no default
    // retention applies; the locks objects carry are checked on their own metas regardless.
    // Kept for 60 s (backdated), so puts meanwhile do not each wait out the budget again.
    std::lock_guard<std::mutex> lock(lock_config_mu_);
    auto& entry = lock_configs_[std::string(bucket)];
    entry.second = now + std::chrono::seconds(60) - kLockConfigTtl;
    return entry.first;
  } else if (answer.status().code() != Code::kNotFound) {
    return answer.status();
  }
  std::lock_guard<std::mutex> lock(lock_config_mu_);
  lock_configs_[std::string(bucket)] = {config, now};
  return config;
}

Status NatsObjectStore::PutObjectLockConfig(std::string_view bucket,
                                            const ObjectLockConfig& config) {
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, GetBucketStatus(bucket));
  if (config.rule) NATSS3_RETURN_IF_ERROR(ValidateDefaultRetention(*config.rule));
  if (config.rule && !config.enabled)
    return InvalidArgument("a default retention needs object lock enabled");
  {
    std::lock_guard<std::mutex> lock(lock_config_mu_);
    lock_configs_.erase(std::string(bucket));
  }
  NATSS3_ASSIGN_OR_RETURN(ObjectLockConfig current, GetObjectLockConfig(bucket));
  if (current == config) return Status::OK();
  // Disabling is for natss3's own bookkeeping (a re-created bucket); never while it matters.
  if (current.enabled && !config.enabled) NATSS3_RETURN_IF_ERROR(CheckNoLockedObjects(bucket));
  if (config.enabled && status.ttl.count() > 0)
    return FailedPrecondition("bucket " + std::string(bucket) +
                                  " expires its objects (TTL); object lock cannot be enabled",
                              Detail::kObjectLocked);
  NATSS3_ASSIGN_OR_RETURN(auto records, Records(MultipartStore::kRecordBucket));
  Status st = config.enabled
                  ? records->Put(ObjectLockRecordKey(bucket), MarshalObjectLockConfig(config))
                  : records->Delete(ObjectLockRecordKey(bucket));
  NATSS3_RETURN_IF_ERROR(st);
  std::lock_guard<std::mutex> lock(lock_config_mu_);
  lock_configs_[std::string(bucket)] = {config, std::chrono::steady_clock::now()};
  return Status::OK();
}

Status NatsObjectStore::CheckNoLockedObjects(std::string_view bucket) {
  auto listed = List(bucket, /*show_deleted=*/false);
  if (!listed.ok()) {
    if (listed.status().code() == Code::kNotFound) return Status::OK();
    return listed.status();
  }
  TimePoint now = std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now());
  for (const ObjectInfo& info : *listed) {
    ObjectLock lock = LockOf(info.meta.headers);
    if (lock.Protected(now))
      return FailedPrecondition("bucket " + std::string(bucket) + " holds object " +
                                    info.meta.name + ", which is protected by object lock",
                                Detail::kObjectLocked);
  }
  return Status::OK();
}

}  // namespace natss3::natsw
