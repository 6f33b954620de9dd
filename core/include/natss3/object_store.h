// The object-store interface every front end uses; the NATS implementation is in nats_store.h.
//
// Contract for every method:
//  - Thread-safe: any number of threads may call any method of one ObjectStore at once.
//    Writers, readers and watchers are each used by one thread at a time.
//  - Never throws; errors are Status codes (see status.h). A deleted object is kNotFound.
//  - Blocking calls are bounded by the store's request timeout (ConnectOptions::timeout) unless
//    an option says otherwise.
//  - Bucket names must match ^[a-zA-Z0-9_-]+$ (kInvalidArgument otherwise). Object names are any
//    non-empty UTF-8 string whose meta subject fits the server's control line (names.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natss3/object_lock.h"
#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3 {

class ListingIndex;

// Streaming put. Bytes go out as they come: full chunks are published asynchronously with at
// most `window` default-size chunks' worth in flight (chunks larger than 128 KiB count for
// more; at least 4 are in flight), so memory is bounded by window * 128 KiB (default 4 MiB)
// plus one chunk being filled (4 chunks for chunks above 1 MiB), whatever the object size.
// Nothing becomes visible until Commit(). Destroying an uncommitted writer aborts it.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // Appends bytes. Fails (and aborts the put, purging its chunks) on a publish error.
  virtual Status Write(std::string_view data) = 0;
  // Bytes accepted so far.
  virtual uint64_t size() const = 0;
  // Digests of everything written so far (cheap: copies the hash state). Lets a front end
  // check Content-MD5 or a checksum before it commits.
  virtual std::string Md5Hex() const = 0;
  virtual std::string Sha256Raw() const = 0;  // 32 raw bytes
  // Changes the meta the commit will publish (e.g. a checksum known only at the end of the
  // body). The name and link cannot change. Before Commit only (kFailedPrecondition after).
  virtual Status AmendMeta(const std::function<void(ObjectMeta&)>& edit) = 0;
  // Flushes, waits for every chunk ack, then publishes the meta (Nats-Rollup: sub) as a
  // conditional publish on the meta subject's last sequence: the version replaced is whatever
  // is current at that moment, never one looked up earlier. If another writer commits in
  // between, the commit retries on top of it (last commit wins) unless
  // PutOptions::expected_revision is set (then kFailedPrecondition). Only after the new meta
  // is acknowledged are the replaced version's chunks released (ObjectStore::HoldVersion,
  // release_grace). On any failure the new chunks are purged and the previous version stays
  // visible. A put that ran longer than a quarter of the reclamation grace is checked after
  // its meta is stored: if its chunks were reclaimed meanwhile (the process was frozen), the
  // previous version is restored and the commit fails (kUnavailable, Detail::kStalledUpload).
  // May be called once.
  virtual Result<ObjectInfo> Commit() = 0;
  // Discards the upload: waits for chunks in flight and purges them. Idempotent.
  virtual void Abort() = 0;
};

struct PutOptions {
  uint32_t chunk_size = 0;  // 0: meta.max_chunk_size or 128 KiB; capped at server max_payload
  int window = 32;          // chunk publishes in flight, in 128 KiB units (see ObjectWriter)
  // Optimistic concurrency: when set, Commit fails with kFailedPrecondition unless the meta
  // subject's last sequence is this value (0 = the object must not exist at all).
  std::optional<uint64_t> expected_revision;
  // The new version's nuid (22 characters of [0-9A-Za-z]); empty: a fresh one. Lets a caller
  // record the nuid durably before the put, so a crash can later be told apart from success
  // (multipart Complete). Never reuse one.
  std::string nuid;
  // Record the content's MD5 (header Natss3-Content-Md5): what S3 clients see as the ETag.
  // Off, the object costs one hash less (MD5 is the slowest: ~1.7 CPU-s/GiB here) and its ETag
  // is the digest-derived "-1" form, which no client mistakes for an MD5. natss3fs and
  // natss3ctl write without it unless asked; natss3d always records it.
  bool md5 = true;
};

