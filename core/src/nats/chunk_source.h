// ChunkSource: where the next chunks of a sequential read come from, one class per strategy.
//
// The reader (reader.cc) picks a strategy when it opens, from what it knows of the object:
// - PulledChunks (pulled_chunks.cc): whole reads of objects with at least kPullMinChunks
//   chunks. A pull consumer (chunk_puller.h) costs the server the least CPU per byte; the first
//   chunks come by direct get while the consumer is being created, and a consumer that cannot
//   be created or stalls (its server failed) hands over to one of the two strategies below.
// - ContiguousChunks (contiguous_chunks.cc): other whole reads whose chunks fill the stream
//   sequences just before the meta (the usual case): chunk i is at first + i, so no chunk has
//   to be located; a window of pipelined direct gets by sequence.
// - LocatedChunks (located_chunks.cc): everything else (ranged reads, objects whose chunks are
//   interleaved with other messages, cached or one-chunk indexes): direct gets by sequence from
//   the chunk index (chunk_locator.h), which the walk extends as the read goes.
// All of them fetch through the reader's ChunkFetcher (chunk_fetcher.h), which handles
// failover (resends, leader fallback, transient "not found" in replicated buckets).
//
// Budget: at most `window` chunks requested and not yet returned, so memory is window * chunk
// size. Not thread-safe: one reader thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "nats/chunk_fetcher.h"
#include "nats/chunk_locator.h"
#include "nats/chunk_puller.h"

namespace natss3::natsw {

// Whole reads of objects with at least this many chunks go through a pull consumer (one
// request per window / 2 chunks) instead of a direct get per chunk.
constexpr uint32_t kPullMinChunks = 64;

class ChunkSource {
 public:
  struct Next {
    Chunk chunk;
    size_t skip = 0;  // bytes at the chunk's start that are before the read position
  };
  virtual ~ChunkSource() = default;
  // The chunk holding byte `pos`, the read position: the one after the previous chunk
  // returned, in order. kDataLoss when chunks are missing or not where they should be;
  // kDeadlineExceeded when nothing arrived for the idle timeout.
  virtual Result<Next> NextChunk(uint64_t pos) = 0;
  // After the last chunk of a whole read: the chunk locations this source learned on its own
  // (for the store's cache); nullopt when it did not (or the chunk locator caches them).
  virtual std::optional<ChunkIndex> Learned() const { return std::nullopt; }
};

// Whole read of an object whose chunk i is at stream sequence seq0 + i. Chunk 0 may already be
// kept in the fetcher (the reader fetched it to learn seq0).
class ContiguousChunks final : public ChunkSource {
 public:
  ContiguousChunks(ChunkFetcher& fetcher, const ObjectInfo& info, uint64_t seq0, int window);
  Result<Next> NextChunk(uint64_t pos) override;
  std::optional<ChunkIndex> Learned() const override;

  // For PulledChunks: no direct get for chunk `limit` and later (the puller delivers them).
  void StopRequestsAt(size_t limit) { limit_ = limit; }
  size_t next_chunk() const { return next_chunk_; }
  size_t in_flight() const { return next_request_ - next_chunk_; }
  // The next chunk came elsewhere (the puller) from stream sequence `seq`: kDataLoss when that
  // is not where this layout says.
  Status Accept(uint64_t seq, size_t size);

 private:
  ChunkFetcher& fetcher_;
  const ObjectInfo& info_;
  const uint64_t seq0_;
  const size_t window_;
  size_t limit_;
  size_t next_chunk_ = 0, next_request_ = 0;
  std::vector<uint32_t> sizes_;  // of the chunks returned
};

// Read of [range_start, range_end) by the chunk index: the walk locates chunks as the read
// goes (ranged reads locate up to the range's end first); the window holds direct gets of
// located chunks that overlap the range.
class LocatedChunks final : public ChunkSource {
 public:
  LocatedChunks(ChunkFetcher& fetcher, ChunkLocator& locator, const ObjectInfo& info,
                uint64_t range_end, bool whole, int window);
  Result<Next> NextChunk(uint64_t pos) override;
  // Continues a read whose first `k` chunks came elsewhere (and are in the index).
  void StartAt(size_t k);

 private:
  Status Start(uint64_t pos);

  ChunkFetcher& fetcher_;
  ChunkLocator& locator_;
  const ObjectInfo& info_;
  const uint64_t range_end_;
  const bool whole_;
  const size_t window_;
  bool started_ = false;
  size_t next_chunk_ = 0, next_request_ = 0;
};

// Whole read through a pull consumer. Chunk 0 (at seq0) is kept in the fetcher. The consumer
// is created at the first NextChunk(), so a reader used only for ReadAt() never creates one.
// Contiguous objects: chunks before the handoff (window / 2) come by direct get while the
// consumer is being created, hiding its creation time; otherwise the consumer starts right
// after chunk 0. When the consumer cannot be created (e.g. a consumer limit) or stalls in the
// middle of a read, the read goes on with ContiguousChunks, or LocatedChunks seeded with the
// chunks taken so far.
class PulledChunks final : public ChunkSource {
 public:
  PulledChunks(const NatsConnection& conn, ChunkFetcher& fetcher, ChunkLocator& locator,
               const ObjectInfo& info, uint64_t seq0, bool contiguous, int window,
               std::chrono::milliseconds idle_timeout);
  Result<Next> NextChunk(uint64_t pos) override;
  std::optional<ChunkIndex> Learned() const override;

 private:
  void Begin();
  void FallBack();
  size_t taken() const { return contiguous_ ? direct_->next_chunk() : next_chunk_; }
  Result<Next> NextPulled(uint64_t pos);
  Result<Next> NextHeld();

  const NatsConnection& conn_;
  ChunkFetcher& fetcher_;
  ChunkLocator& locator_;
  const ObjectInfo& info_;
  const uint64_t seq0_;
  const bool contiguous_;
  const int window_;
  const std::chrono::milliseconds idle_timeout_;
  bool begun_ = false;
  size_t handoff_ = 0;
  std::unique_ptr<ChunkPuller> puller_;       // from chunk handoff_ on, until a fallback
  std::unique_ptr<ContiguousChunks> direct_;  // contiguous objects
  std::unique_ptr<LocatedChunks> located_;    // other objects, after a fallback
  // Non-contiguous objects: the chunks returned (the index learned).
  size_t next_chunk_ = 0;
  std::vector<uint64_t> seqs_;
  std::vector<uint32_t> sizes_;
};

}  // namespace natss3::natsw
