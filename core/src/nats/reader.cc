// Streaming and ranged reads.
// - Whole reads of large objects: a pull consumer on the chunk subject (chunk_puller.h).
// - Everything else: a window of pipelined direct gets by stream sequence on a private inbox.
//   Chunk locations come from the first chunk's sequence when the object's chunks are
//   contiguous, else from a headers-only ordered consumer on the chunk subject (no payload).
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
// How often a chunk a follower reported missing is asked for again (FollowerBackoff).
constexpr int kFollowerRetries = 5;

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
      if (!contiguous_) NATSS3_RETURN_IF_ERROR(StartLocator());
    } else {
      NATSS3_RETURN_IF_ERROR(StartLocator());
    }
    return OpenInbox();
  }

  // Whole reads: the first chunk (next by subject) tells where the chunks are. A writer
  // publishes the meta after its last chunk is stored, so when the first of N chunks sits
  // exactly N sequences before the meta, all N fill that range (the usual case: nothing was
  // written in between). Then chunk i is at first + i, and no locating consumer is needed.
  Status FetchFirstChunk() {
    NATSS3_ASSIGN_OR_RETURN(MsgPtr msg, FirstChunkMessage());
    seq0_ = natsMsg_GetSequence(msg.get());
    contiguous_ = seq0_ + info_.chunks == info_.revision;
    arrived_[0] = Chunk(std::move(msg));
    return Status::OK();
  }

  // One-chunk objects: one direct get (next by subject) gives both location and data; no
  // consumer, no inbox.
  Status FetchSingleChunk() {
    NATSS3_ASSIGN_OR_RETURN(MsgPtr msg, FirstChunkMessage());
    uint64_t seq = natsMsg_GetSequence(msg.get());
    Chunk data(std::move(msg));
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
      for (size_t k : want) NATSS3_RETURN_IF_ERROR(Request(k));
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
  Status FallBackFromPull() {
    puller_.reset();
    return contiguous_ ? Status::OK() : StartLocator();
  }

  Status NextPulledChunk() {
    auto last_progress = SteadyClock::now();
    for (;;) {
      auto got = puller_->Next(std::chrono::milliseconds(1000));
      if (got.ok()) {
        if (contiguous_ && got->seq != seq0_ + next_chunk_)
          return DataLoss("chunk " + std::to_string(next_chunk_) + " of " + info_.meta.name +
                          " is not where the object's other chunks say");
        if (!contiguous_) seqs_.push_back(got->seq);
        TakeChunk(Chunk(std::move(got->msg)));
        return Status::OK();
      }
      Code code = got.status().code();
      if (!puller_->created() && code != Code::kDeadlineExceeded) {
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
  Status StartLocator() {
    jsOptions jo;
    jsOptions_Init(&jo);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream_.c_str();
    so.Ordered = true;
    so.Config.HeadersOnly = true;
    so.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_SubscribeSync(&sub, store_->conn().js(), subject_.c_str(), &jo, &so, &jerr);
    if (s == NATS_TIMEOUT)  // e.g. right after a stream leader change: try once more
      s = js_SubscribeSync(&sub, store_->conn().js(), subject_.c_str(), &jo, &so, &jerr);
    if (s != NATS_OK) return FromNats(s, "locate chunks of " + info_.meta.name, jerr);
    locator_ = AdoptSub(store_->conn().nc(), sub);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    return Status::OK();
  }

  // Pulls one location message; waits at most `wait`.
  Status PullLocation(std::chrono::milliseconds wait) {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, locator_.get(), wait.count());
    if (s == NATS_TIMEOUT) return DeadlineExceeded("waiting for chunk locations");
    if (s != NATS_OK) return FromNats(s, "read chunk locations");
    MsgPtr msg(raw);
    jsMsgMetaData* md = nullptr;
    if (natsMsg_GetMetaData(&md, raw) != NATS_OK) return Internal("chunk location without metadata");
    MetaPtr meta(md);
    const char* sz = nullptr;
    uint32_t size = 0;
    if (natsMsgHeader_Get(raw, "Nats-Msg-Size", &sz) == NATS_OK && sz)
      size = static_cast<uint32_t>(std::strtoul(sz, nullptr, 10));
    index_.offsets.push_back(index_.total);
    index_.seqs.push_back(md->Sequence.Stream);
    index_.sizes.push_back(size);
    index_.total += size;
    if (md->NumPending == 0 || index_.total >= info_.size) {
      index_complete_ = true;
      locator_.reset();
      if (index_.total == info_.size)
        store_->CacheChunkIndex(cache_key_, std::make_shared<const ChunkIndex>(index_));
    }
    return Status::OK();
  }

  // Pulls locations until done() or the index is complete. kDataLoss when chunks are gone.
  template <typename Pred>
  Status LocateUntil(Pred done) {
    auto last_progress = SteadyClock::now();
    while (!index_complete_ && !done()) {
      Status s = PullLocation(std::chrono::milliseconds(1000));
      if (s.ok()) {
        last_progress = SteadyClock::now();
        continue;
      }
      if (s.code() != Code::kDeadlineExceeded) return s;
      if (index_.seqs.empty() && !ChunksExist())
        return DataLoss("object data of " + info_.meta.name +
                        " is missing (deleted or replaced during the read)");
      if (SteadyClock::now() - last_progress > options_.idle_timeout)
        return DeadlineExceeded("timeout locating chunks of " + info_.meta.name);
    }
    if (!done())
      return DataLoss("object " + info_.meta.name + " is missing chunks: have " +
                      std::to_string(index_.total) + " of " + std::to_string(info_.size) +
                      " bytes");
    return Status::OK();
  }

  // Positions are only trustworthy when every chunk is located and the sizes add up to the
  // object size: one missing chunk would shift every later offset.
  Status EnsureConsistentIndex() {
    if (!index_complete_ && !locator_) NATSS3_RETURN_IF_ERROR(StartLocator());
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
  Result<MsgPtr> FirstChunkMessage() {
    jsDirectGetMsgOptions dg;
    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = 0;
    dg.NextBySubject = subject_.c_str();
    natsMsg* raw = nullptr;
    natsStatus s = js_DirectGetMsg(&raw, store_->conn().js(), stream_.c_str(), nullptr, &dg);
    for (int attempt = 0; s == NATS_NOT_FOUND && attempt < kFollowerRetries && Replicated();
         ++attempt) {
      std::this_thread::sleep_for(FollowerBackoff(attempt));
      s = js_DirectGetMsg(&raw, store_->conn().js(), stream_.c_str(), nullptr, &dg);
    }
    MsgPtr msg(raw);
    if (s == NATS_NOT_FOUND)
      return DataLoss("object data of " + info_.meta.name +
                      " is missing (deleted or replaced during the read)");
    if (s != NATS_OK) return FromNats(s, "read " + info_.meta.name);
    return msg;
  }

  // Replicated buckets: a direct get answered by a follower that has not caught up reports a
  // chunk of a committed object as missing. Such a chunk is asked for again, a few times.
  bool Replicated() {
    if (!replicated_) replicated_ = store_->Replicated(info_.bucket);
    return *replicated_;
  }
  static std::chrono::milliseconds FollowerBackoff(int attempt) {
    return std::chrono::milliseconds(10 << attempt);  // 10, 20, 40, 80, 160 ms
  }

  size_t ChunkAt(uint64_t offset) const {
    auto it = std::upper_bound(index_.offsets.begin(), index_.offsets.end(), offset);
    return static_cast<size_t>(it - index_.offsets.begin()) - 1;
  }

  // ---- data fetches
  Status Request(size_t k) {
    NATSS3_RETURN_IF_ERROR(OpenInbox());
    std::string subj = store_->conn().api_prefix() + ".DIRECT.GET." + stream_;
    std::string reply = inbox_ + "." + std::to_string(k);
    uint64_t seq = contiguous_ ? seq0_ + k : index_.seqs[k];
    std::string body = "{\"seq\":" + std::to_string(seq) + "}";
    natsStatus s = natsConnection_PublishRequest(store_->conn().nc(), subj.c_str(), reply.c_str(),
                                                 body.data(), static_cast<int>(body.size()));
    if (s != NATS_OK) return FromNats(s, "request chunk");
    return Status::OK();
  }

  Result<Chunk> Await(size_t k) {
    if (auto it = arrived_.find(k); it != arrived_.end()) {
      Chunk d = std::move(it->second);
      arrived_.erase(it);
      return d;
    }
    auto deadline = SteadyClock::now() + options_.idle_timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0)
        return DeadlineExceeded("timeout reading " + info_.meta.name + " from NATS");
      natsMsg* raw = nullptr;
      natsStatus s = natsSubscription_NextMsg(&raw, replies_.get(), std::min<int64_t>(left.count(), 1000));
      if (s == NATS_TIMEOUT) continue;
      if (s != NATS_OK) return FromNats(s, "read chunk");
      MsgPtr msg(raw);
      const char* subj = natsMsg_GetSubject(raw);
      const char* dot = std::strrchr(subj, '.');
      size_t got = dot ? std::strtoull(dot + 1, nullptr, 10) : SIZE_MAX;
      const char* seq = nullptr;
      const char* chunk_subject = nullptr;
      bool has_seq = natsMsgHeader_Get(raw, "Nats-Sequence", &seq) == NATS_OK && seq;
      if (!has_seq && got != SIZE_MAX && Replicated() &&
          retried_[got] < static_cast<size_t>(kFollowerRetries)) {
        std::this_thread::sleep_for(FollowerBackoff(static_cast<int>(retried_[got]++)));
        NATSS3_RETURN_IF_ERROR(Request(got));  // a follower may not have it yet
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
      if (!whole_) NATSS3_RETURN_IF_ERROR(EnsureConsistentIndex());
      NATSS3_RETURN_IF_ERROR(EnsureIndexCovers(pos_ + 1));
      next_chunk_ = next_request_ = ChunkAt(pos_);
      started_ = true;
    }
    NATSS3_RETURN_IF_ERROR(LocateUntil([&] { return index_.seqs.size() > next_chunk_; }));
    DrainPendingLocations();
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

  // Absorbs locations that already arrived, without waiting.
  void DrainPendingLocations() {
    while (!index_complete_ && locator_) {
      int msgs = 0, bytes = 0;
      if (natsSubscription_GetPending(locator_.get(), &msgs, &bytes) != NATS_OK || msgs <= 0)
        return;
      if (!PullLocation(std::chrono::milliseconds(1000)).ok()) return;
    }
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
  SubPtr locator_, replies_;
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
  std::map<size_t, size_t> retried_;      // chunk -> times asked again (replicated buckets)
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