struct ReadOptions {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  // nullopt: to the end. Clamped to the object size.
  // Bound for the whole read when no progress happens (a chunk does not arrive).
  std::chrono::milliseconds idle_timeout{30000};
  // Chunks requested and not yet consumed, in 128 KiB units like PutOptions::window (objects
  // with larger chunks get proportionally fewer, at least 4): the read's memory budget is
  // window * 128 KiB = 16 MiB. 128 rather than 64 gains ~10 % on 1 GiB whole reads here.
  int window = 128;
  // Verify SHA-256 at EOF (only for whole-object reads; ranged reads cannot).
  bool verify_digest = true;
};

// Streaming get. Nothing is pushed that the reader did not ask for: a bounded window of direct
// gets (small objects, ranges) or of pull-consumer requests (whole reads of 64 chunks or more),
// so a slow reader only slows the fetches (no slow-consumer disconnect, bounded memory).
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Info of the object actually read (the target when a link was followed).
  virtual const ObjectInfo& info() const = 0;
  // Reads up to n bytes of the selected range; 0 at its end. A whole-object read that ends with
  // a digest mismatch or missing chunks returns kDataLoss, never short data with OK.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  // Read without the copy: the next bytes (at most n, empty at the end) as a view into the
  // reader's own buffer, valid until the next call on this reader. A reader without such a
  // buffer reads into `scratch`.
  virtual Result<std::string_view> ReadView(size_t n, std::string& scratch) {
    scratch.resize(n);
    auto got = Read(scratch.data(), n);
    if (!got.ok()) return got.status();
    return std::string_view(scratch.data(), *got);
  }
  // Positional read anywhere in the object, independent of Read()'s position. Transfers only
  // the chunks that overlap [offset, offset+n). Returns min(n, size - offset) bytes (never
  // short inside the object), 0 at or past the end; kDataLoss when chunks are missing.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) = 0;
};

struct WatchOptions {
  bool include_history = false;  // deliver all meta messages, not just the last per name
  bool updates_only = false;     // only changes after the watch starts; no end marker
  bool ignore_deletes = false;   // drop delete markers (the end marker is still sent)
  // Non-zero: every meta message after this stream sequence, in order (a catch-up from a
  // listing snapshot current to it), then the end marker, then live updates.
  uint64_t start_after = 0;
};

struct WatchEvent {
  enum class Kind { kUpdate, kEndOfInitial };
  Kind kind = Kind::kUpdate;
  ObjectInfo info;  // only for kUpdate (deleted == true for a delete marker)
};

class Watcher {
 public:
  virtual ~Watcher() = default;
  // Next event; kDeadlineExceeded when none arrived within timeout; kCancelled after Stop().
  virtual Result<WatchEvent> Next(std::chrono::milliseconds timeout) = 0;
  // Unblocks Next() from another thread and ends the watch.
  virtual void Stop() = 0;
};

// Data written into a bucket without a meta record: invisible to every object-store client.
// Used for multipart parts; composed into a real object later, purged afterwards.
struct StagedBlob {
  std::string nuid;
  uint64_t size = 0;
  uint32_t chunks = 0;
  uint32_t chunk_size = 0;
  std::string md5_hex;
  std::string sha256_raw;
};

class StagedWriter {
 public:
  virtual ~StagedWriter() = default;
  virtual Status Write(std::string_view data) = 0;
  virtual uint64_t size() const = 0;
  virtual std::string Md5Hex() const = 0;
  // Waits for every ack and returns the blob. On failure the chunks are purged.
  virtual Result<StagedBlob> Finish() = 0;
  virtual void Abort() = 0;  // purges; idempotent; also done by the destructor if not finished
};

// Small durable records (JetStream key-value bucket) for front-end state such as multipart
// uploads. Keys: [-/_=.a-zA-Z0-9]+, not starting or ending with '.'.
class RecordStore {
 public:
  virtual ~RecordStore() = default;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Result<std::string> Get(std::string_view key) = 0;  // kNotFound when absent/deleted
  // Get for settings read on every request (bucket ACL, CORS, policy): a replicated store's
  // replica answers, and its "not found" is confirmed by the stream leader only when the
  // leader answers at once. After a server's loss, while a new leader is elected, this does
  // not wait (Get does, so that a record just stored through another process is found); a
  // record stored through another process a moment before may then be missed.
  virtual Result<std::string> GetQuick(std::string_view key) { return Get(key); }
  // The value with its revision and the server's time of the write.
  struct Record {
    std::string value;
    uint64_t revision = 0;
    TimePoint time{};
  };
  virtual Result<Record> GetRecord(std::string_view key) = 0;
  virtual Status Delete(std::string_view key) = 0;            // OK when absent
  virtual Result<std::vector<std::string>> Keys(std::string_view prefix) = 0;
};

