// Filesystem: natss3fs's POSIX view of a NATS object store, with no FUSE types in it.
//
// Every method maps to one low-level FUSE operation, returns 0 or a positive errno, and is
// safe to call from any number of threads (the adapter runs the multithreaded session loop).
// Names: inside a bucket, '/' separates directories. A directory exists when some object name
// starts with "<dir>/" (an implied directory) or a "<dir>/" marker object exists; a file and
// a directory of the same name show as the directory. readdir/lookup/getattr are answered from
// the core's ListingIndex (no request per entry). See fuse/SEMANTICS.md for the user contract.
//
// Lock order (outer to inner); none is held across a NATS call or a FUSE reply, except
// FileState::io_mu_, which serializes the data transfer of its one file (see file_state.h):
//   FileState::io_mu_ -> FileState::mu_ -> Handle::mu -> Filesystem::mu_ -> InodeTable::mu_
//   notify_mu_ is a leaf.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "file_state.h"
#include "fs_types.h"
#include "inode_table.h"
#include "natss3/listing_index.h"
#include "natss3/object_store.h"

namespace natss3::fs {

// Kernel cache invalidation, implemented by the FUSE adapter. Called from one notifier thread,
// never from inside an operation, with no lock held.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void InvalInode(uint64_t ino) = 0;
  virtual void InvalEntry(uint64_t parent, const std::string& name) = 0;
};

class Filesystem {
 public:
  // Chunk fetches in flight shared by the sequential readers of the mount (32 MiB of 128 KiB
  // chunks): one stream gets read_window_max, 100 streams get read_window each.
  static constexpr int kReadBudgetChunks = 256;
  // Largest file when neither -o max_file_size, the bucket's max_bytes nor the JetStream
  // account's storage limit says (an account without a limit is bounded only by the server's
  // disk, which accounts cannot see): a sane bound instead of none.
  static constexpr uint64_t kDefaultMaxFileSize = 1ull << 40;

  Filesystem(std::shared_ptr<ObjectStore> store, FsOptions options);
  ~Filesystem();  // Shutdown()
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  const FsOptions& options() const { return options_; }
  // Starts delivering invalidations (nullptr stops). The notifier must outlive the mount.
  void SetNotifier(Notifier* notifier);
  // The mount is ending (SIGTERM, unmount): every upload in progress gives up (EIO) and no
  // file is published any more. Safe from any thread. Idempotent.
  void Stop();
  // Stop(), then abandons every open file with pending data (never published: its staged
  // bytes are kept in the cache directory, see FileState::Abandon) and stops the notifier
  // thread. Idempotent.
  void Shutdown();

  // Successful Lookup/Create/Mkdir/Mknod add one kernel reference to out->ino.
  int Lookup(uint64_t parent, std::string_view name, Attr* out);
  void Forget(uint64_t ino, uint64_t lookups);
  int GetAttr(uint64_t ino, Attr* out);
  // Mode bits the mount may not write are dropped (attrs.h WritableModeBits), and so are the
  // setuid and setgid bits unless `caller` is root or owns the file.
  int SetAttr(uint64_t ino, const SetAttrIn& in, Attr* out, const Caller& caller = {});

  int OpenDir(uint64_t ino, uint64_t* fh);
  // Passes the entries from `offset` (0 = start; "." and ".." first) to `add` until it returns
  // false (the reply is full; that entry is not sent) or the directory ends. With plus, each
  // entry `add` accepted, except "." and "..", carries one kernel reference.
  using DirFiller = std::function<bool(const DirEntryOut& entry)>;
  int ReadDir(uint64_t ino, uint64_t fh, off_t offset, bool plus, const DirFiller& add);
  void ReleaseDir(uint64_t fh);

  // New files and directories get `mode` less the bits the mount may not write; with
  // trust_metadata_owner they also record `caller` as their owner (as a local file system).
  int Create(uint64_t parent, std::string_view name, uint32_t mode, int flags, Attr* attr,
             OpenOut* out, const Caller& caller = {});
  int Mknod(uint64_t parent, std::string_view name, uint32_t mode, Attr* out,
            const Caller& caller = {});
  int Open(uint64_t ino, int flags, OpenOut* out);
  int Read(uint64_t fh, uint64_t offset, size_t size, char* buf, size_t* got);
  int Write(uint64_t fh, uint64_t offset, const char* data, size_t size);
  int Flush(uint64_t fh);  // close(2): commits pending data of the file
  int Fsync(uint64_t fh);
  int Release(uint64_t fh);

  int Mkdir(uint64_t parent, std::string_view name, uint32_t mode, Attr* out,
            const Caller& caller = {});
  int Unlink(uint64_t parent, std::string_view name);
  int Rmdir(uint64_t parent, std::string_view name);
  int Rename(uint64_t parent, std::string_view name, uint64_t new_parent,
             std::string_view new_name, unsigned int flags);
  int StatFs(uint64_t ino, StatFsOut* out);

