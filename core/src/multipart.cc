// Multipart upload records (JSON in a KV bucket).
#include "natss3/multipart.h"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>

#include "natss3/names.h"

namespace natss3 {
namespace {
using nlohmann::json;

std::string UploadKey(const std::string& bucket, const std::string& id) {
  return "up." + bucket + "." + id;
}
std::string PartPrefix(const std::string& bucket, const std::string& id) {
  return "pt." + bucket + "." + id + ".";
}
std::string PartKey(const std::string& bucket, const std::string& id, int number) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%05d", number);
  return PartPrefix(bucket, id) + buf;
}
int64_t ToNanos(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromNanos(int64_t n) { return TimePoint(std::chrono::nanoseconds(n)); }

std::string EncodeUpload(const UploadRecord& u) {
  json j = {{"bucket", u.bucket}, {"key", u.key}, {"upload_id", u.upload_id},
            {"initiated", ToNanos(u.initiated)}, {"headers", u.headers}};
  if (!u.completing_nuid.empty()) j["completing"] = u.completing_nuid;
  if (u.is_completed()) j["completed"] = ToNanos(u.completed);
  return j.dump();
}

Result<UploadRecord> DecodeUpload(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("corrupt upload record");
  UploadRecord u;
  u.bucket = j.value("bucket", "");
  u.key = j.value("key", "");
  u.upload_id = j.value("upload_id", "");
  u.initiated = FromNanos(j.value("initiated", int64_t{0}));
  if (j.contains("headers")) u.headers = j["headers"].get<Headers>();
  u.completing_nuid = j.value("completing", "");
  u.completed = FromNanos(j.value("completed", int64_t{0}));
  return u;
}

std::string EncodePart(const PartRecord& p) {
  json j = {{"number", p.number}, {"nuid", p.blob.nuid}, {"size", p.blob.size},
            {"chunks", p.blob.chunks}, {"chunk_size", p.blob.chunk_size},
            {"md5", p.blob.md5_hex}, {"sha256", HexEncode(p.blob.sha256_raw)},
            {"last_modified", ToNanos(p.last_modified)}};
  return j.dump();
}

std::string HexDecode(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

Result<PartRecord> DecodePart(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("corrupt part record");
  PartRecord p;
  p.number = j.value("number", 0);
  p.blob.nuid = j.value("nuid", "");
  p.blob.size = j.value("size", uint64_t{0});
  p.blob.chunks = j.value("chunks", uint32_t{0});
  p.blob.chunk_size = j.value("chunk_size", uint32_t{0});
  p.blob.md5_hex = j.value("md5", "");
  p.blob.sha256_raw = HexDecode(j.value("sha256", ""));
  p.last_modified = FromNanos(j.value("last_modified", int64_t{0}));
  return p;
}
std::string RandomUploadId() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return NewNuid() + NewNuid();  // never expected
  return HexEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
}
}  // namespace

Result<std::shared_ptr<RecordStore>> MultipartStore::Records() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (records_) return records_;
  }
  NATSS3_ASSIGN_OR_RETURN(auto records, store_->Records(kRecordBucket));
  std::lock_guard<std::mutex> lock(mu_);
  if (!records_) records_ = records;
  return records_;
}

Result<UploadRecord> MultipartStore::Create(const std::string& bucket, const std::string& key,
                                            Headers headers) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  UploadRecord upload{bucket, key, RandomUploadId(), Clock::now(), std::move(headers), ""};
  NATSS3_RETURN_IF_ERROR(records->Put(UploadKey(bucket, upload.upload_id), EncodeUpload(upload)));
  return upload;
}

Result<UploadRecord> MultipartStore::Get(const std::string& bucket, const std::string& upload_id) {
  if (upload_id.empty() || upload_id.size() > 64 ||
      upload_id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
          std::string::npos) {
    return NotFound("no such upload");
  }
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_ASSIGN_OR_RETURN(std::string text, records->Get(UploadKey(bucket, upload_id)));
  return DecodeUpload(text);
}

Status MultipartStore::MarkCompleting(UploadRecord& upload, const std::string& nuid) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  upload.completing_nuid = nuid;
  return records->Put(UploadKey(upload.bucket, upload.upload_id), EncodeUpload(upload));
}

Status MultipartStore::MarkCompleted(UploadRecord& upload) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  upload.completed = Clock::now();
  NATSS3_RETURN_IF_ERROR(
      records->Put(UploadKey(upload.bucket, upload.upload_id), EncodeUpload(upload)));
  return RemoveParts(*records, upload.bucket, upload.upload_id);
}

Result<int> MultipartStore::FinishCompleted(
    const std::string& bucket,
    const std::function<Result<std::string>(const std::string& key)>& current_nuid) {
  NATSS3_ASSIGN_OR_RETURN(auto uploads, List(bucket, /*include_completed=*/true));
  int finished = 0;
  for (const UploadRecord& upload : uploads) {
    if (upload.is_completed()) {
      if (Clock::now() - upload.completed > kCompletedKept &&
          Remove(bucket, upload.upload_id).ok())
        ++finished;
      continue;
    }
    if (upload.completing_nuid.empty()) continue;
    auto nuid = current_nuid(upload.key);
    if (!nuid.ok() && nuid.status().code() != Code::kNotFound) return nuid.status();
    if (nuid.ok() && *nuid == upload.completing_nuid &&
        Remove(bucket, upload.upload_id).ok())
      ++finished;
  }
  return finished;
}