// Edits a meta record. Called with the object's current info and changes info.meta:
// description, headers, metadata, and name (a different name is a rename). It may return a
// non-OK Status to give up; nothing is written then. It is called again, with fresh info,
// whenever the object changed between the read and the conditional write, so it must derive
// its edits from the info it is given (e.g. set one header, never restore a whole old set).
using MetaMutator = std::function<Status(ObjectInfo& info)>;

struct ModifyOptions {
  // A rename onto a live object replaces it (POSIX rename) instead of kAlreadyExists (nats.go).
  bool replace_target = false;
  // The caller may shorten or remove GOVERNANCE retention (object_lock.h CheckLockChange).
  bool bypass_governance = false;
};

struct DeleteOptions {
  // The caller may delete an object under GOVERNANCE retention (not under a legal hold or
  // COMPLIANCE retention). Front ends set it only for callers allowed to.
  bool bypass_governance = false;
};

// What a garbage collection found (ObjectStore::CollectGarbage).
struct GcReport {
  struct Orphan {
    std::string nuid;
    uint64_t messages = 0;               // chunk messages on its subject
    uint64_t bytes = 0;                  // approximate: messages x the newest chunk's size
    std::chrono::milliseconds age{0};    // since its newest chunk was stored (server clock)
    bool purged = false;                 // false: younger than the grace, or a dry run
  };
  uint64_t chunk_subjects = 0;   // chunk subjects in the stream
  uint64_t referenced = 0;       // of them: referenced by a meta, an upload part or a pin
  uint64_t protected_only = 0;   // of those: by no meta, only a part, pin, upload or grace
  std::vector<Orphan> orphans;   // unreferenced chunk subjects
  uint64_t purged_messages = 0;
  int stale_pins = 0;            // pins of processes that are gone (removed unless dry run)
  int live_pins = 0;             // pins of live processes (kept; they turn stale later)
  int orphan_part_records = 0;   // part records of uploads that no longer exist (removed)
  int renames_resolved = 0;      // renames interrupted by a crash, finished or undone
  int uploads_finished = 0;      // multipart uploads whose Complete committed, then crashed
  int listing_missed = 0;        // live objects the listing lacked (put back, kept)
  uint64_t stream_bytes_before = 0, stream_bytes_after = 0;
};

struct GcOptions {
  bool purge = false;  // false: a dry run, nothing is changed
  // Orphans whose newest chunk is younger than this are left alone (a put in progress in a
  // process whose pin is not written yet). nullopt: the store's ConnectOptions::gc_grace.
  std::optional<std::chrono::milliseconds> grace;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // ---- Connection
  // OK when the server is reachable and JetStream answers.
  virtual Status Health() = 0;
  virtual uint64_t MaxPayload() const = 0;
  // File storage of the JetStream account: bytes used, and its limit (-1: the account has
  // none; the server's own store limit is not visible to accounts).
  struct AccountStorage {
    uint64_t used = 0;
    int64_t limit = -1;
  };
  virtual Result<AccountStorage> GetAccountStorage() = 0;

