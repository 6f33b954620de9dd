// BucketRecords: the per-bucket configuration records every gateway shares (bucket ACL, CORS
// rules, bucket policy), and this process's short cache of them.
//
// Each record is "cfg.<kind>.<bucket>" in the "natss3_uploads" KV bucket (the multipart record
// store every natss3d of the account already shares), kind "acl", "cors" or "policy"; a
// missing record means none (private, no CORS, no policy). A write replaces it whole.
//
// Requests read them through Get, which keeps what it read for `ttl` (1 s by default): a
// bucket costs one KV read per kind and TTL instead of one per request (two on a replicated
// record store, which confirms "not found" with its leader). Store, this process's only way
// to change them, drops the cached record once the write returned, and a read that began
// before it never puts its older answer back: a change made here applies here to the next
// request. A change made through another gateway applies here within the TTL.
//
// When the record store cannot be reached (503: its stream has no leader for a moment, or its
// only server is down), Get serves the record read last (none if never read) and keeps it 60 s,
// so requests meanwhile do not each wait out the request budget again.
//
// Thread-safe; mu_ is a leaf lock, never held across a NATS call or a parse.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "natss3/object_store.h"
#include "s3d/errors.h"

namespace natss3::s3d {

class BucketRecords {
 public:
  static constexpr std::chrono::milliseconds kDefaultTtl{1000};
  // How long an unreadable record store's answer (the last record read) is kept.
  static constexpr std::chrono::seconds kUnavailableTtl{60};

  // `store` is borrowed and outlives this.
  explicit BucketRecords(ObjectStore* store, std::chrono::milliseconds ttl = kDefaultTtl);

  // The `kind` record of `bucket` (the NATS name), parsed by `parse` ("" when there is none),
  // as read at most the TTL ago. Each kind must always be read as the same T. Errors other
  // than an unreachable record store are returned and not cached.
  template <typename T>
  S3Result<std::shared_ptr<const T>> Get(std::string_view kind, const std::string& bucket,
                                         const std::function<T(const std::string&)>& parse) {
    auto value = GetErased(kind, bucket, [&](const std::string& raw) {
      return std::static_pointer_cast<const void>(std::make_shared<const T>(parse(raw)));
    });
    if (!value.ok()) return value.error();
    return std::static_pointer_cast<const T>(*value);
  }

  // The record as stored now, uncached ("" when there is none): for the Get* operations.
  S3Result<std::string> Load(std::string_view kind, const std::string& bucket) const;
  // Replaces the record (an empty value deletes it) and drops the cached one, also when the
  // write failed (it may have been applied).
  S3Status Store(std::string_view kind, const std::string& bucket, const std::string& value);

 private:
  using Parse = std::function<std::shared_ptr<const void>(const std::string& raw)>;
  struct Entry {
    std::shared_ptr<const void> value;
    std::chrono::steady_clock::time_point expires;
  };

  S3Result<std::shared_ptr<const void>> GetErased(std::string_view kind, const std::string& bucket,
                                                  const Parse& parse);

  ObjectStore* const store_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // by record key
  uint64_t writes_ = 0;  // Stores done: a read begun before one keeps nothing it read
};

}  // namespace natss3::s3d
