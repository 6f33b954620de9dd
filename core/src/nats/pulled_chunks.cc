// PulledChunks: large whole reads through a pull consumer (chunk_puller.h), with direct gets
// before the consumer exists and after it fails.
#include "nats/chunk_source.h"
#include "nats/errors.h"

namespace natss3::natsw {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A pulled whole read that got nothing for this long goes on with direct gets.
constexpr auto kPullStall = std::chrono::milliseconds(2000);

}  // namespace

PulledChunks::PulledChunks(const NatsConnection& conn, ChunkFetcher& fetcher, ChunkLocator& locator,
                           const ObjectInfo& info, uint64_t seq0, bool contiguous, int window,
                           std::chrono::milliseconds idle_timeout)
    : conn_(conn),
      fetcher_(fetcher),
      locator_(locator),
      info_(info),
      seq0_(seq0),
      contiguous_(contiguous),
      window_(window),
      idle_timeout_(idle_timeout) {
  if (contiguous_) direct_ = std::make_unique<ContiguousChunks>(fetcher, info, seq0, window);
}

// A contiguous object's chunks up to handoff_ come by direct get while the consumer for the
// rest is being created; otherwise the consumer starts right after chunk 0.
void PulledChunks::Begin() {
  begun_ = true;
  handoff_ = contiguous_ ? std::min<uint32_t>(std::max(1, window_ / 2), info_.chunks - 1) : 1;
  auto p = ChunkPuller::Begin(conn_, fetcher_.stream(), fetcher_.subject(), seq0_ + handoff_,
                              info_.chunks - handoff_, window_);
  if (!p.ok()) return FallBack();
  puller_ = std::move(p).value();
  puller_->Reserve(static_cast<uint32_t>(handoff_));
  if (direct_) direct_->StopRequestsAt(handoff_);
  if (!contiguous_) seqs_.push_back(seq0_);
}

// Also in the middle of a read whose consumer stalled (its server failed): the chunks taken so
// far become the start of the index, and the walk goes on after the last of them.
void PulledChunks::FallBack() {
  puller_.reset();
  if (contiguous_) {
    direct_->StopRequestsAt(info_.chunks);
    return;
  }
  locator_.StartWalk();
  located_ = std::make_unique<LocatedChunks>(fetcher_, locator_, info_, info_.size,
                                             /*whole=*/true, window_);
  if (next_chunk_ > 0 && seqs_.size() == next_chunk_ && sizes_.size() == next_chunk_) {
    for (size_t i = 0; i < next_chunk_; ++i) locator_.Add(seqs_[i], sizes_[i]);
    located_->StartAt(next_chunk_);
  }
}

Result<ChunkSource::Next> PulledChunks::NextChunk(uint64_t pos) {
  if (!begun_) Begin();
  if (puller_) {
    if (taken() >= handoff_) return NextPulled(pos);
    // Before the handoff: takes the consumer's creation if it has come. When the consumer
    // cannot be created, the read goes on with direct gets.
    if (!puller_->Poll().ok())
      FallBack();
    else if (!contiguous_)
      return NextHeld();
  }
  if (!contiguous_) return located_->NextChunk(pos);
  auto next = direct_->NextChunk(pos);
  if (next.ok() && puller_) puller_->Reserve(static_cast<uint32_t>(direct_->in_flight()));
  return next;
}

// The chunk fetched before the consumer (non-contiguous objects: chunk 0).
Result<ChunkSource::Next> PulledChunks::NextHeld() {
  NATSS3_ASSIGN_OR_RETURN(Chunk c, fetcher_.Await(next_chunk_));
  ++next_chunk_;
  sizes_.push_back(static_cast<uint32_t>(c.size()));
  return Next{std::move(c), 0};
}

Result<ChunkSource::Next> PulledChunks::NextPulled(uint64_t pos) {
  auto last_progress = SteadyClock::now();
  for (;;) {
    auto got = puller_->Next(std::chrono::milliseconds(500));
    if (got.ok()) {
      Chunk c(std::move(got->msg));
      if (contiguous_) {
        NATSS3_RETURN_IF_ERROR(direct_->Accept(got->seq, c.size()));
      } else {
        seqs_.push_back(got->seq);
        ++next_chunk_;
        sizes_.push_back(static_cast<uint32_t>(c.size()));
      }
      return Next{std::move(c), 0};
    }
    Code code = got.status().code();
    // A consumer that cannot be created, or stalls, is not waited for: direct gets go on.
    if ((!puller_->created() && code != Code::kDataLoss) ||
        (code == Code::kDeadlineExceeded && SteadyClock::now() - last_progress > kPullStall)) {
      FallBack();
      return NextChunk(pos);
    }
    if (code == Code::kDataLoss)
      return DataLoss("object " + info_.meta.name +
                      " is missing chunks: " + got.status().message());
    if (code != Code::kDeadlineExceeded) return got.status();
    if (!fetcher_.ChunksExist())
      return DataLoss("object data of " + info_.meta.name +
                      " is missing (deleted or replaced during the read)");
    if (SteadyClock::now() - last_progress > idle_timeout_)
      return DeadlineExceeded("timeout reading " + info_.meta.name + " from NATS");
  }
}

std::optional<ChunkIndex> PulledChunks::Learned() const {
  if (contiguous_) return direct_->Learned();
  if (seqs_.size() != info_.chunks || sizes_.size() != info_.chunks) return std::nullopt;
  ChunkIndex idx;
  for (uint32_t i = 0; i < info_.chunks; ++i) {
    idx.seqs.push_back(seqs_[i]);
    idx.sizes.push_back(sizes_[i]);
    idx.offsets.push_back(idx.total);
    idx.total += sizes_[i];
  }
  return idx;
}

}  // namespace natss3::natsw
