// Streaming puts: a bounded window of async chunk publishes, MD5 + SHA-256 on the fly, then a
// conditional rollup meta publish (docs/object-store-format.md). Failed or abandoned puts
// purge their own chunks; until then the lease keeper protects them (docs/reclamation.md).
#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "hashing.h"
#include "nats/ack_router.h"
#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/crash_point.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

// Publishes chunks of one chunk subject. Memory: one chunk buffer + the window in flight (a
// copy of each chunk is kept until it is acknowledged).
//
// Failover: a chunk without an acknowledgement after the attempt timeout, or one no stream
// leader took, is published again with the same Nats-Msg-Id (<nuid>.chunk.<index>), so a copy that
// was stored after all is not stored twice. A chunk sent again can land after later chunks
// (if its first copy was lost while theirs were not); then the chunks are out of order, which
// Finish() detects from the acknowledged sequences: the upload fails (kUnavailable, the client
// retries it) rather than store a garbled object.
class ChunkPublisher {
 public:
  ChunkPublisher(NatsObjectStore* store, std::string bucket, uint32_t chunk_size, int window,
                 std::string nuid = NewNuid(), bool md5 = true)
      : store_(store),
        bucket_(std::move(bucket)),
        nuid_(std::move(nuid)),
        subject_(ChunkSubject(bucket_, nuid_)),
        chunk_size_(store->EffectiveChunkSize(chunk_size)),
        window_(ChunksInFlight(window > 0 ? window : 32, chunk_size_)),
        state_(std::make_shared<AckState>()),
        md5_(Hasher::Algo::kMd5),
        sha_(Hasher::Algo::kSha256),
        md5_enabled_(md5),
        started_(std::chrono::steady_clock::now()) {
    buffer_.reserve(chunk_size_);
    store_->lease().Begin(bucket_, nuid_);
  }

  ~ChunkPublisher() { store_->acks().Forget(state_); }

  // This process no longer answers for the chunks (a meta or a durable record names them, or
  // they were purged).
  void EndLease() { store_->lease().End(bucket_, nuid_); }
  // Long enough that another process's collector may have judged the chunks abandoned if
  // this process was frozen meanwhile (pins are written after a quarter of the grace).
  bool LongLived() const {
    return std::chrono::steady_clock::now() - started_ > store_->lease().grace() / 4;
  }

  Status Init() { return Status::OK(); }

  Status Write(std::string_view data) {
    if (!failed_.ok()) return failed_;
    if (md5_enabled_) md5_.Update(data);
    sha_.Update(data);
    size_ += data.size();
    while (!data.empty()) {
      if (buffer_.empty() && data.size() >= chunk_size_) {
        NATSS3_RETURN_IF_ERROR(Fail(Publish(data.substr(0, chunk_size_))));
        data.remove_prefix(chunk_size_);
        continue;
      }
      size_t take = std::min<size_t>(chunk_size_ - buffer_.size(), data.size());
      buffer_.append(data.data(), take);
      data.remove_prefix(take);
      if (buffer_.size() == chunk_size_) {
        NATSS3_RETURN_IF_ERROR(Fail(Publish(buffer_)));
        buffer_.clear();
      }
    }
    return Status::OK();
  }

  // Publishes the partial chunk and waits for every ack.
  Status Finish() {
    if (!failed_.ok()) return failed_;
    if (!buffer_.empty()) {
      NATSS3_RETURN_IF_ERROR(Fail(Publish(buffer_)));
      buffer_.clear();
    }
    return Fail(WaitInflightBelow(1));
  }

  // Waits (bounded) for chunks in flight, then purges the subject (the reclaimer retries).
  void Discard() {
    if (discarded_) return;
    discarded_ = true;
    WaitAllAcks();
    if (chunks_ > 0) {
      Status s = store_->conn().Purge(StreamName(bucket_), subject_);
      if (!s.ok() && s.code() != Code::kNotFound)
        store_->reclaimer().Retry(StreamName(bucket_), subject_);
    }
    EndLease();
  }

  const std::string& nuid() const { return nuid_; }
  uint64_t size() const { return size_; }
  uint32_t chunks() const { return chunks_; }
  uint32_t chunk_size() const { return chunk_size_; }
  std::string Md5() const { return md5_.Peek(); }
  std::string Sha256() const { return sha_.Peek(); }

 private:
  Status Fail(Status s) {
    if (!s.ok() && failed_.ok()) failed_ = s;
    return s;
  }

