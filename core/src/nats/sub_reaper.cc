// See sub_reaper.h for why subscriptions are destroyed here and not where they are dropped.
#include "nats/sub_reaper.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace natss3::natsw {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kFlushTimeoutMs = 2000;
constexpr auto kRetryDelay = std::chrono::milliseconds(100);
// How much later than the oldest entry's due time a batch is taken.
constexpr auto kBatch = std::chrono::milliseconds(100);
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
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back({nc, sub, Clock::now(), {}});
      ++pending_;
      wake = idle_;
    }
    // Only an idle reaper needs waking: a busy one wakes when its oldest entry is due, and
    // takes whatever came meanwhile (a put retires one subscription: waking per retirement
    // made the reaper's work grow with the square of the put rate).
    if (wake) cv_.notify_one();
  }

  ReaperStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return ReaperStats{pending_, stats_.visits, stats_.flushes};
  }

 private:
  // True once no read loop of `nc` can still be handling a message parsed before now: a
  // flush completed (a reconnect joins the old read loop before the new one starts), or the
  // connection has been closed for kClosedGrace. Not while it is reconnecting: the status
  // changes as soon as any thread sees the socket fail, while the read loop may still be
  // parsing what it had read (a NATS restart during reads crashed natss3fs that way).
  bool ReadLoopPassed(natsConnection* nc, Clock::time_point* closed_seen) {
    if (nc == nullptr) return true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.flushes;
    }
    if (natsConnection_FlushTimeout(nc, kFlushTimeoutMs) == NATS_OK) return true;
    if (natsConnection_Status(nc) != NATS_CONN_STATUS_CLOSED) return false;
    auto now = Clock::now();
    if (*closed_seen == Clock::time_point{}) *closed_seen = now;
    return now - *closed_seen >= kClosedGrace;
  }

  void Loop() {
    std::deque<Retired> young;    // in retirement order, not kMinAge old yet
    std::vector<Retired> waiting;  // old enough, waiting for their connection's flush
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (queue_.empty() && young.empty() && waiting.empty()) {
          idle_ = true;
          cv_.wait(lock, [this] { return !queue_.empty(); });
          idle_ = false;
        }
        for (Retired& r : queue_) young.push_back(r);
        stats_.visits += queue_.size();
        queue_.clear();
        // Entries are taken in batches: the oldest one's due time plus kBatch, so one flush
        // serves every subscription retired within that time.
        auto due = young.empty() ? Clock::time_point::max()
                                 : young.front().retired_at + kMinAge + kBatch;
        if (!waiting.empty()) due = std::min(due, Clock::now() + kRetryDelay);
        if (due > Clock::now()) cv_.wait_until(lock, due);
        for (Retired& r : queue_) young.push_back(r);
        stats_.visits += queue_.size();
        queue_.clear();
      }
      const auto now = Clock::now();
      size_t moved = 0;
      while (!young.empty() && now - young.front().retired_at >= kMinAge) {
        waiting.push_back(young.front());
        young.pop_front();
        ++moved;
      }
      if (waiting.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.visits += moved;
        continue;
      }
      std::map<natsConnection*, std::vector<Retired>> by_conn;
      for (const Retired& r : waiting) by_conn[r.nc].push_back(r);
      size_t visits = moved + waiting.size();
      waiting.clear();
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
            waiting.push_back(r);
          }
          continue;
        }
        for (const Retired& r : subs) natsSubscription_Destroy(r.sub);
        destroyed += subs.size();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        pending_ -= destroyed;
        stats_.visits += visits;
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Retired> queue_;
  size_t pending_ = 0;
  bool idle_ = false;  // waiting for the first retirement, nothing else to do
  struct {
    uint64_t visits = 0, flushes = 0;
  } stats_;
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

size_t RetiredSubscriptionsPending() { return TheReaper().stats().pending; }

ReaperStats RetiredSubscriptionsStats() { return TheReaper().stats(); }

}  // namespace natss3::natsw
