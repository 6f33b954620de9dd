// Listing snapshots: writing, loading and the background writer of a ListingIndex. The format
// and the rules for trusting a snapshot are in docs/listing-snapshots.md.
#include <future>
#include <nlohmann/json.hpp>

#include "hashing.h"
#include "natss3/crash_point.h"
#include "listing_blocks.h"
#include "natss3/listing_index.h"
#include "natss3/names.h"
#include "natss3/object_store.h"

namespace natss3 {
namespace {

using json = nlohmann::json;

constexpr const char* kSnapshotRecords = "natss3-listing";  // the KV bucket holding snapshots
constexpr int kFormat = 1;
constexpr size_t kChunkBytes = 256 * 1024;
constexpr size_t kMinEntries = 10000;  // smaller buckets replay fast enough
constexpr uint64_t kMinChanges = 1000;
constexpr auto kCheckEvery = std::chrono::seconds(30);

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

std::string ChunkKey(const std::string& bucket, const std::string& generation, size_t i) {
  return bucket + "." + generation + "." + std::to_string(i);
}

// SHA-256 of what a chunk says about itself: generation, index and payload.
std::string ChunkHash(const std::string& generation, size_t index, std::string_view payload) {
  Hasher h(Hasher::Algo::kSha256);
  h.Update(generation);
  h.Update(".");
  h.Update(std::to_string(index));
  h.Update(".");
  h.Update(payload);
  return h.Peek();
}

int64_t Nanos(TimePoint t) { return t.time_since_epoch().count(); }

// Whether snapshots may stand in for a replay of this bucket: not when messages disappear
// without a meta record saying so (max age, max bytes).
bool SnapshotsAllowed(const BucketStatus& st) { return st.ttl.count() == 0 && st.max_bytes <= 0; }

}  // namespace

Status ListingIndex::WriteSnapshot() {
  if (!ready()) return FailedPrecondition("listing of " + bucket_ + " is not ready");
  NATSS3_ASSIGN_OR_RETURN(BucketStatus st, store_->GetBucketStatus(bucket_));
  if (!SnapshotsAllowed(st))
    return FailedPrecondition("bucket " + bucket_ + " expires or discards objects");
  NATSS3_ASSIGN_OR_RETURN(auto records, store_->Records(kSnapshotRecords));
  std::string generation = NewNuid();
  uint64_t seq = 0, entries = 0;
  json moves = json::array();
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (resync_) return FailedPrecondition("listing of " + bucket_ + " is resynchronising");
    // Every meta record up to seq is applied. The entries are read chunk by chunk below while
    // changes go on (a fuzzy snapshot): a change after seq that one of them already shows is
    // delivered again by the catch-up and is then ignored as not newer.
    seq = watch_revision_;
    for (const auto& [_, m] : moves_)
      moves.push_back({{"name", m.name},
                       {"target", m.target},
                       {"nuid", m.nuid},
                       {"revision", m.revision},
                       {"time", Nanos(m.time)}});
  }
  if (seq == 0) return FailedPrecondition("bucket " + bucket_ + " has no meta records");
  size_t chunks = 0;
  std::string last;  // the last key written
  bool done = false;
  while (!done) {
    std::string payload, prev;
    {
      std::shared_lock<std::shared_mutex> lock(mu_);
      auto c = chunks == 0 && last.empty() ? entries_->LowerBound("") : entries_->UpperBound(last);
      while (!entries_->AtEnd(c) && payload.size() < kChunkBytes) {
        std::string_view key = entries_->KeyAt(c);
        size_t shared = 0;
        while (shared < prev.size() && shared < key.size() && prev[shared] == key[shared]) ++shared;
        PutVarint(&payload, shared);
        PutVarint(&payload, key.size() - shared);
        payload.append(key.substr(shared));
        std::string fields = entries_->ExportFields(c);
        PutVarint(&payload, fields.size());
        payload += fields;
        prev.assign(key);
        ++entries;
        entries_->Next(&c);
      }
      done = entries_->AtEnd(c);
    }
    if (payload.empty() && chunks > 0) break;
    last = prev;
    std::string value = ChunkHash(generation, chunks, payload) + payload;
    NATSS3_RETURN_IF_ERROR(records->Put(ChunkKey(bucket_, generation, chunks), value));
    ++chunks;
  }
  json head{{"format", kFormat}, {"bucket", bucket_},  {"stream_created", Nanos(st.created)},
            {"seq", seq},        {"entries", entries}, {"generation", generation},
            {"chunks", chunks},  {"moves", moves}};
  NATSS3_RETURN_IF_ERROR(records->Put(bucket_, head.dump()));
  snapshot_seq_ = seq;
  // Older generations go; a writer racing this one may lose its chunks, which only makes its
  // snapshot unusable (a loader then replays the bucket).
  auto keys = records->Keys(bucket_ + ".");
  if (keys.ok()) {
    std::string mine = bucket_ + "." + generation + ".";
    for (const auto& k : *keys)
      if (k.rfind(bucket_ + ".", 0) == 0 && k.rfind(mine, 0) != 0) (void)records->Delete(k);
  }
  return Status::OK();
}

