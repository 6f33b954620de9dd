// FileState: one file while it is open for writing (shared by its handles) -- the handle the
// Filesystem uses, holding the attributes getattr sees and the content in one of three modes.
//
// Modes (each its own type, holding only its own state; see their headers). Exactly one is
// the content object at any time (a std::variant):
//  - CleanFile (clean_file.h): nothing to publish; the content is the committed version,
//    read from the object store, or from the StagedFile a commit left behind when the whole
//    content was local (the clean local copy). The mode at open, after every commit, after a
//    failed change of a clean file, and after losing unpublished bytes.
//  - StreamingFile (streaming_file.h): a new version written sequentially from offset 0,
//    streamed into a put. Entered by BeginFresh (create, O_TRUNC, truncate to 0), or by an
//    append to a clean file's whole local copy.
//  - StagedFile (staged_file.h): random access over a local staging file and base segments,
//    uploaded whole at commit; always holds changes to publish. Entered from clean or
//    streaming by the first write, truncate or (streaming only) read that the mode before
//    cannot serve.
// Transitions: clean -> streaming (BeginFresh; CleanFile::Resume on an append to the whole
// local copy); clean -> staged (CleanFile::Stage: the local copy, else StagedFile::FromStore;
// a first change that fails returns the staged file to clean as its copy); streaming ->
// staged (StreamingFile::Stage: a seek, a truncate or a hole beyond kMaxZeroFill, a read of
// spilled bytes, a failed put, an unlink); any -> streaming (BeginFresh); commit -> clean
// (with the tee or the staged file as its local copy when it holds the whole content, else
// without); a failed streamed commit -> staged (retried by the next flush), or clean when
// bytes were lost. Replacing the content object (Become; DropContent: clean without a copy) is
// the one teardown: the replaced mode's destructor stops its pipe, aborts its put and spill,
// purges its staged blobs and closes its staging file.
//
// A crash before Commit leaves the old version (or nothing): the object store only shows a
// version once its meta is published by ObjectWriter::Commit; staged blobs have no meta.
// Stopping natss3fs never commits either (Abandon): a file the application did not close is
// not published, and uploads in progress give up when the mount's stop flag is raised.
//
// The committed version reads come from (version()) is held (ObjectStore::HoldVersion) while
// the file is open, and read by its info, never by path: after an unlink or a rename over it
// the open handles keep reading it, and its chunks are purged only after the last close.
// Unpublished data of an unlinked file stays readable through its handles too (Discard).
//
// Lock order: io_mu_ before mu_ (before the AppendPipe's own lock). io_mu_ serializes the data
// transfer of this one file (every mode object is single-threaded) and is held across its NATS
// calls and disk I/O; mu_ guards the small fields getattr needs and is never held across I/O,
// so stat never waits for NATS. Neither is held while the caller replies to FUSE.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "clean_file.h"
#include "file_env.h"
#include "fs_types.h"
#include "natss3/object_store.h"

namespace natss3::fs {

class StreamingFile;

class FileState {
 public:
  // `stopping`, when set, makes every upload of this file give up (EIO) from then on.
  FileState(ObjectStore* store, std::string bucket, std::string key, const FsOptions* options,
            CacheBudget* budget, const std::atomic<bool>* stopping);
  ~FileState();  // aborts an uncommitted put, drops the staging file
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;

  // State at first open: the object's current version (none: it does not exist) and the
  // headers attributes come from (a link's own).
  void InitExisting(std::optional<ObjectInfo> version, Headers headers);
  // Starts a new, empty version (create, O_TRUNC). Errors as errno (EROFS for a sealed
  // bucket); the content is unchanged then.
  int BeginFresh();
  int Write(uint64_t offset, const char* data, size_t n);
  int Truncate(uint64_t size);
  // Reads pending or staged content. *served false: the caller must read the object store.
  int Read(uint64_t offset, char* buf, size_t n, size_t* got, bool* served);
  // Publishes pending content as the new object version; no-op when clean, unlinked, or (EIO)
  // once natss3fs stops. Fills *committed (when given) with the new version once the data is
  // published, also when applying the attributes or a rename to it failed afterwards (the
  // error is returned then).
  int Commit(std::optional<ObjectInfo>* committed);
  // The name was unlinked (or renamed over): never commit. Unpublished bytes stay readable
  // through the open handles until the last close, like the committed version.
  void Discard();
  // natss3fs stops with this file still open: never commit, give up the upload, and keep the
  // locally staged bytes (if any) as a named file in the cache directory, logged on stderr.
  void Abandon();

  // Attribute changes while open: applied to the next commit (or to the store by the caller).
  void ApplyAttrs(const SetAttrIn& in);
  void Rename(std::string key);
  // Headers to use for a metadata-only update of the committed object.
  Headers headers() const;
  uint64_t size() const;
  bool exists() const;
  bool pending() const;  // uncommitted data that will be published (not after Discard)
  std::string key() const;
  // The committed version reads of unchanged content come from (held while this lives).
  std::optional<ObjectInfo> version() const;

 private:
  // The content object: exactly one mode.
  using Content =
      std::variant<CleanFile, std::unique_ptr<StreamingFile>, std::unique_ptr<StagedFile>>;

  // All with io_mu_ held.
  CleanFile* clean() { return std::get_if<CleanFile>(&content_); }
  StreamingFile* streaming();
  StagedFile* staged();
  int BeginFreshLocked();
  int ToStaged();  // from streaming or clean; errno leaves the mode as it was
  // A write or truncate of the staged content (staged first). When the file was clean and the
  // change fails, the staged file goes back to clean as its copy: nothing is pending.
  template <typename Change>
  int ChangeStaged(Change change);
  void ResumeStreaming();     // clean local copy -> streaming (best effort)
  void Become(Content next);  // the one teardown: the mode replaced is destroyed
  void DropContent();         // -> clean, without a local copy
  bool Stopping() const { return env_.Stopping(); }
  bool Discarded() const;         // mu_ not held
  void SetSize(uint64_t size);    // mu_ not held
  ObjectMeta CommitMeta() const;  // mu_ not held
  // After a streamed commit: applies attribute changes and a rename made while streaming
  // (the writer's meta was fixed when it started) to the version just committed.
  int UpdateCommitted(ObjectInfo* info);

  FileEnv env_;  // borrowed by the mode objects

  std::mutex io_mu_;
  Content content_;  // clean (no copy) from the constructor on

  mutable std::mutex mu_;
  std::string key_;
  uint64_t size_ = 0;  // the content's size (the mode's), or the version's when clean
  bool exists_ = false;
  bool pending_ = false;
  bool discarded_ = false;        // unlinked or abandoned: never commits
  bool headers_changed_ = false;  // attrs changed after the writer captured its meta
  Headers headers_;
  std::optional<timespec> explicit_mtime_;
  std::optional<ObjectInfo> version_;
  std::shared_ptr<void> hold_;  // HoldVersion token of version_
};

}  // namespace natss3::fs
