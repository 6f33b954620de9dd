// Reclaimer: purges the chunks of versions this process replaced or deleted, once nothing in
// this process holds them and the release grace has passed, and retries purges that failed.
// Lock: mu_ guards the maps and queues only; it is never held across a NATS call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace natss3::natsw {

class NatsConnection;

class Reclaimer {
 public:
  Reclaimer(std::shared_ptr<NatsConnection> conn, std::chrono::milliseconds release_grace);
  ~Reclaimer();
  Reclaimer(const Reclaimer&) = delete;
  Reclaimer& operator=(const Reclaimer&) = delete;

  // While the token lives, Release of (bucket, nuid) only defers the purge.
  std::shared_ptr<void> Hold(const std::string& bucket, const std::string& nuid);
  // The version's chunks are no longer referenced by this process's commit: purge them now
  // (no hold, no grace: synchronously, so callers see a clean stream at once) or later.
  void Release(const std::string& bucket, const std::string& nuid);
  // A purge of `filter` that failed: retried every half second while connected.
  void Retry(std::string stream, std::string filter);
  // True while (bucket, nuid) is held or waiting for its purge here: garbage collection then
  // leaves it alone.
  bool Keeps(const std::string& bucket, const std::string& nuid) const;
  // Purges queued or waiting (tests, diagnostics).
  size_t pending() const;

 private:
  void Run();
  void Drop(const std::string& key);
  void PurgeNow(const std::string& key);

  std::shared_ptr<NatsConnection> conn_;
  const std::chrono::milliseconds release_grace_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> holds_;        // "<bucket>.<nuid>" -> tokens alive
  std::set<std::string> deferred_;          // released while held
  std::multimap<std::chrono::steady_clock::time_point, std::string> delayed_;
  std::multiset<std::string> delayed_keys_;  // the keys of delayed_: Keeps() in O(log n)
  std::list<std::pair<std::string, std::string>> retries_;  // (stream, filter)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace natss3::natsw
