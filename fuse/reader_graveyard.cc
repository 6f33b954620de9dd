// ReaderGraveyard implementation (see reader_graveyard.h).
#include "reader_graveyard.h"

#include <vector>

namespace natss3::fs {

ReaderGraveyard::ReaderGraveyard() : thread_([this] { Run(); }) {}

ReaderGraveyard::~ReaderGraveyard() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReaderGraveyard::Bury(std::unique_ptr<ObjectReader> reader) {
  if (!reader) return;
  std::lock_guard lock(mu_);
  graves_.emplace_back(Clock::now() + kGrace, std::move(reader));
  cv_.notify_all();
}

size_t ReaderGraveyard::buried() const {
  std::lock_guard lock(mu_);
  return graves_.size();
}

void ReaderGraveyard::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (graves_.empty()) {
      if (stop_) return;
      cv_.wait(lock, [&] { return stop_ || !graves_.empty(); });
      continue;
    }
    // Even when stopping, the grace is kept: that is the point.
    cv_.wait_until(lock, graves_.front().first);
    std::vector<std::unique_ptr<ObjectReader>> due;
    while (!graves_.empty() && graves_.front().first <= Clock::now()) {
      due.push_back(std::move(graves_.front().second));
      graves_.pop_front();
    }
    lock.unlock();
    due.clear();  // destroyed without the lock held
    lock.lock();
  }
}

}  // namespace natss3::fs
