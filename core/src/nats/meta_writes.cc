// Every write of a meta record: conditional on the meta subject's last sequence
// (Nats-Expected-Last-Subject-Sequence), retried on top of a newer record when a concurrent
// writer won, and idempotent across a lost acknowledgement (Nats-Msg-Id). Only the version a
// conditional write actually replaced is released (docs/reclamation.md).
#include <random>
#include <thread>

#include "meta_json.h"
#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/crash_point.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

constexpr int kCasAttempts = 25;

bool Conflict(const Status& s) { return s.detail() == Detail::kWrongLastSequence; }

// Jittered backoff between conditional attempts, so two writers in a loop do not collide again.
void Backoff(int attempt) {
  thread_local std::minstd_rand rng(std::random_device{}());
  int cap = std::min(100, 1 << std::min(attempt, 7));
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % (cap + 1)));
}

Status TooMuchContention(std::string_view name) {
  return FailedPrecondition("object " + std::string(name) +
                                " kept changing concurrently; gave up after " +
                                std::to_string(kCasAttempts) + " attempts",
                            Detail::kWrongLastSequence);
}

}  // namespace

TimePoint LockNow() { return std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now()); }

Result<ObjectInfo> NatsObjectStore::LatestInfo(std::string_view bucket, std::string_view name) {
  NATSS3_ASSIGN_OR_RETURN(BucketFacts facts, Facts(bucket));
  if (facts.replicated) return GetInfoFromLeader(bucket, name);
  return GetInfoRaw(bucket, name);
}

Result<ObjectInfo> NatsObjectStore::PublishMeta(std::string_view bucket, ObjectInfo info,
                                                uint64_t expected_last,
                                                const std::string& msg_id) {
  std::string subject = MetaSubject(bucket, info.meta.name);
  std::string payload = MarshalObjectInfo(info);
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                static_cast<int>(payload.size()));
  if (s != NATS_OK) return FromNats(s, "build meta message");
  MsgPtr msg(raw);
  natsMsgHeader_Set(raw, "Nats-Rollup", "sub");
  natsMsgHeader_Set(raw, "Nats-Expected-Last-Subject-Sequence",
                    std::to_string(expected_last).c_str());
  natsMsgHeader_Set(raw, "Nats-Msg-Id", msg_id.c_str());
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // A lost acknowledgement is retried with the same message ID: if the first publish was
  // stored, the server answers with its sequence (duplicate) instead of storing it twice, and
  // the expected-last-sequence condition still guards against a concurrent writer. Each
  // attempt is short, so a publish lost with a failing server is sent again (to the stream's
  // new leader) while the client still waits; no responders means no leader for a moment.
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = AttemptTimeout().count();
  auto deadline = std::chrono::steady_clock::now() + WriteBudget();
  for (int attempt = 0;; ++attempt) {
    jerr = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, conn_->js(), raw, &po, &jerr);
    if (s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) break;
    if (std::chrono::steady_clock::now() + std::chrono::milliseconds(50) >= deadline) break;
    if (s == NATS_NO_RESPONDERS)
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(50 << std::min(attempt, 3), 400)));
  }
  if (s != NATS_OK) {
    if (s == NATS_NO_RESPONDERS) {
      auto st = StreamInfo(bucket);
      if (!st.ok()) return st.status();
    }
    return FromNats(s, "write meta of " + info.meta.name, jerr);
  }
  PubAckPtr pa(ack);
  // Test seams: the meta is stored but its acknowledgement is lost (every retry timed out), or
  // a retry after the duplicate window was refused as a conflict.
  if (FaultPoint("meta.ack_lost")) return DeadlineExceeded("write meta of " + info.meta.name);
  if (FaultPoint("meta.stored_then_conflict"))
    return FailedPrecondition("write meta of " + info.meta.name + ": wrong last sequence",
                              Detail::kWrongLastSequence);
  info.revision = ack->Sequence;
  RememberCommitted(bucket, info.meta.name, info.revision);
  info.mtime = std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now());
  ObserveCommitted(bucket, info);
  return info;
}

