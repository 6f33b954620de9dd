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

struct Retired {
  natsConnection* nc;
  natsSubscription* sub;
};

class Reaper {
 public:
  Reaper() : thread_([this] { Loop(); }) { thread_.detach(); }

  void Add(natsConnection* nc, natsSubscription* sub) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({nc, sub});
      ++pending_;
    }
    cv_.notify_one();
  }

  size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_;
  }

 private:
  // True once no read loop of `nc` can still be handling a message parsed before now.
  static bool ReadLoopPassed(natsConnection* nc) {
    if (nc == nullptr) return true;
    natsStatus s = natsConnection_FlushTimeout(nc, kFlushTimeoutMs);
    if (s == NATS_OK) return true;
    // Closed, or disconnected and reconnecting: the read loop that parsed the old messages
    // has ended (a new one only ever sees the subscription table without these).
    return natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED;
  }

  void Loop() {
    std::vector<Retired> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        batch.insert(batch.end(), queue_.begin(), queue_.end());
        queue_.clear();
      }
      std::map<natsConnection*, std::vector<natsSubscription*>> by_conn;
      for (const Retired& r : batch) by_conn[r.nc].push_back(r.sub);
      batch.clear();
      size_t destroyed = 0;
      for (auto& [nc, subs] : by_conn) {
        if (!ReadLoopPassed(nc)) {
          for (natsSubscription* sub : subs) batch.push_back({nc, sub});
          continue;
        }
        for (natsSubscription* sub : subs) natsSubscription_Destroy(sub);
        destroyed += subs.size();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_ -= destroyed;
      }
      if (!batch.empty()) std::this_thread::sleep_for(kRetryDelay);
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
  if (natsSubscription_IsValid(sub)) natsSubscription_Unsubscribe(sub);
  TheReaper().Add(nc, sub);
}

size_t RetiredSubscriptionsPending() { return TheReaper().pending(); }

}  // namespace natss3::natsw