  // For tests and the benchmark.
  size_t inode_count() const { return inodes_.size(); }
  uint64_t cache_used() const { return budget_.used(); }

 private:
  struct Handle;
  struct DirHandle;
  struct OpenFile {
    std::shared_ptr<FileState> state;
    int handles = 0;
  };
  // What a path is, resolved from the index (and open files).
  struct Resolved {
    bool is_dir = false;
    uint64_t size = 0;
    Headers headers;
    TimePoint mtime{};
  };

  // filesystem.cc
  Result<std::shared_ptr<ListingIndex>> IndexFor(const std::string& bucket);
  int Resolve(const std::string& bucket, const std::string& path, Resolved* out);
  int ResolveDir(const std::string& bucket, const std::string& path, Resolved* out,
                 bool* exists);
  int CheckBucket(const std::string& bucket, Resolved* out);
  // EROFS for a read-only mount or a sealed bucket (bucket state cached for a few seconds).
  int CheckWritable(const std::string& bucket);
  // The size no file of `bucket` may exceed (EFBIG): -o max_file_size, else the smaller of
  // the bucket's max_bytes and the account's storage left, else kDefaultMaxFileSize.
  uint64_t MaxFileSize(const std::string& bucket);
  // Bucket facts cached for a few seconds (0, or an errno when the bucket cannot be read).
  struct BucketFacts {
    std::chrono::steady_clock::time_point checked;
    bool sealed = false;
    int64_t max_bytes = -1;
  };
  int Facts(const std::string& bucket, BucketFacts* out);
  int ParentPath(uint64_t parent, std::string_view name, InodeInfo* dir, std::string* path);
  Attr AttrOf(uint64_t ino, const Resolved& r) const;
  // The attribute headers of a new file or directory made by `caller`.
  Headers NewHeaders(uint32_t mode, bool is_dir, const Caller& caller) const;
  std::shared_ptr<FileState> OpenState(uint64_t ino);
  void OnChange(const std::string& bucket, const ObjectInfo& info);
  void NotifyLoop();
  int ListDir(const InodeInfo& dir, DirHandle* handle);

  // filesystem_io.cc
  std::shared_ptr<Handle> GetHandle(uint64_t fh);
  // The object's current record, a link's target instead of the link.
  Result<ObjectInfo> CurrentVersion(const std::string& bucket, const std::string& path);
  int AttachFile(uint64_t ino, const InodeInfo& info, std::shared_ptr<FileState>* state);
  void DetachFile(uint64_t ino);
  int ReadStore(Handle& handle, uint64_t offset, size_t size, char* buf, size_t* got);
  int CommitFile(FileState& state);
  int UpdateAttrs(const InodeInfo& info, const SetAttrIn& in);
  // Whether an open handle other than `except_fh` (a writable one, with `writable_only`) holds
  // `ino`; a handle being released is no longer counted.
  bool OtherHandles(uint64_t ino, bool writable_only, uint64_t except_fh);
  bool PublishesAtClose(uint64_t fh, const Handle& handle);

  // filesystem_ns.cc
  int RenameDir(const std::string& bucket, const std::string& from, const std::string& to);
  // A metadata-only rename; `replace`: a live target is replaced in the same step.
  int RenameObject(const std::string& bucket, const std::string& from, const std::string& to,
                   bool replace);

  std::shared_ptr<ObjectStore> store_;
  const FsOptions options_;
  const TimePoint mount_time_;
  InodeTable inodes_;
  CacheBudget budget_;

  std::atomic<int> active_streams_{0};  // sequential readers holding a core reader

  std::mutex mu_;  // guards everything below up to notify_mu_
  uint64_t next_fh_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Handle>> handles_;
  std::unordered_map<uint64_t, std::shared_ptr<DirHandle>> dir_handles_;
  std::unordered_map<uint64_t, OpenFile> files_;  // by ino
  struct IndexSlot {
    std::shared_ptr<ListingIndex> index;
    int listener = 0;
  };
  std::map<std::string, IndexSlot> indexes_;
  std::map<std::string, BucketFacts> bucket_facts_;
  // Set by Stop(); FileStates read it through a pointer and give up their uploads.
  std::atomic<bool> stopping_uploads_{false};

  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  std::deque<std::pair<std::string, std::string>> notify_queue_;  // (bucket, object name)
  Notifier* notifier_ = nullptr;
  bool stopping_ = false;
  std::thread notify_thread_;
  std::thread preload_thread_;  // loads the index of --bucket at start
};

}  // namespace natss3::fs