  using SteadyClock = std::chrono::steady_clock;
  struct InFlight {
    uint32_t index = 0;
    // The message as sent: its data is sent again if no ack comes (kept instead of a copy of
    // the chunk of its own; the writer's one copy per byte is the one into the message).
    OwnedMsgPtr msg;
    SteadyClock::time_point due;  // sent again at this time unless acknowledged
    std::string_view data() const {
      return {natsMsg_GetData(msg.get()), static_cast<size_t>(natsMsg_GetDataLength(msg.get()))};
    }
  };

  Status Publish(std::string_view chunk) {
    NATSS3_RETURN_IF_ERROR(WaitInflightBelow(window_));
    if (inflight_.empty()) last_progress_ = SteadyClock::now();  // the wait for acks starts
    InFlight f{chunks_, nullptr, SteadyClock::now() + store_->AttemptTimeout()};
    uint64_t token = 0;
    NATSS3_RETURN_IF_ERROR(
        store_->acks().Publish(subject_, chunk, state_, MsgId(f.index), &token, &f.msg));
    inflight_.emplace(token, std::move(f));
    seqs_.push_back(0);
    ++chunks_;
    return Status::OK();
  }

  // Not "<nuid>.<n>": meta records use that form (meta_writes.cc).
  std::string MsgId(uint32_t index) const { return nuid_ + ".chunk." + std::to_string(index); }

  // Takes the acknowledgements and the publishes to send again. Called without state_->mu.
  void Collect() {
    std::vector<std::pair<uint64_t, uint64_t>> stored;
    std::vector<uint64_t> lost;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      stored.swap(state_->stored);
      lost.swap(state_->lost);
    }
    auto now = SteadyClock::now();
    for (auto [token, seq] : stored) {
      auto it = inflight_.find(token);
      if (it == inflight_.end()) continue;
      seqs_[it->second.index] = seq;
      inflight_.erase(it);
      last_progress_ = now;
    }
    for (uint64_t token : lost) {
      auto it = inflight_.find(token);
      if (it == inflight_.end()) continue;
      // No leader right now: a pause before the next try (an election takes a moment).
      it->second.due = std::min(it->second.due, now + std::chrono::milliseconds(200));
    }
  }

  // Publishes again, in chunk order, what is due.
  Status ResendDue() {
    auto now = SteadyClock::now();
    std::vector<std::pair<uint64_t, uint32_t>> due;  // token, index
    for (auto& [token, f] : inflight_)
      if (f.due <= now) due.emplace_back(token, f.index);
    std::sort(due.begin(), due.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    if (!due.empty()) resent_ = true;
    for (auto [token, index] : due) {
      (void)index;
      auto node = inflight_.extract(token);
      store_->acks().Drop(state_, token);
      InFlight& f = node.mapped();
      f.due = now + store_->AttemptTimeout();
      uint64_t fresh = 0;
      Status s =
          store_->acks().Publish(subject_, f.data(), state_, MsgId(f.index), &fresh, &f.msg);
      if (!s.ok() && s.code() != Code::kUnavailable) return s;
      if (!s.ok()) fresh = ++local_tokens_ | (uint64_t{1} << 63);  // not sent: due again later
      node.key() = fresh;
      inflight_.insert(std::move(node));
    }
    return Status::OK();
  }

  // Waits (bounded by an idle timeout) until no publish is in flight, errors or not, so no
  // late chunk can land after the purge.
  void WaitAllAcks() {
    std::unique_lock<std::mutex> lock(state_->mu);
    auto idle = std::chrono::milliseconds(std::max<int64_t>(store_->conn().timeout_ms(), 2000));
    while (state_->inflight > 0) {
      uint64_t acked = state_->acked;
      if (!state_->cv.wait_for(lock, idle, [&] {
            return state_->inflight == 0 || state_->acked != acked;
          }))
        return;
    }
  }

  // Waits until fewer than `limit` publishes are in flight, sending again those that go
  // unanswered. Fails when nothing at all was acknowledged for the write budget (no server
  // takes the chunks).
  Status WaitInflightBelow(int limit) {
    for (;;) {
      Collect();
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        if (!state_->first_error.ok()) return state_->first_error;
      }
      if (static_cast<int>(inflight_.size()) < limit) break;
      if (SteadyClock::now() - last_progress_ > store_->WriteBudget())
        return Unavailable("no acknowledgement from JetStream for chunk publishes");
      NATSS3_RETURN_IF_ERROR(ResendDue());
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->cv.wait_for(lock, std::chrono::milliseconds(100), [&] {
        return !state_->stored.empty() || !state_->lost.empty() || !state_->first_error.ok();
      });
    }
    if (limit <= 1 && resent_) {
      // Everything is stored: in chunk order, unless a chunk sent again overtook another;
      // once, unless a new stream leader did not know the first copy's message ID.
      for (size_t i = 1; i < seqs_.size(); ++i)
        if (seqs_[i] <= seqs_[i - 1])
          return Unavailable("chunks of " + nuid_ +
                             " were stored out of order after a publish was repeated");
      auto count = store_->ChunkCount(bucket_, nuid_);
      if (!count.ok()) return count.status();
      if (*count != chunks_)
        return Unavailable("chunks of " + nuid_ + " were stored " + std::to_string(*count) +
                           " times for " + std::to_string(chunks_) +
                           " after a publish was repeated");
    }
    return Status::OK();
  }

  NatsObjectStore* store_;
  std::string bucket_, nuid_, subject_;
  uint32_t chunk_size_;
  int window_;
  std::shared_ptr<AckState> state_;
  std::string buffer_;
  Hasher md5_, sha_;
  bool md5_enabled_ = true;
  uint64_t size_ = 0;
  uint32_t chunks_ = 0;
  std::map<uint64_t, InFlight> inflight_;  // by publish token
  std::vector<uint64_t> seqs_;             // stream sequence of each chunk once acknowledged
  SteadyClock::time_point last_progress_{};
  uint64_t local_tokens_ = 0;
  bool resent_ = false;  // a chunk was published again (Finish checks the stored ones)
  Status failed_;
  bool discarded_ = false;
  std::chrono::steady_clock::time_point started_;
};

