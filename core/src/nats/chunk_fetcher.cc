// ChunkFetcher: pipelined direct gets of chunks, with resends and leader fallbacks.
#include "nats/chunk_fetcher.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "nats/errors.h"
#include "natss3/names.h"

namespace natss3::natsw {

using SteadyClock = std::chrono::steady_clock;

ChunkFetcher::ChunkFetcher(NatsObjectStore* store, const ObjectInfo& info,
                           std::chrono::milliseconds idle_timeout)
    : store_(store),
      info_(info),
      idle_timeout_(idle_timeout),
      stream_(StreamName(info.bucket)),
      subject_(ChunkSubject(info.bucket, info.nuid)) {}

Status ChunkFetcher::OpenInbox() {
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

Status ChunkFetcher::Request(size_t k, uint64_t seq) {
  if (store_->NoDirect(info_.bucket)) {
    // No direct gets on this stream: one leader get per chunk (no pipelining).
    NATSS3_ASSIGN_OR_RETURN(arrived_[k], FetchChunk(seq, /*leader=*/true));
    return Status::OK();
  }
  NATSS3_RETURN_IF_ERROR(OpenInbox());
  std::string subj = store_->conn().api_prefix() + ".DIRECT.GET." + stream_;
  std::string reply = inbox_ + "." + std::to_string(k);
  std::string body = "{\"seq\":" + std::to_string(seq) + "}";
  natsStatus s = natsConnection_PublishRequest(store_->conn().nc(), subj.c_str(), reply.c_str(),
                                               body.data(), static_cast<int>(body.size()));
  // A publish that fails (no connection for a moment) is sent again like a lost one.
  if (s != NATS_OK && s != NATS_CONNECTION_DISCONNECTED && s != NATS_TIMEOUT)
    return FromNats(s, "request chunk");
  pending_[k] = Pending{seq, SteadyClock::now()};
  return Status::OK();
}

std::optional<Chunk> ChunkFetcher::TakeArrived(size_t k) {
  auto it = arrived_.find(k);
  if (it == arrived_.end()) return std::nullopt;
  Chunk d = std::move(it->second);
  arrived_.erase(it);
  return d;
}

// Fetches the chunks whose direct get had no answer within the attempt timeout (the server it
// went to may be gone, or the stream has no direct gets) with GetStored, which tries another
// replica and the leader.
Status ChunkFetcher::ResendOverdue() {
  auto overdue = SteadyClock::now() - store_->ReadAttemptTimeout();
  std::vector<std::pair<size_t, uint64_t>> again;
  for (auto& [k, p] : pending_)
    if (p.sent < overdue) again.emplace_back(k, p.seq);
  for (auto [k, seq] : again) {
    spdlog::debug("chunk {} of {} (seq {}) unanswered: asked again", k, info_.meta.name, seq);
    pending_.erase(k);
    NATSS3_ASSIGN_OR_RETURN(arrived_[k], FetchChunk(seq, /*leader=*/false));
  }
  return Status::OK();
}

// The chunk at `seq` by one synchronous get (GetStored: another replica, then the leader; or
// the leader only).
Result<Chunk> ChunkFetcher::FetchChunk(uint64_t seq, bool leader) {
  MsgQuery q;
  q.seq = seq;
  auto got = GetChunk(q, leader);
  if ((!got.ok() && got.status().code() == Code::kNotFound) ||
      (got.ok() && got->subject != subject_)) {
    return DataLoss("chunk of " + info_.meta.name +
                    " is missing (object deleted or replaced during the read)");
  }
  if (!got.ok()) return got.status();
  return Chunk(std::move(got->msg));
}

Result<Chunk> ChunkFetcher::Await(size_t k) {
  if (auto d = TakeArrived(k)) return std::move(*d);
  auto deadline = SteadyClock::now() + idle_timeout_;
  const auto attempt = store_->ReadAttemptTimeout();
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0)
      return DeadlineExceeded("timeout reading " + info_.meta.name + " from NATS");
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(
        &raw, replies_.get(),
        std::max<int64_t>(1, std::min<int64_t>(left.count(), attempt.count() / 2)));
    if (s == NATS_TIMEOUT) {
      NATSS3_RETURN_IF_ERROR(ResendOverdue());
      if (auto d = TakeArrived(k)) return std::move(*d);
      continue;
    }
    if (s != NATS_OK) return FromNats(s, "read chunk");
    NATSS3_ASSIGN_OR_RETURN(std::optional<Chunk> mine, OnAnswer(MsgPtr(raw), k));
    if (mine) return std::move(*mine);
  }
}

Result<std::optional<Chunk>> ChunkFetcher::OnAnswer(MsgPtr msg, size_t k) {
  natsMsg* raw = msg.get();
  const char* subj = natsMsg_GetSubject(raw);
  const char* dot = std::strrchr(subj, '.');
  size_t got = dot ? std::strtoull(dot + 1, nullptr, 10) : SIZE_MAX;
  auto pend = pending_.find(got);
  if (pend == pending_.end()) return std::optional<Chunk>();  // late answer to a resent get
  const uint64_t seq = pend->second.seq;
  pending_.erase(pend);
  const char* seq_header = nullptr;
  const char* chunk_subject = nullptr;
  bool has_seq = natsMsgHeader_Get(raw, "Nats-Sequence", &seq_header) == NATS_OK && seq_header;
  // A replica that lags says "missing": the leader has it (or it is really gone). No
  // responders: the stream has no direct gets, the leader answers.
  bool ask_leader = natsMsg_IsNoResponders(raw) || (!has_seq && Replicated());
  Chunk data;
  if (ask_leader) {
    NATSS3_ASSIGN_OR_RETURN(data, FetchChunk(seq, /*leader=*/true));
  } else if (!has_seq || natsMsgHeader_Get(raw, "Nats-Subject", &chunk_subject) != NATS_OK ||
             !chunk_subject || subject_ != chunk_subject) {
    return DataLoss("chunk of " + info_.meta.name +
                    " is missing (object deleted or replaced during the read)");
  } else {
    data = Chunk(std::move(msg));
  }
  if (got == k) return std::optional<Chunk>(std::move(data));
  arrived_[got] = std::move(data);
  return std::optional<Chunk>();
}

bool ChunkFetcher::Replicated() {
  if (!replicated_) replicated_ = store_->Replicated(info_.bucket);
  return *replicated_;
}

Result<StoredMsg> ChunkFetcher::GetChunk(const MsgQuery& q, bool leader) {
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
bool ChunkFetcher::StillCurrent() {
  if (info_.revision == 0) return true;  // a staged blob: nothing replaces it
  auto cur = store_->LatestInfo(info_.bucket, info_.meta.name);
  if (!cur.ok()) return cur.status().code() != Code::kNotFound;
  return !cur->deleted && cur->nuid == info_.nuid;
}

Result<StoredMsg> ChunkFetcher::FirstChunkMessage() {
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

}  // namespace natss3::natsw
