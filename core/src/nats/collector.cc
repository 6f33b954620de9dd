// Garbage collection of a bucket: chunk subjects nothing references any more (orphans of
// interrupted puts, purges that never ran), stale pins and part records, interrupted renames.
// The protocol and its timing assumptions are in docs/reclamation.md.
#include <spdlog/spdlog.h>

#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/multipart.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

struct LastMessage {
  uint64_t seq = 0;
  TimePoint time{};
  size_t size = 0;
};

// The newest message on `subject` (kNotFound when there is none).
Result<LastMessage> LastOn(NatsConnection& conn, const std::string& stream,
                           const std::string& subject) {
  jsDirectGetMsgOptions dg;
  jsDirectGetMsgOptions_Init(&dg);
  dg.LastBySubject = subject.c_str();
  natsMsg* raw = nullptr;
  natsStatus s = js_DirectGetMsg(&raw, conn.js(), stream.c_str(), nullptr, &dg);
  if (s != NATS_OK) return FromNats(s, "read the newest message on " + subject);
  MsgPtr msg(raw);
  return LastMessage{natsMsg_GetSequence(raw),
                     TimePoint(std::chrono::nanoseconds(natsMsg_GetTime(raw))),
                     static_cast<size_t>(natsMsg_GetDataLength(raw))};
}

std::chrono::milliseconds Age(TimePoint now, TimePoint then) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - then);
}

}  // namespace

Result<uint64_t> NatsObjectStore::ChunkCount(std::string_view bucket, const std::string& nuid) {
  std::string subject = ChunkSubject(bucket, nuid);
  NATSS3_ASSIGN_OR_RETURN(auto info,
                          conn_->Api("STREAM.INFO." + StreamName(bucket),
                                     nlohmann::json{{"subjects_filter", subject}}, "count chunks",
                                     /*retry=*/true));
  const auto& state = info["state"];
  if (!state.contains("subjects") || !state["subjects"].is_object()) return uint64_t{0};
  return state["subjects"].value(subject, uint64_t{0});
}

Result<std::map<std::string, uint64_t>> NatsObjectStore::SubjectsUnder(std::string_view bucket,
                                                                       const std::string& prefix,
                                                                       const std::string& what) {
  std::map<std::string, uint64_t> out;
  uint64_t offset = 0;
  for (;;) {
    NATSS3_ASSIGN_OR_RETURN(
        auto info, conn_->Api("STREAM.INFO." + StreamName(bucket),
                              nlohmann::json{{"subjects_filter", prefix + ">"}, {"offset", offset}},
                              what + " of " + std::string(bucket)));
    const auto& state = info["state"];
    if (!state.contains("subjects") || !state["subjects"].is_object()) break;
    size_t page = 0;
    for (const auto& [subject, count] : state["subjects"].items()) {
      if (subject.compare(0, prefix.size(), prefix) == 0)
        out[subject.substr(prefix.size())] = count.get<uint64_t>();
      ++page;
    }
    offset += page;
    if (page == 0 || offset >= info.value("total", uint64_t{0})) break;
  }
  return out;
}

Result<std::map<std::string, uint64_t>> NatsObjectStore::ChunkSubjects(std::string_view bucket) {
  return SubjectsUnder(bucket, ChunkSubject(bucket, ""), "list chunk subjects");
}

Result<std::vector<ObjectInfo>> NatsObjectStore::MetasMissedBy(
    std::string_view bucket, const std::function<bool(const std::string& name)>& listed) {
  NATSS3_ASSIGN_OR_RETURN(auto subjects,
                          SubjectsUnder(bucket, MetaSubject(bucket, ""), "list meta subjects"));
  std::vector<ObjectInfo> missed;
  for (const auto& [encoded, count] : subjects) {
    auto name = DecodeObjectName(encoded);
    if (!name.ok() || listed(*name)) continue;
    auto info = LatestInfo(bucket, *name);
    if (!info.ok()) {
      if (info.status().code() == Code::kNotFound) continue;  // purged meanwhile (a rename)
      return info.status();
    }
    missed.push_back(std::move(info).value());
  }
  return missed;
}

