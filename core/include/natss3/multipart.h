// MultipartStore: durable multipart-upload state in a JetStream KV bucket ("natss3_uploads").
// Part data lives in staged blobs (invisible to object-store clients); this class records them.
//
// Upload IDs are 128 random bits in hex, so one user cannot guess another's.
// Keys: "up.<bucket>.<upload-id>" -> upload JSON; "pt.<bucket>.<upload-id>.<part:05d>" -> part
// JSON. One record per part, so parallel UploadPart calls never contend on one record.
// Thread-safe; mu_ guards only the lazily opened RecordStore pointer (never held across NATS).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "natss3/object_store.h"
#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3 {

struct UploadRecord {
  std::string bucket;
  std::string key;
  std::string upload_id;
  TimePoint initiated{};
  Headers headers;  // object headers for the completed object
  // Set by MarkCompleting just before the parts are composed: the nuid the completed object
  // gets. If that nuid is the key's current version, the upload has completed (a crash may
  // have stopped the cleanup after the commit): a retried Complete then succeeds at once and
  // garbage collection removes the upload.
  std::string completing_nuid;
  // Set once the Complete committed and the parts are gone. The record stays for
  // MultipartStore::kCompletedKept so that a client retrying a Complete whose answer it lost
  // (a timeout during a server's loss) gets that Complete's answer instead of NoSuchUpload;
  // for every other operation the upload no longer exists.
  TimePoint completed{};
  bool is_completed() const { return completed != TimePoint{}; }
};

struct PartRecord {
  int number = 0;
  StagedBlob blob;
  TimePoint last_modified{};
  std::string etag() const { return blob.md5_hex; }  // unquoted
};

class MultipartStore {
 public:
  static constexpr const char* kRecordBucket = "natss3_uploads";
  static constexpr uint64_t kMinPartSize = 5ull * 1024 * 1024;
  static constexpr int kMaxPartNumber = 10000;
  static constexpr std::chrono::minutes kCompletedKept{15};

  explicit MultipartStore(ObjectStore* store) : store_(store) {}

  Result<UploadRecord> Create(const std::string& bucket, const std::string& key, Headers headers);
  // kNotFound when the upload does not exist (or is for another bucket). A completed upload is
  // returned (UploadRecord::is_completed) while it is kept.
  Result<UploadRecord> Get(const std::string& bucket, const std::string& upload_id);
  Status MarkCompleting(UploadRecord& upload, const std::string& nuid);
  // After the Complete committed: marks the upload completed, then purges its parts.
  Status MarkCompleted(UploadRecord& upload);
  // Removes uploads of `bucket` whose Complete committed but was cut short before it marked
  // them completed (see UploadRecord::completing_nuid; `current_nuid` answers the key's live
  // version), and completed uploads kept longer than kCompletedKept. Returns how many.
  Result<int> FinishCompleted(const std::string& bucket,
                              const std::function<Result<std::string>(const std::string& key)>&
                                  current_nuid);
  // Records a part; the blob of a part it replaces is purged.
  Status PutPart(const UploadRecord& upload, const PartRecord& part);
  // Sorted by part number.
  Result<std::vector<PartRecord>> Parts(const std::string& bucket, const std::string& upload_id);
  // Deletes the upload record, purges every part blob and deletes the part records.
  Status Remove(const std::string& bucket, const std::string& upload_id);
  // Uploads of a bucket, sorted by key then initiation time; completed ones only when asked.
  Result<std::vector<UploadRecord>> List(const std::string& bucket,
                                         bool include_completed = false);
  // Removes uploads initiated before `cutoff` in every bucket; returns how many.
  Result<int> ExpireOlderThan(TimePoint cutoff);

  // For garbage collection: the blobs the part records of `bucket` reference, split into those
  // of uploads that exist and those whose upload is gone (aborted or completed while the part
  // was being recorded, or a crash between the steps of Remove).
  struct OrphanPart {
    std::string key;  // the part record
    std::string nuid;
    TimePoint written{};  // server time of the record
  };
  struct PartRefs {
    std::set<std::string> live;
    std::vector<OrphanPart> orphans;
  };
  Result<PartRefs> PartReferences(const std::string& bucket);
  Status DeletePartRecord(const std::string& key);

 private:
  Result<std::shared_ptr<RecordStore>> Records();
  // Purges every part blob of an upload and deletes the part records.
  Status RemoveParts(RecordStore& records, const std::string& bucket,
                     const std::string& upload_id);

  ObjectStore* store_;
  std::mutex mu_;
  std::shared_ptr<RecordStore> records_;
};

}  // namespace natss3
