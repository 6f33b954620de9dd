// Streaming and ranged reads: NatsObjectReader picks where the chunks come from (a ChunkSource,
// chunk_source.h) and does the rest: the read position and range, the digest check of whole
// reads, positional ReadAt() by the chunk index, and the per-version chunk-index cache.
// - Whole reads of large objects: a pull consumer (PulledChunks, pulled_chunks.cc).
// - Other whole reads of objects whose chunks are contiguous in the stream: direct gets by
//   sequence from the first chunk's (ContiguousChunks, contiguous_chunks.cc).
// - Everything else: direct gets by the chunk index, located by a walk of direct gets
//   (LocatedChunks, located_chunks.cc; ChunkLocator, chunk_locator.cc).
// Every direct get goes through one ChunkFetcher (chunk_fetcher.h), which sends a get again
// when no answer came in time and lets the leader overrule a replica that says "missing".
// Nothing is pushed that the reader did not ask for, so a slow reader cannot cause a
// slow-consumer disconnect; memory is window * chunk size.
#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "hashing.h"
#include "nats/chunk_fetcher.h"
#include "nats/chunk_locator.h"
#include "nats/chunk_source.h"
#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

class NatsObjectReader : public ObjectReader {
 public:
  NatsObjectReader(NatsObjectStore* store, ObjectInfo info, const ReadOptions& options)
      : store_(store),
        info_(std::move(info)),
        options_(options),
        cache_key_(info_.bucket + "/" + info_.nuid),
        fetcher_(store, info_, options.idle_timeout),
        sha_(Hasher::Algo::kSha256) {
    range_start_ = std::min<uint64_t>(options_.offset, info_.size);
    uint64_t len = options_.length ? *options_.length : info_.size - range_start_;
    range_end_ = std::min<uint64_t>(info_.size, range_start_ + len);
    pos_ = range_start_;
    whole_ = range_start_ == 0 && range_end_ == info_.size;
    // The window is a byte budget: objects written with large chunks get fewer in flight.
    uint64_t chunk = info_.chunks ? (info_.size + info_.chunks - 1) / info_.chunks : 0;
    window_ = ChunksInFlight(options_.window, chunk);
    locator_.emplace(store, fetcher_, info_, range_start_, range_end_, window_);
    // Staged blobs have no meta that could be replaced; versions are kept while read.
    if (!info_.nuid.empty() && info_.revision != 0) hold_ = store_->HoldVersion(info_);
  }

  const ObjectInfo& info() const override { return info_; }

  Status Init() {
    if (info_.size == 0) return Status::OK();
    if (whole_ && info_.chunks >= kPullMinChunks) {
      // The consumer is created at the first Read(): a reader used only for ReadAt() (FUSE's
      // positional readers) never needs one.
      NATSS3_ASSIGN_OR_RETURN(StoredMsg first, KeepFirstChunk());
      source_ =
          std::make_unique<PulledChunks>(store_->conn(), fetcher_, *locator_, info_, first.seq,
                                         Contiguous(first.seq), window_, options_.idle_timeout);
    } else if (auto cached = store_->CachedChunkIndex(cache_key_)) {
      locator_->UseKnown(*cached);
      source_ = Located();
    } else if (info_.chunks == 1) {
      // One direct get (next by subject) gives both location and data; no inbox.
      NATSS3_ASSIGN_OR_RETURN(StoredMsg first, KeepFirstChunk());
      ChunkIndex index;
      index.seqs = {first.seq};
      index.sizes = {static_cast<uint32_t>(first_size_)};
      index.offsets = {0};
      index.total = first_size_;
      locator_->UseKnown(std::move(index));
      source_ = Located();
      return Status::OK();
    } else if (whole_ && info_.revision > info_.chunks) {
      NATSS3_ASSIGN_OR_RETURN(StoredMsg first, KeepFirstChunk());
      if (Contiguous(first.seq)) {
        source_ = std::make_unique<ContiguousChunks>(fetcher_, info_, first.seq, window_);
      } else {
        locator_->StartWalk();
        locator_->Add(first.seq, static_cast<uint32_t>(first_size_));
        source_ = Located();
      }
    } else {
      locator_->StartWalk();
      source_ = Located();
    }
    return fetcher_.OpenInbox();
  }

  Result<size_t> Read(char* buf, size_t n) override {
    std::string unused;
    NATSS3_ASSIGN_OR_RETURN(std::string_view view, ReadView(n, unused));
    std::memcpy(buf, view.data(), view.size());
    return view.size();
  }

