// Streaming and ranged reads.
// - Whole reads of large objects: a pull consumer on the chunk subject (chunk_puller.h).
// - Everything else: a window of pipelined direct gets by stream sequence on a private inbox.
//   Chunk locations come from the first chunk's sequence when the object's chunks are
//   contiguous, else from a walk of direct gets, next by subject after the last chunk found
//   (each answer is the chunk itself, kept when it is inside the window). No consumer is
//   created to locate chunks: creating one needs the stream leader and stalls while a cluster
//   elects a new one, where any replica answers a direct get (docs/cluster.md).
// Every direct get is sent again when no answer came within the store's attempt timeout (the
// server it went to may be gone), and a replica that says "missing" is overruled by the
// leader (it may lag behind).
// Nothing is pushed that the reader did not ask for, so a slow reader cannot cause a
// slow-consumer disconnect; memory is window * chunk size.
#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <thread>

#include "hashing.h"
#include "nats/chunk_puller.h"
#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Whole reads of objects with at least this many chunks go through a pull consumer (one
// request per window / 2 chunks) instead of a direct get per chunk.
constexpr uint32_t kPullMinChunks = 64;
// A pulled whole read that got nothing for this long goes on with direct gets.
constexpr auto kPullStall = std::chrono::milliseconds(2000);

// A chunk's bytes, left in the cnats message that carried them: no copy per chunk (copies and
// their large allocations were a third of a large get's client CPU). Copies share the message.
class Chunk {
 public:
  Chunk() = default;
  explicit Chunk(MsgPtr msg) : msg_(msg.release(), &natsMsg_Destroy) {}
  const char* data() const { return msg_ ? natsMsg_GetData(msg_.get()) : ""; }
  size_t size() const {
    return msg_ ? static_cast<size_t>(natsMsg_GetDataLength(msg_.get())) : 0;
  }
  std::string_view view() const { return {data(), size()}; }

 private:
  std::shared_ptr<natsMsg> msg_;
};

class NatsObjectReader : public ObjectReader {
 public:
  NatsObjectReader(NatsObjectStore* store, ObjectInfo info, const ReadOptions& options)
      : store_(store),
        info_(std::move(info)),
        options_(options),
        stream_(StreamName(info_.bucket)),
        subject_(ChunkSubject(info_.bucket, info_.nuid)),
        cache_key_(info_.bucket + "/" + info_.nuid),
        sha_(Hasher::Algo::kSha256) {
    range_start_ = std::min<uint64_t>(options_.offset, info_.size);
    uint64_t len = options_.length ? *options_.length : info_.size - range_start_;
    range_end_ = std::min<uint64_t>(info_.size, range_start_ + len);
    pos_ = range_start_;
    whole_ = range_start_ == 0 && range_end_ == info_.size;
    // The window is a byte budget: objects written with large chunks get fewer in flight.
    uint64_t chunk = info_.chunks ? (info_.size + info_.chunks - 1) / info_.chunks : 0;
    window_ = ChunksInFlight(options_.window, chunk);
    // Staged blobs have no meta that could be replaced; versions are kept while read.
    if (!info_.nuid.empty() && info_.revision != 0) hold_ = store_->HoldVersion(info_);
  }

  const ObjectInfo& info() const override { return info_; }

  Status Init() {
    if (info_.size == 0) return Status::OK();
    if (whole_ && info_.chunks >= kPullMinChunks) {
      // The consumer is created at the first Read(): a reader used only for ReadAt() (FUSE's
      // positional readers) never needs one.
      NATSS3_RETURN_IF_ERROR(FetchFirstChunk());
      pull_pending_ = true;
    } else if (auto cached = store_->CachedChunkIndex(cache_key_)) {
      index_ = *cached;
      index_complete_ = true;
    } else if (info_.chunks == 1) {
      NATSS3_RETURN_IF_ERROR(FetchSingleChunk());
      return Status::OK();
    } else if (whole_ && info_.revision > info_.chunks) {
      NATSS3_RETURN_IF_ERROR(FetchFirstChunk());
      if (!contiguous_) {
        StartWalk();
        AddLocation(seq0_, static_cast<uint32_t>(arrived_[0].size()));
      }
    } else {
      StartWalk();
    }
    return OpenInbox();
  }

