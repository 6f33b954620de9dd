// ChunkLocator: the chunk index of one object version, from the cache or a walk of direct gets.
#include "nats/chunk_locator.h"

#include <algorithm>

#include "nats/errors.h"

namespace natss3::natsw {

ChunkLocator::ChunkLocator(NatsObjectStore* store, ChunkFetcher& fetcher, const ObjectInfo& info,
                           uint64_t keep_start, uint64_t keep_end, int window)
    : store_(store),
      fetcher_(fetcher),
      info_(info),
      cache_key_(info.bucket + "/" + info.nuid),
      keep_start_(keep_start),
      keep_end_(keep_end),
      window_(static_cast<size_t>(window)) {}

void ChunkLocator::UseKnown(ChunkIndex index) {
  index_ = std::move(index);
  complete_ = true;
}

void ChunkLocator::Add(uint64_t seq, uint32_t size) {
  index_.offsets.push_back(index_.total);
  index_.seqs.push_back(seq);
  index_.sizes.push_back(size);
  index_.total += size;
  if (index_.total >= info_.size || (info_.chunks && index_.seqs.size() >= info_.chunks)) {
    complete_ = true;
    walking_ = false;
    if (index_.total == info_.size)
      store_->CacheChunkIndex(cache_key_, std::make_shared<const ChunkIndex>(index_));
  }
}

// Locates the next chunk with one direct get; its data is kept when the read will want it
// soon (inside the window), so a whole read fetches each chunk once.
Status ChunkLocator::LocateNext() {
  MsgQuery q;
  q.seq = index_.seqs.empty() ? 0 : index_.seqs.back() + 1;
  q.next_by_subj = fetcher_.subject();
  auto got = fetcher_.GetChunk(q);
  if (!got.ok()) {
    if (got.status().code() == Code::kNotFound) {
      walking_ = false;  // no more chunks: LocateUntil tells what is missing
      return Status::OK();
    }
    return got.status().Annotate("locate chunks of " + info_.meta.name);
  }
  size_t k = index_.seqs.size();
  Chunk data(std::move(got->msg));
  Add(got->seq, static_cast<uint32_t>(data.size()));
  if (k >= keep_from_ && fetcher_.held() < window_ && index_.offsets[k] < keep_end_ &&
      index_.offsets[k] + data.size() > keep_start_)
    fetcher_.Keep(k, std::move(data));
  return Status::OK();
}

Status ChunkLocator::Missing() const {
  if (index_.seqs.empty())
    return DataLoss("object data of " + info_.meta.name +
                    " is missing (deleted or replaced during the read)");
  return DataLoss("object " + info_.meta.name + " is missing chunks: have " +
                  std::to_string(index_.total) + " of " + std::to_string(info_.size) + " bytes");
}

Status ChunkLocator::EnsureConsistent() {
  if (!complete_ && index_.seqs.empty()) StartWalk();
  if (!complete_) NATSS3_RETURN_IF_ERROR(LocateUntil([&] { return complete_; }));
  if (index_.total != info_.size || (info_.chunks && index_.seqs.size() != info_.chunks))
    return DataLoss("object " + info_.meta.name + " is missing chunks: located " +
                    std::to_string(index_.seqs.size()) + " chunks, " +
                    std::to_string(index_.total) + " of " + std::to_string(info_.size) + " bytes");
  return Status::OK();
}

size_t ChunkLocator::ChunkAt(uint64_t offset) const {
  auto it = std::upper_bound(index_.offsets.begin(), index_.offsets.end(), offset);
  return static_cast<size_t>(it - index_.offsets.begin()) - 1;
}

}  // namespace natss3::natsw