  // The current chunk's bytes themselves (an S3 GET hands them to the socket without a copy).
  Result<std::string_view> ReadView(size_t n, std::string& /*scratch*/) override {
    if (!failed_.ok()) return failed_;
    if (pos_ >= range_end_) {
      NATSS3_RETURN_IF_ERROR(FinishWhole());
      return std::string_view();
    }
    if (cur_off_ >= cur_.size()) {
      auto next = source_->NextChunk(pos_);
      if (!next.ok()) return failed_ = next.status();
      cur_ = std::move(next->chunk);
      cur_off_ = next->skip;
      HashChunk(cur_);
    }
    size_t take = std::min<size_t>({n, cur_.size() - cur_off_, range_end_ - pos_});
    std::string_view view(cur_.data() + cur_off_, take);
    cur_off_ += take;
    pos_ += take;
    return view;
  }

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    if (offset >= info_.size || n == 0) return size_t{0};
    uint64_t end = std::min<uint64_t>(info_.size, offset + n);
    NATSS3_RETURN_IF_ERROR(locator_->EnsureConsistent());
    const ChunkIndex& index = locator_->index();
    size_t first = locator_->ChunkAt(offset), last = locator_->ChunkAt(end - 1);
    std::map<size_t, Chunk> got;
    for (size_t i = first; i <= last;) {
      size_t batch_end = std::min(last + 1, i + static_cast<size_t>(window_));
      std::vector<size_t> want;
      for (size_t k = i; k < batch_end; ++k) {
        if (auto* c = FromRecent(k))
          got[k] = *c;
        else
          want.push_back(k);
      }
      for (size_t k : want)
        if (!fetcher_.Has(k)) NATSS3_RETURN_IF_ERROR(fetcher_.Request(k, index.seqs[k]));
      for (size_t k : want) {
        NATSS3_ASSIGN_OR_RETURN(got[k], fetcher_.Await(k));
        Remember(k, got[k]);
      }
      i = batch_end;
    }
    size_t copied = 0;
    for (size_t k = first; k <= last; ++k) {
      const Chunk& data = got[k];
      uint64_t cstart = index.offsets[k];
      uint64_t from = std::max(offset, cstart), to = std::min(end, cstart + data.size());
      if (to <= from) continue;
      std::memcpy(buf + (from - offset), data.data() + (from - cstart), to - from);
      copied += to - from;
    }
    return copied;
  }

 private:
  // The object's first chunk (next by subject), kept in the fetcher as chunk 0: its sequence
  // tells where the chunks are.
  Result<StoredMsg> KeepFirstChunk() {
    NATSS3_ASSIGN_OR_RETURN(StoredMsg first, fetcher_.FirstChunkMessage());
    Chunk data(std::move(first.msg));
    first_size_ = data.size();
    fetcher_.Keep(0, std::move(data));
    return first;
  }

  // A writer publishes the meta after its last chunk is stored, so when the first of N chunks
  // sits exactly N sequences before the meta, all N fill that range.
  bool Contiguous(uint64_t seq0) const { return seq0 + info_.chunks == info_.revision; }

  std::unique_ptr<ChunkSource> Located() {
    return std::make_unique<LocatedChunks>(fetcher_, *locator_, info_, range_end_, whole_, window_);
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
    // Remember where the chunks are, for later ranged reads of this version.
    if (auto learned = source_ ? source_->Learned() : std::nullopt;
        learned && learned->total == info_.size)
      store_->CacheChunkIndex(cache_key_, std::make_shared<const ChunkIndex>(std::move(*learned)));
    if (info_.size == 0 || info_.digest.empty()) return Status::OK();
    auto want = ParseDigest(info_.digest);
    if (!want.ok()) return Status::OK();  // unknown digest format: nothing to verify against
    if (*want != sha_.Peek())
      return failed_ = DataLoss("received a corrupt object, digests do not match: " + info_.bucket +
                                "/" + info_.meta.name);
    return Status::OK();
  }

  // ReadAt() keeps the last two chunks it returned: FUSE reads a chunk in several pieces.
  const Chunk* FromRecent(size_t k) const {
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
  std::string cache_key_;
  uint64_t range_start_ = 0, range_end_ = 0, pos_ = 0;
  bool whole_ = false, finished_ = false;
  int window_ = 8;
  // Destroyed in reverse: the source (and its consumer) before what it borrows.
  ChunkFetcher fetcher_;
  std::optional<ChunkLocator> locator_;  // ReadAt() and LocatedChunks
  std::unique_ptr<ChunkSource> source_;  // Read(); null for an empty object
  size_t first_size_ = 0;                // of the chunk KeepFirstChunk() kept
  Chunk cur_;
  size_t cur_off_ = 0;
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