Status NatsObjectStore::ResolveMove(std::string_view bucket, const ListingIndex::Move& move,
                                    ListingIndex& idx) {
  auto marker = LatestInfo(bucket, move.name);
  if (!marker.ok() && marker.status().code() != Code::kNotFound) return marker.status();
  if (!marker.ok() || marker->revision != move.revision) {
    idx.ForgetMove(move.name, move.revision);  // finished or undone since
    return Status::OK();
  }
  auto target = LatestInfo(bucket, move.target);
  if (!target.ok() && target.status().code() != Code::kNotFound) return target.status();
  if (target.ok() && !target->deleted && target->nuid == move.nuid) {
    PurgeMoveMarker(bucket, move.name, move.revision);  // the rename got as far as step 2
    return Status::OK();
  }
  ObjectInfo back = *marker;  // step 2 never happened: the old name gets its data back
  back.deleted = false;
  back.nuid = move.nuid;
  back.meta.headers.erase(kRenameHeader);
  back.meta.headers.erase(kRenameNuidHeader);
  auto restored = PublishMeta(bucket, back, move.revision, NewNuid());
  if (!restored.ok() && restored.status().detail() != Detail::kWrongLastSequence)
    return restored.status();
  idx.ForgetMove(move.name, move.revision);
  return Status::OK();
}