  // Whole reads: the first chunk (next by subject) tells where the chunks are. A writer
  // publishes the meta after its last chunk is stored, so when the first of N chunks sits
  // exactly N sequences before the meta, all N fill that range (the usual case: nothing was
  // written in between). Then chunk i is at first + i, and no locating consumer is needed.
  Status FetchFirstChunk() {
    NATSS3_ASSIGN_OR_RETURN(StoredMsg first, FirstChunkMessage());
    seq0_ = first.seq;
    contiguous_ = seq0_ + info_.chunks == info_.revision;
    arrived_[0] = Chunk(std::move(first.msg));
    return Status::OK();
  }

  // One-chunk objects: one direct get (next by subject) gives both location and data; no
  // consumer, no inbox.
  Status FetchSingleChunk() {
    NATSS3_ASSIGN_OR_RETURN(StoredMsg first, FirstChunkMessage());
    uint64_t seq = first.seq;
    Chunk data(std::move(first.msg));
    index_.seqs = {seq};
    index_.sizes = {static_cast<uint32_t>(data.size())};
    index_.offsets = {0};
    index_.total = data.size();
    index_complete_ = true;
    arrived_[0] = std::move(data);
    return Status::OK();
  }

  Status OpenInbox() {
    if (replies_) return Status::OK();
    char* inbox = nullptr;
    if (natsInbox_Create(&inbox) != NATS_OK) return Internal("cannot create inbox");
    inbox_ = inbox;
    natsInbox_Destroy(inbox);
    natsSubscription* sub = nullptr;
    natsStatus s = natsConnection_SubscribeSync(&sub, store_->conn().nc(), (inbox_ + ".*").c_str());
    if (s != NATS_OK) return FromNats(s, "subscribe for chunk replies");
    replies_ = AdoptSub(store_->conn().nc(), sub);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    return Status::OK();
  }