class NatsObjectWriter : public ObjectWriter {
 public:
  NatsObjectWriter(NatsObjectStore* store, std::string bucket, ObjectMeta meta,
                   const PutOptions& options, std::function<Result<ObjectInfo>()> previous)
      : store_(store),
        bucket_(bucket),
        meta_(std::move(meta)),
        options_(options),
        previous_(std::move(previous)),
        pub_(store, std::move(bucket), options.chunk_size ? options.chunk_size : meta_.max_chunk_size,
             options.window, options.nuid.empty() ? NewNuid() : options.nuid, options.md5) {}
  ~NatsObjectWriter() override {
    if (!done_) Abort();
  }
  Status Init() { return pub_.Init(); }

  Status Write(std::string_view data) override {
    if (done_) return FailedPrecondition("write after commit or abort");
    Status s = pub_.Write(data);
    if (!s.ok()) Abort();
    return s;
  }
  uint64_t size() const override { return pub_.size(); }
  std::string Md5Hex() const override { return HexEncode(pub_.Md5()); }
  std::string Sha256Raw() const override { return pub_.Sha256(); }

  Status AmendMeta(const std::function<void(ObjectMeta&)>& edit) override {
    if (done_) return FailedPrecondition("meta change after commit or abort");
    std::string name = meta_.name;
    edit(meta_);
    meta_.name = std::move(name);
    meta_.link.reset();
    return Status::OK();
  }

  Result<ObjectInfo> Commit() override {
    if (done_) return FailedPrecondition("commit after commit or abort");
    Status s = pub_.Finish();
    if (!s.ok()) {
      Abort();
      return s.Annotate("put " + meta_.name);
    }
    ObjectInfo info;
    info.meta = meta_;
    info.meta.link.reset();
    if (options_.md5) {
      info.meta.headers[kMd5Header] = {HexEncode(pub_.Md5())};
    } else {
      info.meta.headers.erase(kMd5Header);
    }
    info.meta.max_chunk_size = pub_.chunk_size();
    info.bucket = bucket_;
    info.nuid = pub_.nuid();
    info.size = pub_.size();
    info.chunks = pub_.chunks();
    info.digest = FormatDigest(pub_.Sha256());
    CrashPoint("put.before_meta");
    auto committed = store_->CommitVersion(bucket_, info, options_.expected_revision, previous_);
    if (!committed.ok()) {
      Status failed = committed.status().Annotate("put " + meta_.name);
      if (failed.code() == Code::kFailedPrecondition || failed.code() == Code::kInvalidArgument) {
        Abort();  // refused before anything was stored
        return failed;
      }
      // A timeout or an unavailable stream leaves the outcome unknown: the meta may be stored
      // although no acknowledgement came back. Purging our chunks then would leave the name
      // pointing at no data (and the replaced version is gone). Ask which version is current.
      auto current = store_->LatestInfo(bucket_, meta_.name);
      if (current.ok() && !current->deleted && current->nuid == pub_.nuid()) {
        done_ = true;
        pub_.EndLease();
        store_->ObserveCommitted(bucket_, *current);  // listed at once, as any commit
        // Committed after all. The version it replaced is not known for sure: its chunks, no
        // longer named by any meta, are left to the collector.
        return std::move(current).value();
      }
      if (!current.ok() && current.status().code() != Code::kNotFound) {
        // Still unknown: keep the chunks. If no meta names them, the collector removes them
        // once the lease's grace has passed.
        done_ = true;
        pub_.EndLease();
        return failed;
      }
      Abort();
      return failed;
    }
    if (pub_.LongLived()) {
      Status intact = CheckStillIntact(*committed);
      if (!intact.ok()) {
        Abort();
        return intact;
      }
    }
    done_ = true;
    pub_.EndLease();
    CrashPoint("put.after_meta");
    if (committed->replaced) store_->ReleaseVersion(bucket_, *committed->replaced);
    return std::move(committed->stored);
  }

