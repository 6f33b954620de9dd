// See sub_reaper.h for why subscriptions are destroyed here and not where they are dropped.
#include "nats/sub_reaper.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace natss3::natsw {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kFlushTimeoutMs = 2000;
constexpr auto kRetryDelay = std::chrono::milliseconds(100);
// A closed connection's read loop is being joined by whoever closed it; it may still finish
// parsing what it had read when the status changed.
constexpr auto kClosedGrace = std::chrono::seconds(2);
// Never destroyed sooner than this after being retired. The flush alone proved not enough when
// nats-server stops during reads (natss3fs still crashed in MountFaultsTest.
// NatsRestartDuringReadGivesEioThenRecovers, 1 run in 3-4; never with destruction disabled,
// nor with the earlier 2 s delay of whole readers), for reasons not pinned down.
constexpr auto kMinAge = std::chrono::seconds(2);

struct Retired {
  natsConnection* nc;
  natsSubscription* sub;
  Clock::time_point retired_at;
  Clock::time_point closed_seen{};  // when the connection was first seen closed
};

class Reaper {
 public:
  Reaper() : thread_([this] { Loop(); }) { thread_.detach(); }

  void Add(natsConnection* nc, natsSubscription* sub) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({nc, sub, Clock::now(), {}});
      ++pending_;
    }
    cv_.notify_one();
  }

  size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_;
  }

 private:
  // True once no read loop of `nc` can still be handling a message parsed before now: a
  // flush completed (a reconnect joins the old read loop before the new one starts), or the
  // connection has been closed for kClosedGrace. Not while it is reconnecting: the status
  // changes as soon as any thread sees the socket fail, while the read loop may still be
  // parsing what it had read (a NATS restart during reads crashed natss3fs that way).
  static bool ReadLoopPassed(natsConnection* nc, Clock::time_point* closed_seen) {
    if (nc == nullptr) return true;
    if (natsConnection_FlushTimeout(nc, kFlushTimeoutMs) == NATS_OK) return true;
    if (natsConnection_Status(nc) != NATS_CONN_STATUS_CLOSED) return false;
    auto now = Clock::now();
    if (*closed_seen == Clock::time_point{}) *closed_seen = now;
    return now - *closed_seen >= kClosedGrace;
  }

  void Loop() {
    std::vector<Retired> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        // Waiting entries are looked at again after kRetryDelay even if nothing new comes.
        if (batch.empty()) cv_.wait(lock, [this] { return !queue_.empty(); });
        else cv_.wait_for(lock, kRetryDelay, [this] { return !queue_.empty(); });
        batch.insert(batch.end(), queue_.begin(), queue_.end());
        queue_.clear();
      }
      std::map<natsConnection*, std::vector<Retired>> by_conn;
      std::vector<Retired> young;
      for (const Retired& r : batch) {
        if (Clock::now() - r.retired_at < kMinAge) young.push_back(r);
        else by_conn[r.nc].push_back(r);
      }
      batch = std::move(young);
      size_t destroyed = 0;
      for (auto& [nc, subs] : by_conn) {
        Clock::time_point closed_seen{};
        for (const Retired& r : subs)
          if (r.closed_seen != Clock::time_point{} &&
              (closed_seen == Clock::time_point{} || r.closed_seen < closed_seen))
            closed_seen = r.closed_seen;
        if (!ReadLoopPassed(nc, &closed_seen)) {
          for (Retired& r : subs) {
            r.closed_seen = closed_seen;
            batch.push_back(r);
          }
          continue;
        }
        for (const Retired& r : subs) natsSubscription_Destroy(r.sub);
        destroyed += subs.size();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_ -= destroyed;
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Retired> queue_;
  size_t pending_ = 0;
  std::thread thread_;
};

// Never destroyed: subscriptions may be retired by static destructors at exit, and the thread
// only ever waits or works on cnats objects that the retired subscriptions keep alive.
Reaper& TheReaper() {
  static Reaper* reaper = new Reaper();
  return *reaper;
}

}  // namespace

void RetireSubscription(natsConnection* nc, natsSubscription* sub) {
  if (sub == nullptr) return;
  natsSubscription_Unsubscribe(sub);  // harmless (an error) when already unsubscribed
  TheReaper().Add(nc, sub);
}

size_t RetiredSubscriptionsPending() { return TheReaper().pending(); }

}  // namespace natss3::natsw