Result<NatsObjectStore::Committed> NatsObjectStore::CommitVersion(
    std::string_view bucket, const ObjectInfo& new_info, std::optional<uint64_t> expected_revision,
    const std::function<Result<ObjectInfo>()>& first_guess) {
  ObjectInfo info = new_info;
  if (!info.is_link() && !info.deleted) {
    // A new object in a bucket with a default retention gets it unless it names its own.
    auto config = GetObjectLockConfig(bucket);
    if (!config.ok() && config.status().code() != Code::kPermissionDenied) return config.status();
    if (config.ok()) ApplyDefaultRetention(*config, LockNow(), &info.meta.headers);
  }
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    // The first guess was asked for while the data uploaded; a stale one costs one retry.
    bool guessed = attempt == 0 && first_guess;
    auto prev = guessed ? first_guess() : LatestInfo(bucket, info.meta.name);
    if (!prev.ok() && prev.status().code() != Code::kNotFound) return prev.status();
    // An earlier attempt of this very commit was stored although it looked refused (its
    // acknowledgement was lost, and the retry conflicted with it): it is the commit. Publishing
    // again would "replace" this version with itself and then release its chunks.
    if (prev.ok() && !guessed && !prev->deleted && !info.nuid.empty() && prev->nuid == info.nuid &&
        attempt > 0) {
      ObserveCommitted(bucket, *prev);  // its publish looked failed: the index has not seen it
      return Committed{std::move(prev).value(), std::nullopt};
    }
    uint64_t last = prev.ok() ? prev->revision : 0;
    if (expected_revision && *expected_revision != last) {
      if (guessed) continue;
      return FailedPrecondition("object " + info.meta.name + " is not at the expected revision",
                                Detail::kWrongLastSequence);
    }
    // Unversioned: replacing a version destroys it, so a locked one is never replaced.
    if (prev.ok()) {
      Status may = CheckMayDestroy(*prev, LockNow(), /*bypass_governance=*/false);
      if (!may.ok()) {
        if (guessed) continue;
        return may.Annotate("refusing to overwrite");
      }
    }
    auto stored = PublishMeta(bucket, info, last, info.nuid + "." + std::to_string(last));
    if (stored.ok()) {
      Committed c{std::move(stored).value(), std::nullopt};
      if (prev.ok()) c.replaced = std::move(prev).value();
      return c;
    }
    if (!Conflict(stored.status())) return stored.status();
    if (expected_revision && !guessed) return stored.status();
    if (!guessed) Backoff(attempt);
  }
  return TooMuchContention(info.meta.name);
}

void NatsObjectStore::ReleaseVersion(std::string_view bucket, const ObjectInfo& version) {
  if (version.deleted || version.nuid.empty() || version.is_link()) return;
  // Defence against metas that share data (a foreign client's rename cut short by a crash):
  // data another live name still names is never purged.
  std::shared_ptr<ListingIndex> idx = FindIndex(bucket);
  if (!idx) return reclaimer_.Release(std::string(bucket), version.nuid);
  // An index still loading its snapshot cannot tell yet: the release waits for the load
  // (and is dropped, leaving the chunks to garbage collection, if the index stops first).
  idx->WhenLoaded([this, bucket = std::string(bucket), version, index = idx.get()] {
    if (!index->NamedElsewhere(version.nuid, version.meta.name))
      reclaimer_.Release(bucket, version.nuid);
  });
}

Status NatsObjectStore::Delete(std::string_view bucket, std::string_view name) {
  return DeleteWithOptions(bucket, name, DeleteOptions{});
}

Status NatsObjectStore::DeleteWithOptions(std::string_view bucket, std::string_view name,
                                          const DeleteOptions& options) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, name));
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    // Whatever this returns, the name is gone from this process's listing when it returns
    // (read-your-writes), also when someone else deleted it first and the watch lags.
    std::shared_ptr<ListingIndex> idx = FindIndex(bucket);
    uint64_t listed = idx ? idx->RevisionOf(name) : 0;
    auto latest = LatestInfo(bucket, name);
    if (!latest.ok()) {
      // No record at all: what the index lists (at `listed`, read before the answer) is gone.
      if (idx && latest.status().code() == Code::kNotFound)
        idx->ForgetName(std::string(name), listed);
      return latest.status();
    }
    ObjectInfo cur = std::move(latest).value();
    if (cur.deleted) {
      ObserveCommitted(bucket, cur);
      return Status::OK();
    }
    // Checked on the very record the conditional publish replaces.
    Status may = CheckMayDestroy(cur, LockNow(), options.bypass_governance);
    if (!may.ok()) return may.Annotate("refusing to delete");
    if (cur.nuid.empty() && !cur.is_link())
      return DataLoss("object-store meta information invalid for " + std::string(name));
    ObjectInfo marker = cur;
    marker.deleted = true;
    marker.size = 0;
    marker.chunks = 0;
    marker.digest.clear();
    auto stored = PublishMeta(bucket, marker, cur.revision, NewNuid());
    if (stored.ok()) {
      CrashPoint("delete.after_marker");
      ReleaseVersion(bucket, cur);
      return Status::OK();
    }
    if (!Conflict(stored.status())) return stored.status();
    Backoff(attempt);
  }
  return TooMuchContention(name);
}