  Result<size_t> Read(char* buf, size_t n) override {
    if (!failed_.ok()) return failed_;
    if (pos_ >= range_end_) {
      NATSS3_RETURN_IF_ERROR(FinishWhole());
      return size_t{0};
    }
    if (cur_off_ >= cur_.size()) {
      auto st = NextSequentialChunk();
      if (!st.ok()) return failed_ = st;
    }
    size_t take = std::min<size_t>({n, cur_.size() - cur_off_, range_end_ - pos_});
    std::memcpy(buf, cur_.data() + cur_off_, take);
    cur_off_ += take;
    pos_ += take;
    return take;
  }

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    if (offset >= info_.size || n == 0) return size_t{0};
    uint64_t end = std::min<uint64_t>(info_.size, offset + n);
    NATSS3_RETURN_IF_ERROR(EnsureConsistentIndex());
    size_t first = ChunkAt(offset), last = ChunkAt(end - 1);
    std::map<size_t, Chunk> got;
    for (size_t i = first; i <= last;) {
      size_t batch_end = std::min(last + 1, i + static_cast<size_t>(window_));
      std::vector<size_t> want;
      for (size_t k = i; k < batch_end; ++k) {
        if (auto* c = FromCache(k)) got[k] = *c;
        else want.push_back(k);
      }
      for (size_t k : want)
        if (!arrived_.count(k)) NATSS3_RETURN_IF_ERROR(Request(k));
      for (size_t k : want) {
        NATSS3_ASSIGN_OR_RETURN(got[k], Await(k));
        Remember(k, got[k]);
      }
      i = batch_end;
    }
    size_t copied = 0;
    for (size_t k = first; k <= last; ++k) {
      const Chunk& data = got[k];
      uint64_t cstart = index_.offsets[k];
      uint64_t from = std::max(offset, cstart), to = std::min(end, cstart + data.size());
      if (to <= from) continue;
      std::memcpy(buf + (from - offset), data.data() + (from - cstart), to - from);
      copied += to - from;
    }
    return copied;
  }

 private:
  // ---- pulled whole reads (chunk_puller.h)
  // Chunk 0 came with FetchFirstChunk. A contiguous object's chunks up to handoff_ come by
  // direct get while the consumer for the rest is being created (hiding its creation time);
  // otherwise the consumer starts right after chunk 0.
  Status BeginPull() {
    pull_pending_ = false;
    handoff_ = contiguous_ ? std::min<uint32_t>(std::max(1, window_ / 2), info_.chunks - 1) : 1;
    auto p = ChunkPuller::Begin(store_->conn(), stream_, subject_, seq0_ + handoff_,
                                info_.chunks - handoff_, window_);
    if (!p.ok()) return FallBackFromPull();
    puller_ = std::move(p).value();
    puller_->Reserve(handoff_);
    if (!contiguous_) seqs_.push_back(seq0_);
    return Status::OK();
  }

  // Before the handoff: takes the consumer's creation if it has come. When the consumer cannot
  // be created (e.g. a consumer limit), the read goes on with direct gets.
  Status PollPuller() {
    if (puller_->Poll().ok()) return Status::OK();
    return FallBackFromPull();
  }
  // Also in the middle of a read whose consumer stalled (its server failed): the chunks taken
  // so far become the start of the index, and the walk goes on after the last of them.
  Status FallBackFromPull() {
    puller_.reset();
    if (contiguous_) return Status::OK();
    StartWalk();
    if (next_chunk_ > 0 && seqs_.size() == next_chunk_ && sizes_.size() == next_chunk_) {
      for (size_t i = 0; i < next_chunk_; ++i) AddLocation(seqs_[i], sizes_[i]);
      next_request_ = next_chunk_;
      started_ = true;
    }
    return Status::OK();
  }

  Status NextPulledChunk() {
    auto last_progress = SteadyClock::now();
    for (;;) {
      auto got = puller_->Next(std::chrono::milliseconds(500));
      if (got.ok()) {
        if (contiguous_ && got->seq != seq0_ + next_chunk_)
          return DataLoss("chunk " + std::to_string(next_chunk_) + " of " + info_.meta.name +
                          " is not where the object's other chunks say");
        if (!contiguous_) seqs_.push_back(got->seq);
        TakeChunk(Chunk(std::move(got->msg)));
        return Status::OK();
      }
      Code code = got.status().code();
      // A consumer that cannot be created, or stalls, is not waited for: direct gets go on.
      if ((!puller_->created() && code != Code::kDataLoss) ||
          (code == Code::kDeadlineExceeded && SteadyClock::now() - last_progress > kPullStall)) {
        NATSS3_RETURN_IF_ERROR(FallBackFromPull());
        return NextSequentialChunk();
      }
      if (code == Code::kDataLoss)
        return DataLoss("object " + info_.meta.name + " is missing chunks: " +
                        got.status().message());
      if (code != Code::kDeadlineExceeded) return got.status();
      if (!ChunksExist())
        return DataLoss("object data of " + info_.meta.name +
                        " is missing (deleted or replaced during the read)");
      if (SteadyClock::now() - last_progress > options_.idle_timeout)
        return DeadlineExceeded("timeout reading " + info_.meta.name + " from NATS");
    }
  }

  // The chunk fetched before the consumer (non-contiguous objects: chunk 0).
  Status NextHeldChunk() {
    NATSS3_ASSIGN_OR_RETURN(Chunk c, Await(next_chunk_));
    TakeChunk(std::move(c));
    return Status::OK();
  }

  // The next chunk of a whole read (contiguous or pulled) becomes the current one.
  void TakeChunk(Chunk c) {
    cur_ = std::move(c);
    cur_off_ = 0;
    ++next_chunk_;
    sizes_.push_back(static_cast<uint32_t>(cur_.size()));
    HashChunk(cur_);
  }

  // ---- chunk locations
  // The walk: chunk k + 1 is the first message on the chunk subject after chunk k.
  void StartWalk() { walking_ = true; }

  void AddLocation(uint64_t seq, uint32_t size) {
    index_.offsets.push_back(index_.total);
    index_.seqs.push_back(seq);
    index_.sizes.push_back(size);
    index_.total += size;
    if (index_.total >= info_.size || (info_.chunks && index_.seqs.size() >= info_.chunks)) {
      index_complete_ = true;
      walking_ = false;
      if (index_.total == info_.size)
        store_->CacheChunkIndex(cache_key_, std::make_shared<const ChunkIndex>(index_));
    }
  }

  // Locates the next chunk with one direct get; its data is kept when the read will want it
  // soon (inside the window), so a whole read fetches each chunk once.
  Status LocateNext() {
    MsgQuery q;
    q.seq = index_.seqs.empty() ? 0 : index_.seqs.back() + 1;
    q.next_by_subj = subject_;
    auto got = GetChunk(q);
    if (!got.ok()) {
      if (got.status().code() == Code::kNotFound) {
        walking_ = false;  // no more chunks: LocateUntil tells what is missing
        return Status::OK();
      }
      return got.status().Annotate("locate chunks of " + info_.meta.name);
    }
    size_t k = index_.seqs.size();
    Chunk data(std::move(got->msg));
    AddLocation(got->seq, static_cast<uint32_t>(data.size()));
    if (k >= next_chunk_ && arrived_.size() < static_cast<size_t>(window_) &&
        index_.offsets[k] < range_end_ && index_.offsets[k] + data.size() > range_start_)
      arrived_[k] = std::move(data);
    return Status::OK();
  }

  // Locates chunks until done() or the index is complete. kDataLoss when chunks are gone.
  template <typename Pred>
  Status LocateUntil(Pred done) {
    while (!index_complete_ && !done() && walking_) NATSS3_RETURN_IF_ERROR(LocateNext());
    if (!done()) {
      if (index_.seqs.empty())
        return DataLoss("object data of " + info_.meta.name +
                        " is missing (deleted or replaced during the read)");
      return DataLoss("object " + info_.meta.name + " is missing chunks: have " +
                      std::to_string(index_.total) + " of " + std::to_string(info_.size) +
                      " bytes");
    }
    return Status::OK();
  }

  // Positions are only trustworthy when every chunk is located and the sizes add up to the
  // object size: one missing chunk would shift every later offset.
  Status EnsureConsistentIndex() {
    if (!index_complete_ && index_.seqs.empty()) StartWalk();
    if (!index_complete_) NATSS3_RETURN_IF_ERROR(LocateUntil([&] { return index_complete_; }));
    if (index_.total != info_.size || (info_.chunks && index_.seqs.size() != info_.chunks))
      return DataLoss("object " + info_.meta.name + " is missing chunks: located " +
                      std::to_string(index_.seqs.size()) + " chunks, " +
                      std::to_string(index_.total) + " of " + std::to_string(info_.size) +
                      " bytes");
    return Status::OK();
  }

  // Makes the index cover byte `end` (exclusive).
  Status EnsureIndexCovers(uint64_t end) {
    return LocateUntil([&] { return index_.total >= end; });
  }

  bool ChunksExist() { return FirstChunkMessage().status().code() != Code::kDataLoss; }

  // The object's first chunk message (direct get, next by subject from the stream's start);
  // kDataLoss when the object has no chunks left.
  Result<StoredMsg> FirstChunkMessage() {
    MsgQuery q;
    q.next_by_subj = subject_;
    auto got = GetChunk(q);
    if (!got.ok() && got.status().code() == Code::kNotFound &&
        got.status().detail() != Detail::kBucketNotFound)
      return DataLoss("object data of " + info_.meta.name +
                      " is missing (deleted or replaced during the read)");
    if (!got.ok()) return got.status().Annotate("read " + info_.meta.name);
    return got;
  }

  size_t ChunkAt(uint64_t offset) const {
    auto it = std::upper_bound(index_.offsets.begin(), index_.offsets.end(), offset);
    return static_cast<size_t>(it - index_.offsets.begin()) - 1;
  }

  // ---- data fetches
  Status Request(size_t k) {
    if (store_->NoDirect(info_.bucket)) {
      // No direct gets on this stream: one leader get per chunk (no pipelining).
      NATSS3_ASSIGN_OR_RETURN(arrived_[k], FetchChunk(k, /*leader=*/true));
      return Status::OK();
    }
    NATSS3_RETURN_IF_ERROR(OpenInbox());
    std::string subj = store_->conn().api_prefix() + ".DIRECT.GET." + stream_;
    std::string reply = inbox_ + "." + std::to_string(k);
    std::string body = "{\"seq\":" + std::to_string(SeqOf(k)) + "}";
    natsStatus s = natsConnection_PublishRequest(store_->conn().nc(), subj.c_str(), reply.c_str(),
                                                 body.data(), static_cast<int>(body.size()));
    // A publish that fails (no connection for a moment) is sent again like a lost one.
    if (s != NATS_OK && s != NATS_CONNECTION_DISCONNECTED && s != NATS_TIMEOUT)
      return FromNats(s, "request chunk");
    pending_[k] = SteadyClock::now();
    return Status::OK();
  }

  uint64_t SeqOf(size_t k) const { return contiguous_ ? seq0_ + k : index_.seqs[k]; }

  // Fetches the chunks whose direct get had no answer within the attempt timeout (the server
  // it went to may be gone, or the stream has no direct gets) with GetStored, which tries
  // another replica and the leader.
  Status ResendOverdue() {
    auto overdue = SteadyClock::now() - store_->AttemptTimeout();
    std::vector<size_t> again;
    for (auto& [k, sent] : pending_)
      if (sent < overdue) again.push_back(k);
    for (size_t k : again) {
      pending_.erase(k);
      NATSS3_ASSIGN_OR_RETURN(arrived_[k], FetchChunk(k, /*leader=*/false));
    }
    return Status::OK();
  }

  // The leader's copy of chunk k, for a chunk a replica said is missing (kDataLoss if gone).
  Result<Chunk> FromLeader(size_t k) { return FetchChunk(k, /*leader=*/true); }

  // Chunk k by one synchronous get (GetStored: another replica, then the leader; or the leader
  // only). kDataLoss when its message is gone or now holds another subject (the object was
  // deleted or replaced during the read).
  Result<Chunk> FetchChunk(size_t k, bool leader) {
    MsgQuery q;
    q.seq = SeqOf(k);
    auto got = GetChunk(q, leader);
    if ((!got.ok() && got.status().code() == Code::kNotFound) ||
        (got.ok() && got->subject != subject_)) {
      return DataLoss("chunk of " + info_.meta.name +
                      " is missing (object deleted or replaced during the read)");
    }
    if (!got.ok()) return got.status();
    return Chunk(std::move(got->msg));
  }

  Result<Chunk> Await(size_t k) {
    if (auto it = arrived_.find(k); it != arrived_.end()) {
      Chunk d = std::move(it->second);
      arrived_.erase(it);
      return d;
    }
    auto deadline = SteadyClock::now() + options_.idle_timeout;
    const auto attempt = store_->AttemptTimeout();
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0)
        return DeadlineExceeded("timeout reading " + info_.meta.name + " from NATS");
      natsMsg* raw = nullptr;
      natsStatus s = natsSubscription_NextMsg(
          &raw, replies_.get(),
          std::max<int64_t>(1, std::min<int64_t>(left.count(), attempt.count() / 2)));
      if (s == NATS_TIMEOUT) {
        NATSS3_RETURN_IF_ERROR(ResendOverdue());
        if (auto it = arrived_.find(k); it != arrived_.end()) {
          Chunk d = std::move(it->second);
          arrived_.erase(it);
          return d;
        }
        continue;
      }
      if (s != NATS_OK) return FromNats(s, "read chunk");
      MsgPtr msg(raw);
      const char* subj = natsMsg_GetSubject(raw);
      const char* dot = std::strrchr(subj, '.');
      size_t got = dot ? std::strtoull(dot + 1, nullptr, 10) : SIZE_MAX;
      auto pend = pending_.find(got);
      if (pend == pending_.end()) continue;  // the late answer to a request sent again
      pending_.erase(pend);
      const char* seq = nullptr;
      const char* chunk_subject = nullptr;
      bool has_seq = natsMsgHeader_Get(raw, "Nats-Sequence", &seq) == NATS_OK && seq;
      if (!has_seq && !natsMsg_IsNoResponders(raw) && Replicated()) {
        // A replica that lags says "missing": the leader has it (or it is really gone).
        NATSS3_ASSIGN_OR_RETURN(Chunk c, FromLeader(got));
        if (got == k) return c;
        arrived_[got] = std::move(c);
        continue;
      }
      if (natsMsg_IsNoResponders(raw)) {
        NATSS3_ASSIGN_OR_RETURN(Chunk c, FromLeader(got));  // no direct get: the leader
        if (got == k) return c;
        arrived_[got] = std::move(c);
        continue;
      }
      if (!has_seq || natsMsgHeader_Get(raw, "Nats-Subject", &chunk_subject) != NATS_OK ||
          !chunk_subject || subject_ != chunk_subject) {
        return DataLoss("chunk of " + info_.meta.name +
                        " is missing (object deleted or replaced during the read)");
      }
      Chunk data(std::move(msg));
      if (got == k) return data;
      arrived_[got] = std::move(data);
    }
  }

  bool Replicated() {
    if (!replicated_) replicated_ = store_->Replicated(info_.bucket);
    return *replicated_;
  }

  // GetStored for a chunk; in replicated buckets "not found" is asked again of the leader a
  // few times while the object's meta is unchanged: around a leader change a server still
  // catching up can answer for a moment as if chunks of a committed object were gone.
  Result<StoredMsg> GetChunk(const MsgQuery& q, bool leader = false) {
    auto got = store_->GetStored(info_.bucket, q, leader);
    auto pause = std::chrono::milliseconds(100);
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (got.ok() || got.status().code() != Code::kNotFound ||
          got.status().detail() == Detail::kBucketNotFound || !Replicated() || !StillCurrent())
        return got;
      std::this_thread::sleep_for(pause);
      pause *= 2;
      got = store_->GetStored(info_.bucket, q, /*leader=*/true);
    }
    return got;
  }

  // Whether the version read may still be the object's current one: false only when the
  // leader's meta names another version (or none).
  bool StillCurrent() {
    if (info_.revision == 0) return true;  // a staged blob: nothing replaces it
    auto cur = store_->LatestInfo(info_.bucket, info_.meta.name);
    if (!cur.ok()) return cur.status().code() != Code::kNotFound;
    return !cur->deleted && cur->nuid == info_.nuid;
  }

  // Whole read of a contiguous object: chunk i is at seq0_ + i.
  Status NextContiguousChunk() {
    if (next_chunk_ >= info_.chunks)
      return DataLoss("object " + info_.meta.name + " has fewer bytes than its meta says");
    const size_t limit = puller_ ? handoff_ : info_.chunks;  // the puller takes over there
    while (next_request_ < limit && next_request_ < next_chunk_ + static_cast<size_t>(window_)) {
      if (!arrived_.count(next_request_)) NATSS3_RETURN_IF_ERROR(Request(next_request_));
      ++next_request_;
    }
    NATSS3_ASSIGN_OR_RETURN(Chunk c, Await(next_chunk_));
    TakeChunk(std::move(c));
    if (puller_) puller_->Reserve(static_cast<uint32_t>(next_request_ - next_chunk_));
    return Status::OK();
  }

  Status NextSequentialChunk() {
    if (pull_pending_) NATSS3_RETURN_IF_ERROR(BeginPull());
    if (puller_) {
      if (next_chunk_ >= handoff_) return NextPulledChunk();
      NATSS3_RETURN_IF_ERROR(PollPuller());
      if (puller_ && !contiguous_) return NextHeldChunk();
    }
    if (contiguous_) return NextContiguousChunk();
    if (!started_) {
      // Ranged reads locate up to the range's end only (the walk carries the chunks' data).
      if (!whole_) NATSS3_RETURN_IF_ERROR(EnsureIndexCovers(range_end_));
      NATSS3_RETURN_IF_ERROR(EnsureIndexCovers(pos_ + 1));
      next_chunk_ = next_request_ = ChunkAt(pos_);
      started_ = true;
    }
    NATSS3_RETURN_IF_ERROR(LocateUntil([&] { return index_.seqs.size() > next_chunk_; }));
    // Keep the window full with located chunks that overlap the range.
    while (next_request_ < index_.seqs.size() &&
           next_request_ < next_chunk_ + static_cast<size_t>(window_) &&
           index_.offsets[next_request_] < range_end_) {
      if (!arrived_.count(next_request_)) NATSS3_RETURN_IF_ERROR(Request(next_request_));
      ++next_request_;
    }
    NATSS3_ASSIGN_OR_RETURN(cur_, Await(next_chunk_));
    if (cur_.size() != index_.sizes[next_chunk_])
      return DataLoss("chunk size mismatch in " + info_.meta.name);
    uint64_t cstart = index_.offsets[next_chunk_];
    cur_off_ = pos_ > cstart ? pos_ - cstart : 0;
    ++next_chunk_;
    HashChunk(cur_);
    return Status::OK();
  }

  // Whole verified reads hash every chunk in order, on this thread while the chunk is hot in
  // cache (a helper thread was slower: on two cores it competes with the server and the read
  // loop, and pulls every chunk across cores once more).
  void HashChunk(const Chunk& c) {
    if (whole_ && options_.verify_digest) sha_.Update(c.view());
  }

  Status FinishWhole() {
    if (!whole_ || finished_ || !options_.verify_digest) return Status::OK();
    finished_ = true;
    if ((contiguous_ || seqs_.size() == info_.chunks) && sizes_.size() == info_.chunks) {
      // Remember where the chunks are, for later ranged reads of this version.
      ChunkIndex idx;
      for (uint32_t i = 0; i < info_.chunks; ++i) {
        idx.seqs.push_back(contiguous_ ? seq0_ + i : seqs_[i]);
        idx.sizes.push_back(sizes_[i]);
        idx.offsets.push_back(idx.total);
        idx.total += sizes_[i];
      }
      if (idx.total == info_.size)
        store_->CacheChunkIndex(cache_key_, std::make_shared<const ChunkIndex>(std::move(idx)));
    }
    if (info_.size == 0 || info_.digest.empty()) return Status::OK();
    auto want = ParseDigest(info_.digest);
    if (!want.ok()) return Status::OK();  // unknown digest format: nothing to verify against
    if (*want != sha_.Peek())
      return failed_ = DataLoss("received a corrupt object, digests do not match: " +
                                info_.bucket + "/" + info_.meta.name);
    return Status::OK();
  }

  const Chunk* FromCache(size_t k) const {
    for (auto& [idx, data] : recent_)
      if (idx == k) return &data;
    return nullptr;
  }
  void Remember(size_t k, const Chunk& data) {
    recent_.emplace_front(k, data);
    if (recent_.size() > 2) recent_.pop_back();
  }

  NatsObjectStore* store_;
  ObjectInfo info_;
  ReadOptions options_;
  std::string stream_, subject_, cache_key_, inbox_;
  SubPtr replies_;
  std::unique_ptr<ChunkPuller> puller_;  // large whole reads, from chunk handoff_ on
  bool pull_pending_ = false;            // BeginPull() at the first Read()
  size_t handoff_ = 0;
  std::vector<uint64_t> seqs_;  // chunk sequences seen by a pulled read of a non-contiguous object
  ChunkIndex index_;
  bool index_complete_ = false;
  bool contiguous_ = false;  // whole read, chunk i at seq0_ + i (see FetchFirstChunk)
  uint64_t seq0_ = 0;
  std::vector<uint32_t> sizes_;  // chunk sizes seen by a contiguous or pulled read
  uint64_t range_start_ = 0, range_end_ = 0, pos_ = 0;
  bool whole_ = false, finished_ = false, started_ = false;
  int window_ = 8;
  size_t next_chunk_ = 0, next_request_ = 0;
  Chunk cur_;
  size_t cur_off_ = 0;
  std::map<size_t, Chunk> arrived_;
  std::map<size_t, SteadyClock::time_point> pending_;  // chunk -> when its get was sent
  bool walking_ = false;  // chunk locations come from the walk (LocateNext)
  std::optional<bool> replicated_;
  std::deque<std::pair<size_t, Chunk>> recent_;
  Hasher sha_;
  Status failed_;
  std::shared_ptr<void> hold_;  // this version's chunks stay while it is read
};

}  // namespace

Result<std::unique_ptr<ObjectReader>> NewNatsReader(NatsObjectStore* store, ObjectInfo info,
                                                    const ReadOptions& options) {
  auto r = std::make_unique<NatsObjectReader>(store, std::move(info), options);
  NATSS3_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<ObjectReader>(std::move(r));
}

}  // namespace natss3::natsw