uint64_t ListingIndex::OpenSnapshot(std::function<void()>* load) {
  auto records = store_->Records(kSnapshotRecords);
  if (!records.ok()) return 0;
  auto head_value = (*records)->Get(bucket_);
  if (!head_value.ok()) return 0;
  json head = json::parse(*head_value, nullptr, /*allow_exceptions=*/false);
  if (!head.is_object() || head.value("format", 0) != kFormat ||
      head.value("bucket", std::string()) != bucket_)
    return 0;
  auto st = store_->GetBucketStatus(bucket_);
  if (!st.ok() || !SnapshotsAllowed(*st)) return 0;
  uint64_t seq = head.value("seq", uint64_t{0});
  // The same stream (not a bucket deleted and created again), and not ahead of it.
  if (head.value("stream_created", int64_t{0}) != Nanos(st->created) || seq == 0 ||
      seq > st->last_seq)
    return 0;
  std::string generation = head.value("generation", std::string());
  uint64_t chunks = head.value("chunks", uint64_t{0});
  uint64_t want_entries = head.value("entries", uint64_t{0});
  if (generation.empty() || chunks == 0) return 0;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    entries_->Reserve(std::min<uint64_t>(want_entries, uint64_t{1} << 32));
    auto moves = head.find("moves");
    if (moves != head.end() && moves->is_array()) {
      for (const auto& m : *moves) {
        if (!m.is_object()) continue;
        Move mv{m.value("name", std::string()), m.value("target", std::string()),
                m.value("nuid", std::string()), m.value("revision", uint64_t{0}),
                TimePoint(std::chrono::nanoseconds(m.value("time", int64_t{0})))};
        if (!mv.name.empty()) moves_[mv.name] = mv;
      }
    }
    load_ = Load::kLoading;
    frontier_.clear();
  }
  watch_revision_ = seq;
  *load = [this, rs = *records, generation, chunks, want_entries] {
    // The next chunk is fetched while this one is checked and added.
    auto fetch = [&](size_t i) {
      return std::async(std::launch::async, [rs, key = ChunkKey(bucket_, generation, i)] {
        return rs->Get(key);
      });
    };
    std::future<Result<std::string>> next = fetch(0);
    uint64_t entries = 0;
    for (size_t i = 0; i < chunks; ++i) {
      auto value = next.get();
      if (stopping_) break;
      if (i + 1 < chunks) next = fetch(i + 1);
      if (!value.ok() || value->size() < 32) return FinishLoad(false);
      std::string_view payload(*value);
      payload.remove_prefix(32);
      if (ChunkHash(generation, i, payload) != std::string_view(*value).substr(0, 32))
        return FinishLoad(false);
      std::string name;
      bool bad = false;
      {
        std::unique_lock<std::shared_mutex> lock(mu_);
        bool filter = !tombstones_.empty() || !hidden_nuids_.empty();
        while (!payload.empty()) {
          uint64_t shared = 0, suffix = 0, fields = 0;
          if (!GetVarint(&payload, &shared) || !GetVarint(&payload, &suffix) ||
              shared > name.size() || suffix > payload.size()) {
            bad = true;
            break;
          }
          name.resize(shared);
          name.append(payload.substr(0, suffix));
          payload.remove_prefix(suffix);
          if (!GetVarint(&payload, &fields) || fields > payload.size() ||
              !entries_->AppendExported(name, payload.substr(0, fields))) {
            bad = true;
            break;
          }
          payload.remove_prefix(fields);
          ++entries;
          if (!filter) continue;
          // A change made while loading may already have removed this entry: deleted or
          // forgotten (a tombstone) or renamed away to a key loaded before (its nuid).
          uint64_t revision = 0;
          std::string nuid;
          entries_->Peek(name, &revision, &nuid);
          auto tomb = tombstones_.find(name);
          auto hidden = nuid.empty() ? hidden_nuids_.end() : hidden_nuids_.find(nuid);
          if (hidden != hidden_nuids_.end() && hidden->second > revision) {
            entries_->Erase(name);
            uint64_t& t = tombstones_[name];
            t = std::max(t, hidden->second);
          } else if (tomb != tombstones_.end() && tomb->second >= revision) {
            entries_->Erase(name);
          }
        }
        if (!bad && !name.empty()) AdvanceLoad(name);
      }
      if (bad) return FinishLoad(false);
      load_cv_.notify_all();
      // Test seam: a load that stays part way (after its first chunk) while a test lists.
      while (FaultHeld("listing.snapshot.load") && !stopping_)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (stopping_) {
      std::unique_lock<std::shared_mutex> lock(mu_);
      load_ = Load::kNone;
      return;
    }
    FinishLoad(entries == want_entries);
  };
  return seq;
}

void ListingIndex::SnapshotLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(watcher_mu_);
      if (stop_cv_.wait_for(lock, kCheckEvery, [this] { return stop_; })) return;
    }
    uint64_t current = watch_revision_, last = snapshot_seq_;
    size_t n = size();
    if (n < kMinEntries || current < last + std::max<uint64_t>(kMinChanges, n / 16)) continue;
    // Another process may have written a fresh one meanwhile.
    if (auto records = store_->Records(kSnapshotRecords); records.ok()) {
      if (auto head = (*records)->Get(bucket_); head.ok()) {
        json h = json::parse(*head, nullptr, false);
        uint64_t theirs = h.is_object() ? h.value("seq", uint64_t{0}) : 0;
        if (theirs > last) snapshot_seq_ = last = theirs;
        if (current < last + std::max<uint64_t>(kMinChanges, n / 16)) continue;
      }
    }
    (void)WriteSnapshot();
  }
}

}  // namespace natss3