Result<ObjectInfo> NatsObjectStore::ModifyMeta(std::string_view bucket, std::string_view name,
                                               const MetaMutator& mutate,
                                               const ModifyOptions& options) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, name));
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto cur = LatestInfo(bucket, name);
    if ((!cur.ok() && cur.status().code() == Code::kNotFound) || (cur.ok() && cur->deleted))
      return NotFound("cannot update meta for a deleted or missing object: " + std::string(name));
    if (!cur.ok()) return cur.status();
    ObjectInfo info = *cur;
    NATSS3_RETURN_IF_ERROR(mutate(info));
    // The lock may change only as S3 allows; a locked object keeps its name (a rename
    // destroys the old name, and the data moves out from under the retention).
    TimePoint now = LockNow();
    NATSS3_RETURN_IF_ERROR(CheckLockChange(LockOf(cur->meta.headers), LockOf(info.meta.headers),
                                           now, options.bypass_governance));
    if (!info.meta.name.empty() && info.meta.name != name) {
      Status may = CheckMayDestroy(*cur, now, /*bypass_governance=*/false);
      if (!may.ok()) return may.Annotate("refusing to rename");
    }
    // Data fields come from the record being replaced, whatever the mutator did.
    info.bucket = cur->bucket.empty() ? std::string(bucket) : cur->bucket;
    info.nuid = cur->nuid;
    info.size = cur->size;
    info.chunks = cur->chunks;
    info.digest = cur->digest;
    info.meta.link = cur->meta.link;
    info.meta.max_chunk_size = cur->meta.max_chunk_size;
    info.deleted = false;
    if (info.meta.name.empty()) info.meta.name = std::string(name);
    if (info.meta.name != name) {
      bool source_changed = false;
      auto renamed = Rename(bucket, *cur, std::move(info), options, &source_changed);
      if (!source_changed) return renamed;
      Backoff(attempt);
      continue;
    }
    auto stored = PublishMeta(bucket, info, cur->revision, NewNuid());
    if (stored.ok() || !Conflict(stored.status())) return stored;
    Backoff(attempt);
  }
  return TooMuchContention(name);
}