  // ---- Buckets
  // Creating over an identical bucket succeeds; a different config is kAlreadyExists.
  virtual Result<BucketStatus> CreateBucket(const BucketConfig& config) = 0;
  virtual Result<BucketStatus> UpdateBucket(const BucketConfig& config) = 0;
  // Irreversible; kNotFound when missing.
  virtual Result<BucketStatus> SealBucket(std::string_view bucket) = 0;
  // kFailedPrecondition (Detail::kObjectLocked) while an object of the bucket is under object
  // lock: its stream, and the data with it, would go.
  virtual Status DeleteBucket(std::string_view bucket) = 0;
  virtual Result<BucketStatus> GetBucketStatus(std::string_view bucket) = 0;
  // Every OBJ_* stream, sorted by bucket name.
  virtual Result<std::vector<BucketStatus>> ListBuckets() = 0;
  // The bucket's Object Lock configuration (object_lock.h): {enabled = false} when it has none.
  // Read from the shared record (ObjectLockRecordKey) without creating the record store;
  // cached for up to a second per process, except that this store's own Put is seen at once.
  virtual Result<ObjectLockConfig> GetObjectLockConfig(std::string_view bucket) = 0;
  // Replaces the configuration (a disabled one removes the record; the same one writes
  // nothing). Disabling is refused while an object of the bucket is under object lock, and a
  // bucket whose objects expire (a TTL) cannot enable it: expiry would remove locked objects
  // (both kFailedPrecondition, Detail::kObjectLocked). kNotFound for a
  // missing bucket. New objects committed in the bucket get the default retention (if any)
  // unless their meta names a retention of its own.
  virtual Status PutObjectLockConfig(std::string_view bucket, const ObjectLockConfig& config) = 0;

