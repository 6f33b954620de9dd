#include "nats/ack_router.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "nats/connection.h"
#include "nats/errors.h"

namespace natss3::natsw {

AckRouter::~AckRouter() {
  bool subscribed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subscribed = sub_ != nullptr;
    sub_.reset();  // unsubscribes now, destroyed later (sub_reaper.h)
  }
  // A callback may still be running (it locks mu_): wait until cnats says the last one returned.
  if (subscribed) completed_.get_future().wait_for(std::chrono::seconds(5));
}

void AckRouter::OnComplete(void* closure) {
  static_cast<AckRouter*>(closure)->completed_.set_value();
}

Status AckRouter::EnsureSubscribed() {
  if (sub_) return Status::OK();
  char* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return Internal("cannot create inbox");
  prefix_ = std::string(inbox) + ".";
  natsInbox_Destroy(inbox);
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&sub, conn_.nc(), (prefix_ + "*").c_str(), &OnReply, this);
  if (s != NATS_OK) return FromNats(s, "subscribe for publish acks");
  natsSubscription_SetPendingLimits(sub, -1, -1);
  natsSubscription_SetOnCompleteCB(sub, &OnComplete, this);
  sub_ = AdoptSub(conn_.nc(), sub);
  return Status::OK();
}

Status AckRouter::Publish(const std::string& subject, std::string_view data,
                          const std::shared_ptr<AckState>& state, const std::string& msg_id,
                          uint64_t* token_out, OwnedMsgPtr* sent) {
  uint64_t token;
  std::string reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    NATSS3_RETURN_IF_ERROR(EnsureSubscribed());
    token = ++next_;
    reply = prefix_ + std::to_string(token);
    pending_.emplace(token, state);
  }
  {
    std::lock_guard<std::mutex> lock(state->mu);
    ++state->inflight;
    state->tokens.insert(token);
  }
  if (token_out) *token_out = token;
  natsStatus s;
  if (msg_id.empty()) {
    s = natsConnection_PublishRequest(conn_.nc(), subject.c_str(), reply.c_str(), data.data(),
                                      static_cast<int>(data.size()));
  } else {
    natsMsg* m = nullptr;
    s = natsMsg_Create(&m, subject.c_str(), reply.c_str(), data.data(),
                       static_cast<int>(data.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(m, "Nats-Msg-Id", msg_id.c_str());
    if (s == NATS_OK) s = natsConnection_PublishMsg(conn_.nc(), m);
    if (s == NATS_OK && sent != nullptr) {
      sent->reset(m);  // after the copy: `data` may point into the message replaced here
    } else {
      FreeMsgNow(m);
    }
  }
  if (s == NATS_OK) return Status::OK();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(token);
  }
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (state->tokens.erase(token)) --state->inflight;
  }
  return FromNats(s, "publish chunk");
}

void AckRouter::Drop(const std::shared_ptr<AckState>& state, uint64_t token) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(token);
  }
  std::lock_guard<std::mutex> lock(state->mu);
  if (state->tokens.erase(token)) --state->inflight;
}

void AckRouter::Forget(const std::shared_ptr<AckState>& state) {
  std::unordered_set<uint64_t> tokens;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    tokens.swap(state->tokens);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t t : tokens) pending_.erase(t);
}

void AckRouter::OnReply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<AckRouter*>(closure)->Route(msg);
  FreeMsgNow(msg);  // a core subscription's message: ours once delivered
}

void AckRouter::Route(natsMsg* msg) {
  const char* subj = natsMsg_GetSubject(msg);
  const char* dot = std::strrchr(subj, '.');
  if (!dot) return;
  uint64_t token = std::strtoull(dot + 1, nullptr, 10);
  std::shared_ptr<AckState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(token);
    if (it == pending_.end()) return;
    state = it->second.lock();
    pending_.erase(it);
  }
  if (!state) return;
  Status result;
  uint64_t seq = 0;
  bool lost = false;
  if (natsMsg_IsNoResponders(msg)) {
    // No stream leader took it (an election is under way): the writer sends it again.
    lost = true;
  } else {
    auto j = nlohmann::json::parse(natsMsg_GetData(msg),
                                   natsMsg_GetData(msg) + natsMsg_GetDataLength(msg), nullptr,
                                   false);
    if (j.is_discarded() || !j.is_object()) {
      result = Internal("invalid JetStream publish acknowledgement");
    } else if (j.contains("error") && j["error"].is_object()) {
      auto& e = j["error"];
      result = FromApiError(e.value("code", 0), e.value("err_code", 0),
                            e.value("description", ""), "chunk publish");
      lost = result.code() == Code::kUnavailable;  // "temporarily unavailable"
    } else {
      seq = j.value("seq", uint64_t{0});
    }
  }
  {
    std::lock_guard<std::mutex> lock(state->mu);
    if (!state->tokens.erase(token)) return;  // forgotten meanwhile
    --state->inflight;
    if (lost) {
      state->lost.push_back(token);
    } else {
      if (!result.ok() && state->first_error.ok()) state->first_error = result;
      if (result.ok()) state->stored.emplace_back(token, seq);
      ++state->acked;
    }
  }
  state->cv.notify_all();
}

}  // namespace natss3::natsw
