// ReadStream: the sequential reader of one open file.
//
// One pipelined ObjectReader (the core keeps `window` chunk fetches in flight ahead of it)
// serves every request at or a little ahead of its position. The kernel sends readahead
// requests concurrently and the multithreaded session loop may deliver them out of order
// (1 MiB at 2 MiB before 1 MiB at 1 MiB), so the bytes the stream reads past to reach a later
// request are kept (the "gap", at most kMaxAhead) for the earlier request still on its way,
// instead of being fetched a second time.
//
// Thread-safety: all methods may be called from any thread. mu_ serializes the transfer of
// this one stream and is held across its NATS reads (the documented exception, like
// FileState::io_mu_); Near() reads an atomic snapshot and never waits.
// Memory: the reader's window plus the gap (<= kMaxAhead), freed as it is consumed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "natss3/object_store.h"

namespace natss3::fs {

class ReadStream {
 public:
  static constexpr uint64_t kMaxAhead = 4ull << 20;
  // A request up to this far ahead is reached by reading through (the last kMaxAhead bytes
  // are kept) rather than by reopening.
  static constexpr uint64_t kMaxSkip = 16ull << 20;
  // Read() result: the bytes from offset + *got on are behind the stream (already delivered
  // and dropped); the caller reads them positionally.
  static constexpr int kBehind = -1;
  // Opens a sequential reader starting at `offset`, as a positive errno on failure.
  using Opener = std::function<int(uint64_t offset, std::unique_ptr<ObjectReader>* out)>;

  ReadStream() = default;
  ~ReadStream() { Drop(); }
  ReadStream(const ReadStream&) = delete;
  ReadStream& operator=(const ReadStream&) = delete;
  // Counts this stream in *active while it holds a reader (the mount sizes windows by it);
  // may be null.
  void Attach(std::atomic<int>* active) { active_ = active; }

  // True when the stream can serve `offset` without reopening: it is in the gap or at most
  // kMaxSkip past the stream position.
  bool Near(uint64_t offset) const;
  bool open() const { return end_.load() != 0; }
  // Reads [offset, offset + n): *got < n only at the end of the object. Reopens at `offset`
  // (through `open`) when it is past the stream's reach. 0, kBehind, or errno; an error
  // closes the stream.
  int Read(uint64_t offset, char* buf, size_t n, size_t* got, const Opener& open);
  // Drops the reader and the gap (memory) after a failure or when the handle closes.
  void Close();

 private:
  bool InGap(uint64_t offset) const {
    return offset >= gap_start_ && offset - gap_start_ < gap_.size();
  }
  int SkipTo(uint64_t offset);  // reads [pos_, offset) into the gap
  void Drop();                  // releases the reader and the gap (mu_ held or unshared)
  void Publish();               // updates the Near() snapshot (mu_ held)

  std::mutex mu_;
  std::atomic<int>* active_ = nullptr;
  std::unique_ptr<ObjectReader> reader_;
  uint64_t pos_ = 0;        // next byte the reader returns
  uint64_t gap_start_ = 0;  // gap_ holds [gap_start_, gap_start_ + gap_.size()), ending at pos_
  std::string gap_;
  std::atomic<uint64_t> begin_{0}, end_{0};  // Near() range; end_ 0 when closed
};

}  // namespace natss3::fs