Status MultipartStore::PutPart(const UploadRecord& upload, const PartRecord& part) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  std::string key = PartKey(upload.bucket, upload.upload_id, part.number);
  auto previous = records->Get(key);
  NATSS3_RETURN_IF_ERROR(records->Put(key, EncodePart(part)));
  // The record references the blob now; the process no longer has to protect it.
  store_->ReleaseStaged(upload.bucket, part.blob.nuid);
  if (previous.ok()) {
    auto old = DecodePart(*previous);
    if (old.ok() && old->blob.nuid != part.blob.nuid) {
      (void)store_->PurgeStaged(upload.bucket, old->blob.nuid);
    }
  }
  // An Abort/Complete that raced with this part: do not leave the part behind.
  auto now = records->Get(UploadKey(upload.bucket, upload.upload_id));
  bool gone = now.status().code() == Code::kNotFound;
  if (now.ok()) {
    auto decoded = DecodeUpload(*now);
    gone = decoded.ok() && decoded->is_completed();
  }
  if (gone) {
    (void)store_->PurgeStaged(upload.bucket, part.blob.nuid);
    (void)records->Delete(key);
    return NotFound("upload was aborted or completed");
  }
  return Status::OK();
}

Result<std::vector<PartRecord>> MultipartStore::Parts(const std::string& bucket,
                                                      const std::string& upload_id) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_ASSIGN_OR_RETURN(auto keys, records->Keys(PartPrefix(bucket, upload_id)));
  std::vector<PartRecord> parts;
  for (const std::string& key : keys) {
    auto text = records->Get(key);
    if (!text.ok()) continue;  // deleted meanwhile
    NATSS3_ASSIGN_OR_RETURN(PartRecord part, DecodePart(*text));
    parts.push_back(std::move(part));
  }
  std::sort(parts.begin(), parts.end(),
            [](const PartRecord& a, const PartRecord& b) { return a.number < b.number; });
  return parts;
}

Status MultipartStore::Remove(const std::string& bucket, const std::string& upload_id) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_RETURN_IF_ERROR(records->Delete(UploadKey(bucket, upload_id)));
  return RemoveParts(*records, bucket, upload_id);
}

Status MultipartStore::RemoveParts(RecordStore& records, const std::string& bucket,
                                   const std::string& upload_id) {
  NATSS3_ASSIGN_OR_RETURN(auto parts, Parts(bucket, upload_id));
  Status first_error;
  for (const PartRecord& part : parts) {
    Status purged = store_->PurgeStaged(bucket, part.blob.nuid);
    if (!purged.ok() && purged.code() != Code::kNotFound && first_error.ok()) first_error = purged;
    Status deleted = records.Delete(PartKey(bucket, upload_id, part.number));
    if (!deleted.ok() && first_error.ok()) first_error = deleted;
  }
  return first_error;
}

Result<std::vector<UploadRecord>> MultipartStore::List(const std::string& bucket,
                                                       bool include_completed) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_ASSIGN_OR_RETURN(auto keys, records->Keys("up." + bucket + "."));
  std::vector<UploadRecord> uploads;
  for (const std::string& key : keys) {
    auto text = records->Get(key);
    if (!text.ok()) continue;
    auto upload = DecodeUpload(*text);
    if (upload.ok() && upload->bucket == bucket && (include_completed || !upload->is_completed()))
      uploads.push_back(std::move(upload).value());
  }
  std::sort(uploads.begin(), uploads.end(), [](const UploadRecord& a, const UploadRecord& b) {
    return a.key != b.key ? a.key < b.key : a.initiated < b.initiated;
  });
  return uploads;
}

Result<int> MultipartStore::ExpireOlderThan(TimePoint cutoff) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_ASSIGN_OR_RETURN(auto keys, records->Keys("up."));
  int removed = 0;
  for (const std::string& key : keys) {
    auto text = records->Get(key);
    if (!text.ok()) continue;
    auto upload = DecodeUpload(*text);
    if (!upload.ok() || upload->initiated >= cutoff) continue;
    if (Remove(upload->bucket, upload->upload_id).ok()) ++removed;
  }
  return removed;
}

Result<MultipartStore::PartRefs> MultipartStore::PartReferences(const std::string& bucket) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  NATSS3_ASSIGN_OR_RETURN(auto uploads, records->Keys("up." + bucket + "."));
  std::set<std::string> live_uploads;
  for (const std::string& key : uploads) live_uploads.insert(key.substr(3 + bucket.size() + 1));
  NATSS3_ASSIGN_OR_RETURN(auto parts, records->Keys("pt." + bucket + "."));
  PartRefs refs;
  for (const std::string& key : parts) {
    // pt.<bucket>.<upload-id>.<part>: bucket names and upload IDs have no dots.
    std::string rest = key.substr(3 + bucket.size() + 1);
    std::string upload_id = rest.substr(0, rest.find('.'));
    auto rec = records->GetRecord(key);
    if (!rec.ok()) {
      if (rec.status().code() == Code::kNotFound) continue;  // deleted meanwhile
      return rec.status();
    }
    auto part = DecodePart(rec->value);
    if (!part.ok() || part->blob.nuid.empty()) continue;
    if (live_uploads.count(upload_id)) {
      refs.live.insert(part->blob.nuid);
    } else {
      refs.orphans.push_back({key, part->blob.nuid, rec->time});
    }
  }
  return refs;
}

Status MultipartStore::DeletePartRecord(const std::string& key) {
  NATSS3_ASSIGN_OR_RETURN(auto records, Records());
  return records->Delete(key);
}

}  // namespace natss3
