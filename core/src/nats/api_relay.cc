// ApiRelay: see api_relay.h.
#include "nats/api_relay.h"

#include <spdlog/spdlog.h>

#include "nats/connection.h"
#include "nats/errors.h"

namespace natss3::natsw {
namespace {
// Requests passed on at once: creates of several watches (buckets) during one election.
constexpr int kWorkers = 4;
// The last token of Start's check request; no JetStream API subject ends so.
constexpr std::string_view kProbe = ".PROBE";
}  // namespace

Result<std::unique_ptr<ApiRelay>> ApiRelay::Start(const NatsConnection& conn) {
  std::unique_ptr<ApiRelay> relay(new ApiRelay(conn));
  char* inbox = nullptr;
  natsStatus s = natsInbox_Create(&inbox);
  if (s != NATS_OK) return FromNats(s, "API relay inbox");
  relay->prefix_ = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* sub = nullptr;
  s = natsConnection_Subscribe(&sub, conn.nc(), (relay->prefix_ + ".>").c_str(), &ApiRelay::OnMsg,
                               relay.get());
  if (s != NATS_OK) return FromNats(s, "API relay subscription");
  natsSubscription_SetPendingLimits(sub, -1, -1);
  natsSubscription_SetOnCompleteCB(sub, &ApiRelay::OnComplete, relay.get());
  relay->sub_ = AdoptSub(conn.nc(), sub);
  // The relay's requests are published to its own inbox prefix and answered to the caller's
  // inbox: both need publish permission there. Without it the server drops them, and a relayed
  // request would only time out.
  // Two tries: one lost to a reconnection in between is not a refusal.
  const std::string probe = relay->prefix_ + std::string(kProbe);
  for (int attempt = 0; attempt < 2; ++attempt) {
    natsMsg* answer = nullptr;
    s = natsConnection_Request(&answer, conn.nc(), probe.c_str(), "", 0,
                               static_cast<int64_t>(kProbeWait.count()));
    MsgPtr owned_answer(answer);
    if (s == NATS_OK) break;
  }
  if (s != NATS_OK)
    return Unavailable(std::string("API relay: its check request was not answered (") +
                       natsStatus_GetText(s) + "; publish permission on _INBOX.> is needed)");
  for (int i = 0; i < kWorkers; ++i) relay->workers_.emplace_back([r = relay.get()] { r->Work(); });
  return relay;
}

ApiRelay::~ApiRelay() {
  if (sub_) {
    sub_.reset();  // unsubscribes now, destroyed later (sub_reaper.h)
    // A callback may still be running: wait until cnats says the last one returned.
    completed_.get_future().wait_for(std::chrono::seconds(5));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ApiRelay::OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<ApiRelay*>(closure);
  MsgPtr owned(msg);
  const char* reply = natsMsg_GetReply(msg);
  std::string_view subject = natsMsg_GetSubject(msg);
  if (!reply || subject.size() <= self->prefix_.size() + 1) return;
  if (subject.substr(self->prefix_.size()) == kProbe) {
    natsConnection_Publish(self->conn_.nc(), reply, "", 0);
    return;
  }
  Request r;
  r.subject = self->conn_.api_prefix() + std::string(subject.substr(self->prefix_.size()));
  r.payload.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  r.reply = reply;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    if (self->stop_) return;
    self->queue_.push_back(std::move(r));
  }
  self->cv_.notify_one();
}

void ApiRelay::OnComplete(void* closure) { static_cast<ApiRelay*>(closure)->completed_.set_value(); }

void ApiRelay::Work() {
  for (;;) {
    Request r;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      r = std::move(queue_.front());
      queue_.pop_front();
    }
    MsgPtr answer;
    natsStatus s = conn_.RequestAll(&answer, r.subject, r.payload, kAnswerWait);
    // No answer (or "no responders"): the caller's own timeout says so.
    if (s != NATS_OK || natsMsg_IsNoResponders(answer.get())) {
      spdlog::debug("API relay {}: {}", r.subject,
                    s != NATS_OK ? natsStatus_GetText(s) : "no responders");
      continue;
    }
    natsConnection_Publish(conn_.nc(), r.reply.c_str(), natsMsg_GetData(answer.get()),
                           natsMsg_GetDataLength(answer.get()));
  }
}

}  // namespace natss3::natsw
