// ChunkLocator: where an object's chunks are (stream sequences, sizes, offsets), when the
// object's chunks are not contiguous in the stream or only a range is read.
//
// Sources of the index, in the order the reader tries them: the store's per-version cache
// (UseKnown), a one-chunk object's single direct get (UseKnown), else the walk: chunk k + 1 is
// the first message on the chunk subject after chunk k, one direct get each (next by subject).
// Each answer is the chunk itself; it is kept for the read when it is inside the window, so a
// read through the walk fetches each chunk once.
// The walk transfers every chunk before the bytes wanted: for a range far into a large object
// (an S3 client's parallel ranged GETs, a FUSE read at an offset) one ordered headers-only
// consumer lists every chunk's sequence and size without the data instead. Creating it needs
// the stream leader, which stalls while a cluster elects a new one (docs/cluster.md): it gets
// one short attempt, and on any failure the walk goes on.
//
// A walk that reaches the object size (or its chunk count) is complete; a complete index whose
// sizes add up to the object size goes to the store's cache for later ranged reads.
// Not thread-safe: one reader thread.
#pragma once

#include <cstdint>

#include "nats/chunk_fetcher.h"
#include "nats/nats_store.h"

namespace natss3::natsw {

class ChunkLocator {
 public:
  // Walk answers for chunks overlapping bytes [keep_start, keep_end) are kept in `fetcher`,
  // at most `window` chunks held. `info` and `fetcher` must outlive the locator.
  ChunkLocator(NatsObjectStore* store, ChunkFetcher& fetcher, const ObjectInfo& info,
               uint64_t keep_start, uint64_t keep_end, int window);

  const ChunkIndex& index() const { return index_; }
  bool complete() const { return complete_; }
  size_t located() const { return index_.seqs.size(); }

  // An index known whole (from the cache, or a one-chunk object's single get).
  void UseKnown(ChunkIndex index);
  // (Re)starts the walk after the last chunk located.
  void StartWalk() { walking_ = true; }
  // Appends chunk `located()` at `seq` (found some other way than the walk).
  void Add(uint64_t seq, uint32_t size);
  // Chunks before `k` are already read: the walk does not keep them.
  void KeepFrom(size_t k) { keep_from_ = k; }

  // Locates chunks until `done()` or the index is complete; kDataLoss when chunks are gone.
  template <typename Pred>
  Status LocateUntil(Pred done) {
    if (!done()) MaybeLocateByHeaders(/*all=*/false);
    while (!complete_ && !done() && walking_) NATSS3_RETURN_IF_ERROR(LocateNext());
    if (!done()) return Missing();
    return Status::OK();
  }
  // Makes the index cover byte `end` (exclusive).
  Status EnsureCovers(uint64_t end) {
    return LocateUntil([&] { return index_.total >= end; });
  }
  // Positions are only trustworthy when every chunk is located and the sizes add up to the
  // object size: one missing chunk would shift every later offset.
  Status EnsureConsistent();
  // The chunk holding byte `offset` (the index must cover it).
  size_t ChunkAt(uint64_t offset) const;

 private:
  Status LocateNext();
  // Tries LocateByHeaders once, before the walk located anything, when the object has many
  // chunks and (unless `all` are needed) at least 8 chunks lie before the wanted bytes.
  void MaybeLocateByHeaders(bool all);
  // The whole index from an ordered headers-only consumer; on failure nothing is added.
  Status LocateByHeaders();
  Status Missing() const;

  NatsObjectStore* store_;
  ChunkFetcher& fetcher_;
  const ObjectInfo& info_;
  const std::string cache_key_;
  const uint64_t keep_start_, keep_end_;
  const size_t window_;
  ChunkIndex index_;
  bool complete_ = false;
  bool walking_ = false;  // locations come from the walk (LocateNext)
  size_t keep_from_ = 0;
  bool headers_tried_ = false;
};

}  // namespace natss3::natsw
