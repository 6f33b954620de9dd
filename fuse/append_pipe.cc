// AppendPipe implementation (see append_pipe.h).
#include "append_pipe.h"

namespace natss3::fs {

AppendPipe::AppendPipe(Sink sink) : sink_(std::move(sink)) {
  worker_ = std::thread([this] { Run(); });
}

AppendPipe::~AppendPipe() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();  // Run() empties the queue first
}

void AppendPipe::Push(const char* data, size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queued_ == 0 || queued_ + n <= kMaxQueued; });
  queue_.emplace_back(data, n);
  queued_ += n;
  cv_.notify_all();
}

int AppendPipe::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queued_ == 0; });
  return error_.load();
}

void AppendPipe::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    std::string bytes = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    int err = sink_(bytes);
    lock.lock();
    if (err != 0 && error_.load() == 0) error_ = err;
    queued_ -= bytes.size();
    cv_.notify_all();
  }
}

}  // namespace natss3::fs
