// ReaderGraveyard: destroys sequential ObjectReaders a grace period after their last use.
//
// Works around a core/cnats bug (reported): destroying an ObjectReader while its pipelined
// chunk fetches are still in flight can crash cnats' delivery thread (a reply arrives for the
// freed subscription). A reader idle for kGrace has received every reply it asked for.
// Memory: what the buried readers hold (at most their window each) for kGrace.
// Thread-safety: Bury from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "natss3/object_store.h"

namespace natss3::fs {

class ReaderGraveyard {
 public:
  static constexpr std::chrono::milliseconds kGrace{2000};

  ReaderGraveyard();
  ~ReaderGraveyard();  // waits out the grace of the readers still buried, then destroys them
  ReaderGraveyard(const ReaderGraveyard&) = delete;
  ReaderGraveyard& operator=(const ReaderGraveyard&) = delete;

  void Bury(std::unique_ptr<ObjectReader> reader);
  size_t buried() const;

 private:
  using Clock = std::chrono::steady_clock;
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Clock::time_point, std::unique_ptr<ObjectReader>>> graves_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace natss3::fs
