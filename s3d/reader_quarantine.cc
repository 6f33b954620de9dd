// Delayed destruction of abandoned object readers (see reader_quarantine.h for why).
#include "s3d/reader_quarantine.h"

#include <algorithm>
#include <vector>

namespace natss3::s3d {

ReaderQuarantine::ReaderQuarantine(std::chrono::milliseconds hold,
                                   std::chrono::milliseconds min_hold, size_t capacity)
    : hold_(hold), min_hold_(std::min(min_hold, hold)), capacity_(std::max<size_t>(1, capacity)),
      thread_([this] { Loop(); }) {}

ReaderQuarantine::~ReaderQuarantine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (Entry& entry : held_) {
    std::this_thread::sleep_until(entry.held_at + min_hold_);
    entry.reader.reset();
  }
}

void ReaderQuarantine::Hold(std::unique_ptr<ObjectReader> reader) {
  std::unique_lock<std::mutex> lock(mu_);
  while (held_.size() >= capacity_) {
    Entry oldest = std::move(held_.front());
    held_.pop_front();
    lock.unlock();
    std::this_thread::sleep_until(oldest.held_at + min_hold_);
    oldest.reader.reset();
    lock.lock();
  }
  held_.push_back(Entry{Clock::now(), std::move(reader)});
  lock.unlock();
  cv_.notify_all();
}

size_t ReaderQuarantine::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void ReaderQuarantine::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (held_.empty()) {
      cv_.wait(lock);
      continue;
    }
    if (Clock::now() < held_.front().held_at + hold_) {
      cv_.wait_until(lock, held_.front().held_at + hold_);
      continue;
    }
    std::vector<Entry> expired;
    while (!held_.empty() && held_.front().held_at + hold_ <= Clock::now()) {
      expired.push_back(std::move(held_.front()));
      held_.pop_front();
    }
    lock.unlock();
    expired.clear();  // destroys the readers outside the lock
    lock.lock();
  }
}

}  // namespace natss3::s3d
