// AckRouter: asynchronous JetStream publishes of every writer of a store, with their acks
// routed back to the writer that published. One shared reply subscription per store: cnats'
// own async publishing needs a JetStream context (and a delivery thread) per writer, which
// costs a thread start per put.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "nats/handles.h"
#include "natss3/status.h"

namespace natss3::natsw {

class NatsConnection;

// Acks of one writer's publishes. Shared with the router until every ack arrived or the writer
// gave up (then late acks are dropped).
struct AckState {
  std::mutex mu;
  std::condition_variable cv;
  int inflight = 0;
  uint64_t acked = 0;
  Status first_error;
  std::unordered_set<uint64_t> tokens;  // publishes still waiting for their ack
  // Acknowledged publishes: token and stream sequence (taken by the writer).
  std::vector<std::pair<uint64_t, uint64_t>> stored;
  // Publishes no stream leader took (no responders, JetStream unavailable for a moment): the
  // writer sends them again.
  std::vector<uint64_t> lost;
};

class AckRouter {
 public:
  explicit AckRouter(NatsConnection& conn) : conn_(conn) {}
  ~AckRouter();
  AckRouter(const AckRouter&) = delete;
  AckRouter& operator=(const AckRouter&) = delete;

  // Publishes `data` on `subject` to JetStream (with Nats-Msg-Id `msg_id` unless empty, so
  // a publish sent again is stored once); the ack (or error) is counted in `state`. `token`
  // receives the publish's token (AckState::stored, lost, Drop). With a `msg_id`, `sent`
  // (when given) receives the message that went out once it did: its copy of the data is what
  // a caller that may send it again keeps (left as it was when nothing went out).
  Status Publish(const std::string& subject, std::string_view data,
                 const std::shared_ptr<AckState>& state, const std::string& msg_id = {},
                 uint64_t* token = nullptr, OwnedMsgPtr* sent = nullptr);
  // Forgets one publish (it is sent again under a new token): its ack is ignored.
  void Drop(const std::shared_ptr<AckState>& state, uint64_t token);
  // Drops `state`'s pending publishes: their acks, if they still come, are ignored.
  void Forget(const std::shared_ptr<AckState>& state);

 private:
  Status EnsureSubscribed();
  static void OnComplete(void* closure);
  static void OnReply(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  void Route(natsMsg* msg);

  NatsConnection& conn_;
  std::mutex mu_;
  SubPtr sub_;
  std::string prefix_;  // "<inbox>."
  uint64_t next_ = 0;
  std::unordered_map<uint64_t, std::weak_ptr<AckState>> pending_;
  std::promise<void> completed_;  // set by cnats once no callback can run any more
};

}  // namespace natss3::natsw