// Rename of `cur` to info.meta.name in three conditional steps, so that a put racing on
// either name never purges data the other name still needs and a crash leaves old or new:
//  1. the old name becomes a move marker (deleted, fresh nuid, data named in headers);
//  2. the new name is written (replacing a live object only with options.replace_target);
//  3. the marker is purged (bounded by its sequence, so a later put of the old name stays).
// If step 2 fails the marker is turned back into the object. Collectors finish step 3 or undo
// step 1 after a crash (CollectGarbage).
Result<ObjectInfo> NatsObjectStore::Rename(std::string_view bucket, const ObjectInfo& cur,
                                           ObjectInfo info, const ModifyOptions& options,
                                           bool* source_changed) {
  const std::string& to = info.meta.name;
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, to));
  // Fail early (nothing written) when the target is taken and may not be replaced.
  auto target = LatestInfo(bucket, to);
  if (!target.ok() && target.status().code() != Code::kNotFound) return target.status();
  if (target.ok() && !target->deleted && !options.replace_target)
    return AlreadyExists("an object named " + to + " already exists");
  if (target.ok()) {
    Status may = CheckMayDestroy(*target, LockNow(), /*bypass_governance=*/false);
    if (!may.ok()) return may.Annotate("refusing to rename onto it");
  }

  ObjectInfo marker = cur;
  marker.deleted = true;
  marker.nuid = NewNuid();
  marker.meta.headers[kRenameHeader] = {to};
  marker.meta.headers[kRenameNuidHeader] = {cur.nuid};
  auto moved = PublishMeta(bucket, marker, cur.revision, marker.nuid);
  if (!moved.ok()) {
    *source_changed = Conflict(moved.status());
    return moved.status();
  }
  CrashPoint("rename.after_marker");
  Result<ObjectInfo> stored = Status(Code::kInternal, "rename not attempted");
  std::optional<ObjectInfo> replaced;
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    if (attempt > 0) target = LatestInfo(bucket, to);
    if (!target.ok() && target.status().code() != Code::kNotFound) {
      stored = target.status();
      break;
    }
    if (target.ok() && !target->deleted && !options.replace_target) {
      stored = AlreadyExists("an object named " + to + " already exists");
      break;
    }
    if (target.ok()) {
      Status may = CheckMayDestroy(*target, LockNow(), /*bypass_governance=*/false);
      if (!may.ok()) {
        stored = may.Annotate("refusing to rename onto it");
        break;
      }
    }
    uint64_t last = target.ok() ? target->revision : 0;
    stored = PublishMeta(bucket, info, last, NewNuid());
    if (stored.ok()) {
      if (target.ok()) replaced = *target;
      break;
    }
    if (!Conflict(stored.status())) break;
    Backoff(attempt);
  }
  if (!stored.ok()) {
    // Undo step 1: the marker becomes the object again (unless someone replaced it since).
    ObjectInfo back = cur;
    auto restored = PublishMeta(bucket, back, moved->revision, NewNuid());
    (void)restored;
    return stored;
  }
  CrashPoint("rename.after_target");
  PurgeMoveMarker(bucket, cur.meta.name, moved->revision);
  if (replaced) ReleaseVersion(bucket, *replaced);
  return stored;
}

void NatsObjectStore::PurgeMoveMarker(std::string_view bucket, const std::string& name,
                                      uint64_t marker_revision) {
  std::string stream = StreamName(bucket), subject = MetaSubject(bucket, name);
  auto r = conn_->PurgeBelow(stream, subject, marker_revision + 1);
  if (!r.ok() && r.status().code() != Code::kNotFound) {
    // A later collection finds the marker and purges it: nothing depends on this one.
    return;
  }
  std::shared_ptr<ListingIndex> idx = FindIndex(bucket);
  if (idx) idx->ForgetMove(name, marker_revision);
}

Result<ObjectInfo> NatsObjectStore::PutLink(std::string_view bucket, ObjectInfo link) {
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto existing = LatestInfo(bucket, link.meta.name);
    if (!existing.ok() && existing.status().code() != Code::kNotFound) return existing.status();
    if (existing.ok() && !existing->deleted && !existing->is_link())
      return AlreadyExists("an object named " + link.meta.name + " already exists");
    uint64_t last = existing.ok() ? existing->revision : 0;
    auto stored = PublishMeta(bucket, link, last, link.nuid + "." + std::to_string(last));
    if (stored.ok() || !Conflict(stored.status())) return stored;
    Backoff(attempt);
  }
  return TooMuchContention(link.meta.name);
}

Result<ObjectInfo> NatsObjectStore::AddLink(std::string_view bucket, std::string_view name,
                                            const ObjectInfo& target) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, name));
  if (target.meta.name.empty()) return InvalidArgument("link target object is required");
  if (target.deleted) return FailedPrecondition("cannot link to a deleted object");
  if (target.is_link()) return FailedPrecondition("cannot link to another link");
  ObjectInfo link;
  link.meta.name = std::string(name);
  link.meta.link = ObjectLink{target.bucket.empty() ? std::string(bucket) : target.bucket,
                              target.meta.name};
  link.bucket = std::string(bucket);
  link.nuid = NewNuid();
  return PutLink(bucket, std::move(link));
}

Result<ObjectInfo> NatsObjectStore::AddBucketLink(std::string_view bucket, std::string_view name,
                                                  std::string_view target_bucket) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, name));
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(target_bucket));
  ObjectInfo link;
  link.meta.name = std::string(name);
  link.meta.link = ObjectLink{std::string(target_bucket), ""};
  link.bucket = std::string(bucket);
  link.nuid = NewNuid();
  return PutLink(bucket, std::move(link));
}

}  // namespace natss3::natsw