Result<GcReport> NatsObjectStore::CollectGarbage(std::string_view bucket_view,
                                                 const GcOptions& options) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket_view));
  const std::string bucket(bucket_view), stream = StreamName(bucket);
  const auto grace = options.grace.value_or(options_.gc_grace);
  GcReport report;
  NATSS3_ASSIGN_OR_RETURN(auto before, StreamInfo(bucket));
  report.stream_bytes_before = before["state"].value("bytes", uint64_t{0});
  if (before["config"].value("sealed", false)) {
    report.stream_bytes_after = report.stream_bytes_before;
    return report;  // nothing can be purged in a sealed bucket
  }
  NATSS3_ASSIGN_OR_RETURN(TimePoint now, lease_.ServerNow());
  // Chunk subjects first, references after: whatever committed before the listing is seen.
  NATSS3_ASSIGN_OR_RETURN(auto subjects, ChunkSubjects(bucket));
  report.chunk_subjects = subjects.size();
  NATSS3_ASSIGN_OR_RETURN(auto idx, Index(bucket));
  auto last_meta = LastOn(*conn_, stream, MetaSubject(bucket, "") + ">");
  if (!last_meta.ok() && last_meta.status().code() != Code::kNotFound) return last_meta.status();
  if (last_meta.ok() && !idx->WaitForRevision(last_meta->seq, std::chrono::seconds(10)))
    return DeadlineExceeded("the listing of " + bucket + " did not catch up for collection");
  // References from a listing still loading its snapshot would be partial: wait, or give up.
  if (!idx->WaitLoaded(std::chrono::seconds(60)))
    return DeadlineExceeded("the listing of " + bucket + " did not finish loading for collection");
  ListingIndex::References refs = idx->Refs();
  if (!refs.complete) return DeadlineExceeded("the listing of " + bucket + " is incomplete");

  MultipartStore::PartRefs parts;
  if (conn_->Api("STREAM.INFO.KV_" + std::string(MultipartStore::kRecordBucket),
                 nlohmann::json(), "uploads")
          .ok()) {
    MultipartStore uploads(this);
    if (options.purge) {
      auto finished = uploads.FinishCompleted(bucket, [&](const std::string& key)
                                                          -> Result<std::string> {
        NATSS3_ASSIGN_OR_RETURN(ObjectInfo cur, LatestInfo(bucket, key));
        if (cur.deleted) return NotFound("deleted");
        return cur.nuid;
      });
      if (!finished.ok()) return finished.status();
      report.uploads_finished = *finished;
    }
    NATSS3_ASSIGN_OR_RETURN(parts, uploads.PartReferences(bucket));
  }
  std::set<std::string> protected_nuids = parts.live;
  for (const auto& orphan : parts.orphans)
    if (Age(now, orphan.written) < grace) protected_nuids.insert(orphan.nuid);
  NATSS3_ASSIGN_OR_RETURN(auto pins, lease_.Pins(bucket, now, grace));
  for (const auto& pin : pins) {
    if (!pin.live) continue;
    protected_nuids.insert(pin.nuid);
    ++report.live_pins;
  }

  // A listing built by a consumer can lack a name (docs/cluster.md, "Listings checked against
  // the leader"). Before the first chunk subject is purged as unreferenced, the names the
  // stream leader holds are checked against the listing: an object it lacks is kept, and
  // put back into the listing.
  bool listing_checked = false;
  auto check_listing = [&]() -> Status {
    listing_checked = true;
    // RevisionOf peeks at the entry; Lookup would build a whole Entry per name.
    NATSS3_ASSIGN_OR_RETURN(auto missed, MetasMissedBy(bucket, [&](const std::string& name) {
                              return idx->RevisionOf(name) != 0;
                            }));
    for (const ObjectInfo& info : missed) {
      if (info.deleted) continue;
      ++report.listing_missed;
      protected_nuids.insert(info.nuid);
      spdlog::warn("listing of bucket {} lacked {} (revision {}): kept, and put back", bucket,
                   info.meta.name, info.revision);
      idx->Observe(info);
    }
    return Status::OK();
  };
  // Replicated buckets, where lists were seen to lack names, are checked after each replay of
  // the listing's watch (the listings of s3d and natss3fs are repaired by the next run).
  if (uint64_t replays = idx->replays(); ListingCheckDue(bucket, *idx)) {
    NATSS3_RETURN_IF_ERROR(check_listing());
    ListingChecked(bucket, replays);
  }
  for (const auto& [nuid, count] : subjects) {
    auto released = refs.released.find(nuid);
    bool releasing = released != refs.released.end() &&
                     Age(now, released->second) < options_.release_grace;
    if (refs.Names(nuid)) {
      ++report.referenced;
      continue;
    }
    bool keep = protected_nuids.count(nuid) || releasing || lease_.Active(bucket, nuid) ||
                reclaimer_.Keeps(bucket, nuid);
    if (!keep && !listing_checked) {
      NATSS3_RETURN_IF_ERROR(check_listing());
      keep = protected_nuids.count(nuid) > 0;  // a name the listing lacked may hold it
    }
    if (keep) {
      ++report.referenced;
      ++report.protected_only;
      continue;
    }
    std::string subject = ChunkSubject(bucket, nuid);
    auto last = LastOn(*conn_, stream, subject);
    if (!last.ok()) {
      if (last.status().code() == Code::kNotFound) continue;  // purged meanwhile
      return last.status();
    }
    GcReport::Orphan orphan{nuid, count, count * last->size, Age(now, last->time)};
    if (orphan.age >= grace && options.purge) {
      // Bounded by the newest chunk seen: a chunk stored after this look is not purged.
      auto r = conn_->PurgeBelow(stream, subject, last->seq + 1);
      if (!r.ok()) return r.status();
      orphan.purged = true;
      report.purged_messages += *r;
    }
    report.orphans.push_back(orphan);
  }
  for (const auto& pin : pins) {
    if (pin.live) continue;
    ++report.stale_pins;
    if (options.purge) (void)lease_.RemovePin(pin.key);
  }
  for (const auto& orphan : parts.orphans) {
    if (Age(now, orphan.written) < grace) continue;
    ++report.orphan_part_records;
    if (options.purge) (void)MultipartStore(this).DeletePartRecord(orphan.key);
  }
  for (const auto& move : refs.moves) {
    if (Age(now, move.time) < grace) {
      ++report.protected_only;  // resolved by a later run
      continue;
    }
    ++report.renames_resolved;
    if (options.purge) NATSS3_RETURN_IF_ERROR(ResolveMove(bucket, move, *idx));
  }
  auto after = StreamInfo(bucket);
  report.stream_bytes_after =
      after.ok() ? (*after)["state"].value("bytes", uint64_t{0}) : report.stream_bytes_before;
  return report;
}

