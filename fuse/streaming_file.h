// StreamingFile: the streaming mode of an open file -- a new version written sequentially
// from offset 0 goes straight into an ObjectWriter.
//
// Chosen by FileState when a new, empty version starts (create, O_TRUNC, truncate to 0), and
// when a clean file's whole local copy is appended to (Resume: it is replayed into a new put
// first).
// Left for StagedFile (Stage) on the first write or truncate that is not an append, a read of
// bytes the tee lost, a failed put, or an unlink; for CleanFile at commit (the tee, when it
// holds every byte, becomes the clean file's local copy).
//
// Memory: the writer's window plus the AppendPipe's 4 MiB. The bytes are also teed into a
// local StagingFile while the cache budget allows; beyond it, into a staged blob in NATS (the
// "spill": invisible to every client, purged at commit), so the content stays readable and
// Stage always works unless both failed. Writes past the end (holes) are filled with zeros up
// to kMaxZeroFill and keep streaming. Writes of a file past its first MiB return once queued
// in the AppendPipe: a put error then surfaces as the staged fallback or at close.
//
// Not thread-safe: FileState::io_mu_ serializes every call. While the pipe runs, its worker
// owns the writer, the tee and the spill; Drain() hands them back until the next queued write.
#pragma once

#include <cstdint>
#include <memory>

#include "append_pipe.h"
#include "file_env.h"
#include "staging_file.h"

namespace natss3::fs {

class StagedFile;

class StreamingFile {
 public:
  // Largest hole a streamed file fills with zeros; a larger jump switches to staged.
  static constexpr uint64_t kMaxZeroFill = 64ull << 20;
  // The AppendPipe starts from this size on (small files need no thread).
  static constexpr uint64_t kPipeAfter = 1 << 20;

  // A new, empty version with `meta`. errno when the put cannot start (EROFS: sealed bucket).
  static int Start(const FileEnv* env, const ObjectMeta& meta, std::unique_ptr<StreamingFile>* out);
  // Streams the `size` bytes of `local` into a new put with `meta`, then keeps streaming with
  // `local` as the tee (moved out of it on success only). 0 or errno.
  static int Resume(const FileEnv* env, const ObjectMeta& meta, StagingFile* local, uint64_t size,
                    std::unique_ptr<StreamingFile>* out);

  // Stops the pipe, aborts the put and the spill; the tee goes with its StagingFile.
  ~StreamingFile();
  StreamingFile(const StreamingFile&) = delete;
  StreamingFile& operator=(const StreamingFile&) = delete;

  uint64_t size() const { return size_; }  // including bytes still queued in the pipe

  // Takes the write when it continues the stream (after filling a hole of up to kMaxZeroFill)
  // and returns true, *err being the put's error (the bytes are in the tee or the spill even
  // then). false: not sequential, or the put failed before: the caller stages the file.
  bool Append(uint64_t offset, const char* data, size_t n, int* err);
  // Grows the file with zeros up to `size` (at most kMaxZeroFill more); false when it cannot.
  bool Extend(uint64_t size);
  // Waits for the queued writes (a put error stays in the put's state).
  void Drain();
  // The tee holds [offset, offset + n) (after Drain).
  bool TeeHolds(uint64_t offset, size_t n) const;
  int ReadTee(uint64_t offset, char* buf, size_t n) const;

  // Publishes the version (stops the pipe first); the put is finished either way.
  Result<ObjectInfo> Commit();
  // The tee holds the whole content: after Commit, the file keeps reading it (TakeTee).
  bool HasWholeTee() const;
  StagingFile TakeTee();

  // The content as a StagedFile: the tee [0, tee_end) plus the spill [tee_end, size). EIO when
  // bytes were lost (the cache was full and the spill failed). Stops the pipe; on failure this
  // file stays usable for sequential writes.
  int Stage(std::unique_ptr<StagedFile>* out);
  // natss3fs stops: no more uploads; the tee is kept as a named file (StagingFile).
  void Abandon(const std::string& key);

 private:
  StreamingFile(const FileEnv* env, std::unique_ptr<ObjectWriter> writer);

  int AppendNow(const char* data, size_t n);    // ApplyAppend, and grows size_
  int ApplyAppend(const char* data, size_t n);  // writer + tee at streamed_ (pipe sink)
  int ZeroFill(uint64_t to);
  void Tee(uint64_t offset, const char* data, size_t n);
  void DropSpill();
  void StopPipe() { pipe_.reset(); }

  const FileEnv* env_;
  std::unique_ptr<ObjectWriter> writer_;
  bool writer_failed_ = false;
  uint64_t size_ = 0;      // bytes written, queued ones included
  uint64_t streamed_ = 0;  // bytes given to writer_ (== size_ once drained)
  StagingFile tee_;        // holds [0, tee_end_) when open
  uint64_t tee_end_ = 0;
  std::unique_ptr<StagedWriter> spill_;  // holds [tee_end_, size_) when set
  bool spill_failed_ = false;            // bytes past tee_end_ are lost
  // Last: its worker applies queued appends through ApplyAppend until it is destroyed.
  std::unique_ptr<AppendPipe> pipe_;
};

}  // namespace natss3::fs
