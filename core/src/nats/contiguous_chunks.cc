// ContiguousChunks: whole reads of objects whose chunks fill the stream sequences before the
// meta. A writer publishes the meta after its last chunk is stored, so when the first of N
// chunks sits exactly N sequences before the meta, all N fill that range (nothing was written
// in between): chunk i is at first + i and needs no locating, only a window of direct gets.
#include <algorithm>

#include "nats/chunk_source.h"
#include "nats/errors.h"

namespace natss3::natsw {

ContiguousChunks::ContiguousChunks(ChunkFetcher& fetcher, const ObjectInfo& info, uint64_t seq0,
                                   int window)
    : fetcher_(fetcher),
      info_(info),
      seq0_(seq0),
      window_(static_cast<size_t>(window)),
      limit_(info.chunks) {}

Result<ChunkSource::Next> ContiguousChunks::NextChunk(uint64_t) {
  if (next_chunk_ >= info_.chunks)
    return DataLoss("object " + info_.meta.name + " has fewer bytes than its meta says");
  while (next_request_ < limit_ && next_request_ < next_chunk_ + window_) {
    if (!fetcher_.Has(next_request_))
      NATSS3_RETURN_IF_ERROR(fetcher_.Request(next_request_, seq0_ + next_request_));
    ++next_request_;
  }
  NATSS3_ASSIGN_OR_RETURN(Chunk c, fetcher_.Await(next_chunk_));
  ++next_chunk_;
  sizes_.push_back(static_cast<uint32_t>(c.size()));
  return Next{std::move(c), 0};
}

Status ContiguousChunks::Accept(uint64_t seq, size_t size) {
  if (seq != seq0_ + next_chunk_)
    return DataLoss("chunk " + std::to_string(next_chunk_) + " of " + info_.meta.name +
                    " is not where the object's other chunks say");
  ++next_chunk_;
  // Should the puller hand over (a fallback), direct gets go on from here: the chunks it
  // returned are not asked for again.
  next_request_ = std::max(next_request_, next_chunk_);
  sizes_.push_back(static_cast<uint32_t>(size));
  return Status::OK();
}

std::optional<ChunkIndex> ContiguousChunks::Learned() const {
  if (sizes_.size() != info_.chunks) return std::nullopt;
  ChunkIndex idx;
  for (uint32_t i = 0; i < info_.chunks; ++i) {
    idx.seqs.push_back(seq0_ + i);
    idx.sizes.push_back(sizes_[i]);
    idx.offsets.push_back(idx.total);
    idx.total += sizes_[i];
  }
  return idx;
}

}  // namespace natss3::natsw