  void Abort() override {
    if (done_) return;
    done_ = true;
    pub_.Discard();
  }

 private:
  // After a long put, the chunks must still all be there: a process frozen for longer than the
  // grace (SIGSTOP, a VM pause) may have had them reclaimed by a collector elsewhere between
  // its last chunk and its meta. Then the replaced version (whose chunks are untouched) is put
  // back, or the name deleted again, and the put fails rather than leave a broken object.
  Status CheckStillIntact(const NatsObjectStore::Committed& committed) {
    auto count = store_->ChunkCount(bucket_, pub_.nuid());
    if (count.ok() && *count == pub_.chunks()) return Status::OK();
    if (!count.ok() && count.status().code() != Code::kNotFound) return Status::OK();
    ObjectInfo back;
    if (committed.replaced) {
      back = *committed.replaced;
    } else {
      back = committed.stored;
      back.deleted = true;
      back.size = 0;
      back.chunks = 0;
      back.digest.clear();
    }
    (void)store_->PublishMeta(bucket_, back, committed.stored.revision, NewNuid());
    return Unavailable("put " + meta_.name +
                           ": the upload stalled so long that its chunks were reclaimed",
                       Detail::kStalledUpload);
  }

  NatsObjectStore* store_;
  std::string bucket_;
  ObjectMeta meta_;
  PutOptions options_;
  std::function<Result<ObjectInfo>()> previous_;
  ChunkPublisher pub_;
  bool done_ = false;
};

class NatsStagedWriter : public StagedWriter {
 public:
  NatsStagedWriter(NatsObjectStore* store, std::string bucket, uint32_t chunk_size)
      : pub_(store, std::move(bucket), chunk_size, 32) {}
  ~NatsStagedWriter() override {
    if (!done_) Abort();
  }
  Status Init() { return pub_.Init(); }
  Status Write(std::string_view data) override {
    if (done_) return FailedPrecondition("write after finish or abort");
    Status s = pub_.Write(data);
    if (!s.ok()) Abort();
    return s;
  }
  uint64_t size() const override { return pub_.size(); }
  std::string Md5Hex() const override { return HexEncode(pub_.Md5()); }
  Result<StagedBlob> Finish() override {
    if (done_) return FailedPrecondition("finish after finish or abort");
    Status s = pub_.Finish();
    if (!s.ok()) {
      Abort();
      return s;
    }
    done_ = true;
    StagedBlob b;
    b.nuid = pub_.nuid();
    b.size = pub_.size();
    b.chunks = pub_.chunks();
    b.chunk_size = pub_.chunk_size();
    b.md5_hex = HexEncode(pub_.Md5());
    b.sha256_raw = pub_.Sha256();
    return b;
  }
  void Abort() override {
    if (done_) return;
    done_ = true;
    pub_.Discard();
  }

 private:
  ChunkPublisher pub_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<ObjectWriter>> NewNatsWriter(NatsObjectStore* store, std::string bucket,
                                                    ObjectMeta meta, const PutOptions& options,
                                                    std::function<Result<ObjectInfo>()> previous) {
  auto w = std::make_unique<NatsObjectWriter>(store, std::move(bucket), std::move(meta), options,
                                              std::move(previous));
  NATSS3_RETURN_IF_ERROR(w->Init());
  return std::unique_ptr<ObjectWriter>(std::move(w));
}

Result<std::unique_ptr<StagedWriter>> NewNatsStagedWriter(NatsObjectStore* store,
                                                          std::string bucket,
                                                          uint32_t chunk_size) {
  auto w = std::make_unique<NatsStagedWriter>(store, std::move(bucket), chunk_size);
  NATSS3_RETURN_IF_ERROR(w->Init());
  return std::unique_ptr<StagedWriter>(std::move(w));
}

}  // namespace natss3::natsw
