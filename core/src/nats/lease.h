// LeaseKeeper: protects this process's uncommitted data (chunks of puts in progress, staged
// blobs it still holds) from garbage collection in other natss3 processes.
//
// Every upload or staged blob is registered here while this process is responsible for it.
// Once one is a quarter of the grace old, a pin record "pin.<bucket>.<nuid>" naming this
// process's owner ID is written to the "natss3_gc" record store, and the process writes a
// heartbeat "hb.<owner>" every sixth of the grace while it has pins. A collector treats a pin
// as live while its owner's heartbeat is younger than the grace (server timestamps), and
// removes pins of owners that are gone. Nothing is written for short-lived uploads.
//
// Lock: mu_ guards the registry and queues; it is never held across a NATS call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "natss3/object_store.h"

namespace natss3::natsw {

class NatsObjectStore;

class LeaseKeeper {
 public:
  static constexpr const char* kRecordBucket = "natss3_gc";

  LeaseKeeper(NatsObjectStore* store, std::chrono::milliseconds grace);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  void Begin(const std::string& bucket, const std::string& nuid);
  void End(const std::string& bucket, const std::string& nuid);
  bool Active(const std::string& bucket, const std::string& nuid) const;
  const std::string& owner() const { return owner_; }
  std::chrono::milliseconds grace() const { return grace_; }

  // The server's clock now: writes this process's heartbeat and reads its timestamp back.
  Result<TimePoint> ServerNow();

  struct Pin {
    std::string key, nuid, owner;
    bool live = false;  // owner's heartbeat younger than `grace` at `now`
  };
  // Pins of `bucket`, judged against the server time `now`. An absent record store: none.
  Result<std::vector<Pin>> Pins(const std::string& bucket, TimePoint now,
                                std::chrono::milliseconds grace);
  Status RemovePin(const std::string& key);

 private:
  struct Entry {
    std::string bucket, nuid;
    std::chrono::steady_clock::time_point since;
    bool pinned = false;
  };
  void Run();
  Result<std::shared_ptr<RecordStore>> Records();
  Status Heartbeat();

  NatsObjectStore* store_;
  const std::chrono::milliseconds grace_;
  const std::string owner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> active_;  // "<bucket>.<nuid>"
  std::vector<std::string> unpin_;       // pin keys to delete
  std::chrono::steady_clock::time_point last_heartbeat_{};
  std::shared_ptr<RecordStore> records_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace natss3::natsw
