// AckRouter: asynchronous JetStream publishes of every writer of a store, with their acks
// routed back to the writer that published. One shared reply subscription per store: cnats'
// own async publishing needs a JetStream context (and a delivery thread) per writer, which
// costs a thread start per put.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

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
};

class AckRouter {
 public:
  explicit AckRouter(NatsConnection& conn) : conn_(conn) {}
  ~AckRouter();
  AckRouter(const AckRouter&) = delete;
  AckRouter& operator=(const AckRouter&) = delete;

  // Publishes `data` on `subject` to JetStream; the ack (or error) is counted in `state`.
  Status Publish(const std::string& subject, std::string_view data,
                 const std::shared_ptr<AckState>& state);
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
