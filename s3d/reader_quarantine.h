// ReaderQuarantine: keeps object readers that were abandoned mid-transfer (the client went away,
// a read failed) alive for a while before destroying them.
//
// Why: libnats 3.4.1 (Debian 12) can crash in its read loop when a subscription is destroyed
// while a message for it is being processed (nats.c issue #637, fixed in 3.6.0). An abandoned
// reader still has up to ReadOptions::window chunk requests in flight to its reply
// subscription; destroying it at once races with their arrival, and any client that cancels a
// download could take the daemon down. After `hold` nothing is in flight any more.
//
// Memory budget: at most `capacity` readers (each holds at most its read window of chunks,
// arrived or queued); when full, Hold() destroys the oldest on the caller's thread, first
// waiting until it has been held for `min_hold` (replies to a loopback NATS server arrive in
// milliseconds; `hold` is the margin when there is room).
// Thread-safe. Destroy before the ObjectStore the readers came from.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "natss3/object_store.h"

namespace natss3::s3d {

class ReaderQuarantine {
 public:
  explicit ReaderQuarantine(std::chrono::milliseconds hold = std::chrono::seconds(3),
                            std::chrono::milliseconds min_hold = std::chrono::seconds(1),
                            size_t capacity = 16);
  // Destroys what is held, each once held for `min_hold`.
  ~ReaderQuarantine();

  void Hold(std::unique_ptr<ObjectReader> reader);
  size_t size() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    Clock::time_point held_at;
    std::unique_ptr<ObjectReader> reader;
  };
  void Loop();

  const std::chrono::milliseconds hold_, min_hold_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> held_;  // in release order
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace natss3::s3d