bool NatsObjectStore::ListingCheckDue(const std::string& bucket, const ListingIndex& idx) {
  if (idx.size() > kSubjectsPage || !Replicated(bucket)) return false;
  std::lock_guard<std::mutex> lock(listing_checks_mu_);
  auto it = listing_checks_.find(bucket);
  return it == listing_checks_.end() || it->second != idx.replays();
}

void NatsObjectStore::ListingChecked(const std::string& bucket, uint64_t replays) {
  std::lock_guard<std::mutex> lock(listing_checks_mu_);
  listing_checks_[bucket] = replays;
}

void NatsObjectStore::CollectLoop() {
  auto wait = std::min<std::chrono::milliseconds>(options_.gc_interval, std::chrono::seconds(5));
  // A bucket whose stream did not change since a run that found nothing pending cannot have
  // new garbage (orphans only come from new messages): such buckets are not listed again. A
  // pin is pending too: its owner may die without the stream changing, and the pin, stale
  // then, is removed only by a later run.
  struct Seen {
    uint64_t messages = 0, bytes = 0;
    TimePoint last{};
  };
  std::map<std::string, Seen> settled;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(collect_mu_);
      if (collect_cv_.wait_for(lock, wait, [this] { return collect_stop_; })) return;
    }
    wait = options_.gc_interval;
    if (!conn_->connected()) continue;
    auto buckets = ListBuckets();
    if (!buckets.ok()) continue;
    for (const auto& b : *buckets) {
      {
        std::lock_guard<std::mutex> lock(collect_mu_);
        if (collect_stop_) return;
      }
      if (b.sealed) continue;
      auto known = settled.find(b.bucket);
      auto idx = FindIndex(b.bucket);
      if (known != settled.end() && known->second.messages == b.messages &&
          known->second.bytes == b.size && known->second.last == b.last_update &&
          !(idx && ListingCheckDue(b.bucket, *idx)))
        continue;
      auto report = CollectGarbage(b.bucket, GcOptions{true, std::nullopt});
      if (report.ok() && report->orphans.empty() && report->protected_only == 0 &&
          report->stale_pins == 0 && report->renames_resolved == 0 &&
          report->orphan_part_records == 0 && report->listing_missed == 0 &&
          report->live_pins == 0) {
        // The figures after this run, as the next ListBuckets will show them if nothing moves.
        auto now = GetBucketStatus(b.bucket);
        if (now.ok()) settled[b.bucket] = Seen{now->messages, now->size, now->last_update};
      } else {
        settled.erase(b.bucket);
      }
      if (!report.ok()) {
        spdlog::warn("garbage collection of bucket {}: {}", b.bucket, report.status().ToString());
        continue;
      }
      if (report->purged_messages || report->stale_pins || report->renames_resolved ||
          report->orphan_part_records || report->uploads_finished) {
        spdlog::info(
            "garbage collection of bucket {}: purged {} orphan chunk messages ({} -> {} bytes), "
            "{} stale pins, {} orphan part records, {} interrupted renames, {} interrupted "
            "multipart completions",
            b.bucket, report->purged_messages, report->stream_bytes_before,
            report->stream_bytes_after, report->stale_pins, report->orphan_part_records,
            report->renames_resolved, report->uploads_finished);
      }
    }
  }
}

}  // namespace natss3::natsw
