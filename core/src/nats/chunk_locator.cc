// ChunkLocator: the chunk index of one object version, from the cache or a walk of direct gets.
#include "nats/chunk_locator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "natss3/crash_point.h"
#include "nats/errors.h"
#include "nats/handles.h"

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
  if (FaultPoint("locate.walk")) return Unavailable("fault point locate.walk");
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

void ChunkLocator::MaybeLocateByHeaders(bool all) {
  // Below these the walk's extra transfers are a few chunks: not worth a consumer.
  constexpr uint64_t kMinChunks = 16, kMinSkipped = 8;
  if (complete_ || !walking_ || headers_tried_ || !index_.seqs.empty()) return;
  if (info_.chunks < kMinChunks) return;
  const uint64_t per_chunk = info_.size / info_.chunks;
  if (!all && (per_chunk == 0 || keep_start_ / per_chunk < kMinSkipped)) return;
  headers_tried_ = true;
  Status s = FaultPoint("locate.headers") ? Unavailable("fault point locate.headers")
                                           : LocateByHeaders();
  if (!s.ok())
    spdlog::debug("locate chunks of {} from their headers: {}; walking instead",
                  info_.meta.name, s.ToString());
}

Status ChunkLocator::LocateByHeaders() {
  jsOptions jo;
  jsOptions_Init(&jo);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = fetcher_.stream().c_str();
  so.Ordered = true;
  so.Config.HeadersOnly = true;
  so.Config.DeliverPolicy = js_DeliverAll;
  natsSubscription* raw_sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // One attempt of at most a second (the context's wait): no leader, no consumer, the walk.
  natsStatus s = js_SubscribeSync(&raw_sub, store_->conn().js_attempt(),
                                  fetcher_.subject().c_str(), &jo, &so, &jerr);
  if (s != NATS_OK) return FromNats(s, "headers-only consumer", jerr);
  SubPtr sub = AdoptSub(store_->conn().nc(), raw_sub);
  natsSubscription_SetPendingLimits(raw_sub, -1, -1);
  ChunkIndex found;
  const auto wait = store_->ReadAttemptTimeout();
  for (;;) {
    natsMsg* m = nullptr;
    s = natsSubscription_NextMsg(&m, raw_sub, static_cast<int64_t>(wait.count()));
    if (s != NATS_OK) return FromNats(s, "chunk headers");
    MsgPtr msg(m);
    jsMsgMetaData* md = nullptr;
    if (natsMsg_GetMetaData(&md, m) != NATS_OK) return Internal("chunk header without metadata");
    MetaPtr meta(md);
    const char* size_text = nullptr;
    if (natsMsgHeader_Get(m, "Nats-Msg-Size", &size_text) != NATS_OK || size_text == nullptr)
      return Internal("chunk header without Nats-Msg-Size");
    uint32_t size = static_cast<uint32_t>(std::strtoul(size_text, nullptr, 10));
    found.offsets.push_back(found.total);
    found.seqs.push_back(md->Sequence.Stream);
    found.sizes.push_back(size);
    found.total += size;
    if (md->NumPending == 0 || found.total >= info_.size || found.seqs.size() >= info_.chunks)
      break;
  }
  // Add() completes (and caches) the index as the walk would; a short one is then missing
  // chunks, which LocateUntil reports.
  for (size_t k = 0; k < found.seqs.size() && !complete_; ++k) Add(found.seqs[k], found.sizes[k]);
  walking_ = false;
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
  MaybeLocateByHeaders(/*all=*/true);
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
