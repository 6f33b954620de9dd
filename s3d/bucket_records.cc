// BucketRecords: the shared per-bucket configuration records and their short cache (see
// bucket_records.h).
#include "s3d/bucket_records.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace natss3::s3d {
namespace {

constexpr const char* kRecordBucket = "natss3_uploads";
// Bounds the cache: past this many records (buckets x kinds) it starts over.
constexpr size_t kMaxEntries = 30000;

std::string RecordKey(std::string_view kind, const std::string& bucket) {
  return "cfg." + std::string(kind) + "." + bucket;
}

}  // namespace

BucketRecords::BucketRecords(ObjectStore* store, std::chrono::milliseconds ttl)
    : store_(store), ttl_(ttl) {}

S3Result<std::string> BucketRecords::Load(std::string_view kind, const std::string& bucket) const {
  auto records = store_->Records(kRecordBucket);
  if (!records.ok()) return FromStatus(records.status(), ErrorContext::kService);
  // Read on every request (through the cache): a leader election of a replicated record store
  // must not stall them (RecordStore::GetQuick).
  auto value = (*records)->GetQuick(RecordKey(kind, bucket));
  if (value.ok()) return std::move(value).value();
  if (value.status().code() == Code::kNotFound) return std::string();
  return FromStatus(value.status(), ErrorContext::kService);
}

S3Status BucketRecords::Store(std::string_view kind, const std::string& bucket,
                              const std::string& value) {
  const std::string key = RecordKey(kind, bucket);
  Status st = Status::OK();
  auto records = store_->Records(kRecordBucket);
  if (!records.ok()) {
    st = records.status();
  } else {
    st = value.empty() ? (*records)->Delete(key) : (*records)->Put(key, value);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(key);
    ++writes_;
  }
  if (!st.ok()) return FromStatus(st, ErrorContext::kService);
  return {};
}

S3Result<std::shared_ptr<const void>> BucketRecords::GetErased(std::string_view kind,
                                                               const std::string& bucket,
                                                               const Parse& parse) {
  const std::string key = RecordKey(kind, bucket);
  const auto now = std::chrono::steady_clock::now();
  uint64_t writes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now < it->second.expires) return it->second.value;
    writes = writes_;
  }
  auto raw = Load(kind, bucket);
  if (!raw.ok() && raw.error().http_status != 503) return raw.error();
  std::shared_ptr<const void> parsed = parse(raw.ok() ? *raw : std::string());
  std::lock_guard<std::mutex> lock(mu_);
  if (!raw.ok()) {
    // Unreachable: the record read last serves meanwhile (none when never read).
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      spdlog::warn("{} of bucket {} unreadable ({}): none applied meanwhile", kind, bucket,
                   raw.error().message);
    } else {
      parsed = it->second.value;
    }
  }
  // A Store of this process since the read began may have changed the record: its answer may
  // be older, and the next request reads again.
  if (writes != writes_) return parsed;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[key] = {parsed, now + (raw.ok() ? std::chrono::milliseconds(ttl_)
                                           : std::chrono::milliseconds(kUnavailableTtl))};
  return parsed;
}

}  // namespace natss3::s3d