  // ---- Objects
  // Starts a put of meta.name. kInvalidArgument for an empty/too long name or meta.link set,
  // kNotFound for a missing bucket, kFailedPrecondition for a sealed bucket.
  virtual Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view bucket,
                                                          const ObjectMeta& meta,
                                                          const PutOptions& options = {}) = 0;
  // Convenience: put a whole buffer.
  Result<ObjectInfo> PutBytes(std::string_view bucket, const ObjectMeta& meta,
                              std::string_view data, const PutOptions& options = {});

  // Info by direct get of the meta subject. Links are returned as links (not followed).
  virtual Result<ObjectInfo> GetInfo(std::string_view bucket, std::string_view name,
                                     bool show_deleted = false) = 0;
  // The newest meta record of `name`, deleted ones too, as the stream leader has it: for a
  // decision a lagging replica must not make (a listing dropping a name). kNotFound when the
  // meta subject holds no record. Waits for a leader within the request budget.
  virtual Result<ObjectInfo> LatestInfo(std::string_view bucket, std::string_view name) {
    return GetInfo(bucket, name, /*show_deleted=*/true);
  }
  // Opens a read; follows an object link (one level). A bucket link is kFailedPrecondition.
  virtual Result<std::unique_ptr<ObjectReader>> Open(std::string_view bucket,
                                                     std::string_view name,
                                                     const ReadOptions& options = {}) = 0;
  // Opens a read of exactly the version `info` describes (from GetInfo, a listing or a watch)
  // without another meta lookup: callers that already hold the info save a round trip. Links
  // are not followed (kFailedPrecondition). If that version was replaced or deleted since,
  // the read fails with kDataLoss (its chunks are gone), never with other bytes.
  virtual Result<std::unique_ptr<ObjectReader>> OpenInfo(const ObjectInfo& info,
                                                         const ReadOptions& options = {}) = 0;
  // Convenience: whole object into memory (tests and tiny objects only).
  Result<std::string> GetBytes(std::string_view bucket, std::string_view name);

  // Marks deleted (Go semantics: deleting a deleted object is OK, a never-existing one is
  // kNotFound) with a conditional publish, then releases the chunks of the version it marked.
  // An object under object lock (object_lock.h) is not deleted: kPermissionDenied with
  // Detail::kObjectLocked. Delete(b, n) is DeleteWithOptions(b, n, {}).
  virtual Status Delete(std::string_view bucket, std::string_view name) = 0;
  virtual Status DeleteWithOptions(std::string_view bucket, std::string_view name,
                                   const DeleteOptions& options) = 0;
  // Applies `mutate` to the current meta and writes it back conditionally, re-reading and
  // re-applying on a conflict (bounded; kFailedPrecondition/kWrongLastSequence after that).
  // Data fields (nuid, size, chunks, digest) always come from the record being replaced, so
  // an older data layout is never written back. kNotFound for a missing or deleted object.
  // A rename is crash-safe: the old name first becomes a "moved" delete marker that still
  // names the data, then the new name is written, then the marker is purged; a crash in
  // between is finished or undone by CollectGarbage. kAlreadyExists when the new name is a
  // live object, unless options.replace_target (its replaced version is then released).
  virtual Result<ObjectInfo> ModifyMeta(std::string_view bucket, std::string_view name,
                                        const MetaMutator& mutate,
                                        const ModifyOptions& options = {}) = 0;
  // nats.go's UpdateMeta: replaces name, description, headers and metadata of the current
  // version; keeps data. ModifyMeta with a mutator that sets those four fields.
  Result<ObjectInfo> UpdateMeta(std::string_view bucket, std::string_view name,
                                const ObjectMeta& meta);
  virtual Result<ObjectInfo> AddLink(std::string_view bucket, std::string_view name,
                                     const ObjectInfo& target) = 0;
  virtual Result<ObjectInfo> AddBucketLink(std::string_view bucket, std::string_view name,
                                           std::string_view target_bucket) = 0;
  // All objects in stream order (Go's List); empty vector when there are none.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view bucket,
                                               bool show_deleted = false) = 0;
  virtual Result<std::unique_ptr<Watcher>> Watch(std::string_view bucket,
                                                 const WatchOptions& options = {}) = 0;

  // The always-current sorted listing of a bucket, shared per bucket and kept by this store.
  virtual Result<std::shared_ptr<ListingIndex>> Index(std::string_view bucket) = 0;

  // ---- Keeping and reclaiming data
  // While the returned token lives, this process never purges the chunks of `info`'s version,
  // even when it replaces or deletes that version itself: the purge waits for the last token
  // (POSIX: an open file survives unlink). Readers hold their version on their own; front
  // ends hold versions they keep open without a reader (FUSE handles). Other processes purge
  // replaced versions after their release_grace. Thread-safe; the token may be dropped on any
  // thread.
  virtual std::shared_ptr<void> HoldVersion(const ObjectInfo& info) = 0;
  // Finds chunk subjects that no meta record, upload part or live pin references (orphans of
  // puts interrupted by a crash, purges that never ran) and, with options.purge, purges those
  // whose newest chunk is older than the grace; removes pins of processes that are gone and
  // part records of uploads that are gone; finishes or undoes renames a crash interrupted.
  // Never purges data of a put in progress anywhere: this process's own are known, other
  // processes pin theirs before they are a quarter of the grace old. See
  // docs/reclamation.md for the protocol and its timing assumptions.
  virtual Result<GcReport> CollectGarbage(std::string_view bucket,
                                          const GcOptions& options = {}) = 0;

  // ---- Staged data (multipart parts) and server-side composition
  virtual Result<std::unique_ptr<StagedWriter>> NewStagedWriter(std::string_view bucket,
                                                                uint32_t chunk_size = 0) = 0;
  // A staged blob is protected as this process's data (see CollectGarbage) from its first
  // Write until PurgeStaged or ReleaseStaged. ReleaseStaged says a durable record now
  // references it (a multipart part record, MultipartStore::PutPart), so the process no
  // longer needs to.
  virtual Status PurgeStaged(std::string_view bucket, std::string_view nuid) = 0;
  virtual void ReleaseStaged(std::string_view bucket, std::string_view nuid) = 0;
  // Streams the blobs' bytes (each optionally a sub-range) into a new object put of meta.name,
  // with bounded memory, then commits it. Blobs are left in place (caller purges them).
  struct BlobRange {
    StagedBlob blob;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
  };
  virtual Result<ObjectInfo> Compose(std::string_view bucket, const ObjectMeta& meta,
                                     const std::vector<BlobRange>& parts,
                                     const PutOptions& options = {}) = 0;
  // Opens a staged blob for reading (for UploadPartCopy-like needs and tests).
  virtual Result<std::unique_ptr<ObjectReader>> OpenStaged(std::string_view bucket,
                                                           const StagedBlob& blob,
                                                           const ReadOptions& options = {}) = 0;

  // ---- Small records for front-end state (a JetStream KV bucket named `name`)
  virtual Result<std::shared_ptr<RecordStore>> Records(std::string_view name) = 0;
};

}  // namespace natss3
