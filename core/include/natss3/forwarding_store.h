// ForwardingObjectStore: an ObjectStore that passes every call to another one. Derive from it
// to change a few calls (fault injection in tests, instrumentation) and keep the rest.
// Thread-safety and errors are the target's; the target must outlive nothing in particular:
// it is shared.
#pragma once

#include <memory>
#include <utility>

#include "natss3/object_store.h"

namespace natss3 {

class ForwardingObjectStore : public ObjectStore {
 public:
  explicit ForwardingObjectStore(std::shared_ptr<ObjectStore> target)
      : target_(std::move(target)) {}
  ObjectStore& target() const { return *target_; }

  Status Health() override { return target_->Health(); }
  uint64_t MaxPayload() const override { return target_->MaxPayload(); }
  Result<AccountStorage> GetAccountStorage() override { return target_->GetAccountStorage(); }
  Result<BucketStatus> CreateBucket(const BucketConfig& c) override {
    return target_->CreateBucket(c);
  }
  Result<BucketStatus> UpdateBucket(const BucketConfig& c) override {
    return target_->UpdateBucket(c);
  }
  Result<BucketStatus> SealBucket(std::string_view b) override { return target_->SealBucket(b); }
  Status DeleteBucket(std::string_view b) override { return target_->DeleteBucket(b); }
  Result<BucketStatus> GetBucketStatus(std::string_view b) override {
    return target_->GetBucketStatus(b);
  }
  Result<std::vector<BucketStatus>> ListBuckets() override { return target_->ListBuckets(); }
  Result<ObjectLockConfig> GetObjectLockConfig(std::string_view b) override {
    return target_->GetObjectLockConfig(b);
  }
  Status PutObjectLockConfig(std::string_view b, const ObjectLockConfig& c) override {
    return target_->PutObjectLockConfig(b, c);
  }
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view b, const ObjectMeta& m,
                                                  const PutOptions& o) override {
    return target_->NewWriter(b, m, o);
  }
  Result<ObjectInfo> GetInfo(std::string_view b, std::string_view n, bool show_deleted) override {
    return target_->GetInfo(b, n, show_deleted);
  }
  Result<ObjectInfo> LatestInfo(std::string_view b, std::string_view n) override {
    return target_->LatestInfo(b, n);
  }
  Result<std::unique_ptr<ObjectReader>> Open(std::string_view b, std::string_view n,
                                             const ReadOptions& o) override {
    return target_->Open(b, n, o);
  }
  Result<std::unique_ptr<ObjectReader>> OpenInfo(const ObjectInfo& i,
                                                 const ReadOptions& o) override {
    return target_->OpenInfo(i, o);
  }
  Status Delete(std::string_view b, std::string_view n) override { return target_->Delete(b, n); }
  Status DeleteWithOptions(std::string_view b, std::string_view n,
                           const DeleteOptions& o) override {
    return target_->DeleteWithOptions(b, n, o);
  }
  Result<ObjectInfo> ModifyMeta(std::string_view b, std::string_view n, const MetaMutator& m,
                                const ModifyOptions& o) override {
    return target_->ModifyMeta(b, n, m, o);
  }
  Result<ObjectInfo> AddLink(std::string_view b, std::string_view n,
                             const ObjectInfo& t) override {
    return target_->AddLink(b, n, t);
  }
  Result<ObjectInfo> AddBucketLink(std::string_view b, std::string_view n,
                                   std::string_view t) override {
    return target_->AddBucketLink(b, n, t);
  }
  Result<std::vector<ObjectInfo>> List(std::string_view b, bool show_deleted) override {
    return target_->List(b, show_deleted);
  }
  Result<std::unique_ptr<Watcher>> Watch(std::string_view b, const WatchOptions& o) override {
    return target_->Watch(b, o);
  }
  Result<std::shared_ptr<ListingIndex>> Index(std::string_view b) override {
    return target_->Index(b);
  }
  std::shared_ptr<void> HoldVersion(const ObjectInfo& i) override {
    return target_->HoldVersion(i);
  }
  Result<GcReport> CollectGarbage(std::string_view b, const GcOptions& o) override {
    return target_->CollectGarbage(b, o);
  }
  Result<std::unique_ptr<StagedWriter>> NewStagedWriter(std::string_view b,
                                                        uint32_t chunk_size) override {
    return target_->NewStagedWriter(b, chunk_size);
  }
  Status PurgeStaged(std::string_view b, std::string_view nuid) override {
    return target_->PurgeStaged(b, nuid);
  }
  void ReleaseStaged(std::string_view b, std::string_view nuid) override {
    target_->ReleaseStaged(b, nuid);
  }
  Result<ObjectInfo> Compose(std::string_view b, const ObjectMeta& m,
                             const std::vector<BlobRange>& parts, const PutOptions& o) override {
    return target_->Compose(b, m, parts, o);
  }
  Result<std::unique_ptr<ObjectReader>> OpenStaged(std::string_view b, const StagedBlob& blob,
                                                   const ReadOptions& o) override {
    return target_->OpenStaged(b, blob, o);
  }
  Result<std::shared_ptr<RecordStore>> Records(std::string_view name) override {
    return target_->Records(name);
  }

 private:
  std::shared_ptr<ObjectStore> target_;
};

}  // namespace natss3
