// LocatedChunks: reads by the chunk index, for ranges and for objects whose chunks are not
// contiguous in the stream (other messages were stored between them, e.g. concurrent puts).
// The walk (chunk_locator.h) carries the chunks' data, so chunks it located inside the window
// are not fetched twice.
#include "nats/chunk_source.h"
#include "nats/errors.h"

namespace natss3::natsw {

LocatedChunks::LocatedChunks(ChunkFetcher& fetcher, ChunkLocator& locator, const ObjectInfo& info,
                             uint64_t range_end, bool whole, int window)
    : fetcher_(fetcher),
      locator_(locator),
      info_(info),
      range_end_(range_end),
      whole_(whole),
      window_(static_cast<size_t>(window)) {}

void LocatedChunks::StartAt(size_t k) {
  next_chunk_ = next_request_ = k;
  locator_.KeepFrom(k);
  started_ = true;
}

Status LocatedChunks::Start(uint64_t pos) {
  // Ranged reads locate up to the range's end only (the walk carries the chunks' data).
  if (!whole_) NATSS3_RETURN_IF_ERROR(locator_.EnsureCovers(range_end_));
  NATSS3_RETURN_IF_ERROR(locator_.EnsureCovers(pos + 1));
  StartAt(locator_.ChunkAt(pos));
  return Status::OK();
}

Result<ChunkSource::Next> LocatedChunks::NextChunk(uint64_t pos) {
  if (!started_) NATSS3_RETURN_IF_ERROR(Start(pos));
  NATSS3_RETURN_IF_ERROR(locator_.LocateUntil([&] { return locator_.located() > next_chunk_; }));
  const ChunkIndex& index = locator_.index();
  // Keep the window full with located chunks that overlap the range.
  while (next_request_ < index.seqs.size() && next_request_ < next_chunk_ + window_ &&
         index.offsets[next_request_] < range_end_) {
    if (!fetcher_.Has(next_request_))
      NATSS3_RETURN_IF_ERROR(fetcher_.Request(next_request_, index.seqs[next_request_]));
    ++next_request_;
  }
  NATSS3_ASSIGN_OR_RETURN(Chunk c, fetcher_.Await(next_chunk_));
  if (c.size() != index.sizes[next_chunk_])
    return DataLoss("chunk size mismatch in " + info_.meta.name);
  uint64_t cstart = index.offsets[next_chunk_];
  size_t skip = pos > cstart ? static_cast<size_t>(pos - cstart) : 0;
  locator_.KeepFrom(++next_chunk_);
  return Next{std::move(c), skip};
}

}  // namespace natss3::natsw
