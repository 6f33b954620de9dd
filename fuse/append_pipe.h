// AppendPipe: applies appended bytes in order on a worker thread, so the hashing and publishing
// of a streamed put overlap with the kernel sending the next write.
//
// Memory: at most kMaxQueued bytes wait (Push blocks beyond that). The sink runs on the worker
// thread only, one call at a time, in push order; once Drain() returns, every pushed byte went
// through it and the worker is idle, so the owner may touch what the sink touches until its
// next Push. Thread-safety: Push and Drain from the owner (serialized by it); failed() anywhere.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace natss3::fs {

class AppendPipe {
 public:
  static constexpr size_t kMaxQueued = 4 << 20;
  using Sink = std::function<int(const std::string& bytes)>;  // 0 or errno

  explicit AppendPipe(Sink sink);
  ~AppendPipe();  // drains, then ends the worker
  AppendPipe(const AppendPipe&) = delete;
  AppendPipe& operator=(const AppendPipe&) = delete;

  void Push(const char* data, size_t n);
  // Waits until the queue is empty and the worker idle; returns the first sink error (0 if
  // none) since the pipe started.
  int Drain();
  // A sink call failed: the owner should Drain() and take over.
  bool failed() const { return error_.load() != 0; }

 private:
  void Run();

  Sink sink_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;  // bytes in queue_ plus the one being applied
  bool stop_ = false;
  std::atomic<int> error_{0};
  std::thread worker_;
};

}  // namespace natss3::fs
