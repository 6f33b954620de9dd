// NatsObjectStore: ObjectStore over one NatsConnection (docs/object-store-format.md).
// Lock order: indexes_mu_, chunk_cache_mu_, bucket_cache_mu_, records_mu_ and lock_config_mu_
// are leaves and none is held across a NATS call; so are the locks of Reclaimer and LeaseKeeper.
// A bucket's index latch (index_latches_) is taken before indexes_mu_ and held across loading
// its index.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nats/ack_router.h"
#include "nats/connection.h"
#include "nats/lease.h"
#include "nats/reclaimer.h"
#include "natss3/listing_index.h"
#include "natss3/object_store.h"

namespace natss3::natsw {

// Chunks in flight for a window counted in default-size (128 KiB) chunks, for puts and reads:
// larger chunks get proportionally fewer (at least 4), so the bytes in flight stay
// window * kDefaultChunkSize whatever chunk size an object was written with.
int ChunksInFlight(int window, uint64_t chunk_size);

// A message read back from a bucket's stream by GetStored.
struct StoredMsg {
  MsgPtr msg;  // the payload (headers too when a replica answered directly)
  uint64_t seq = 0;
  int64_t time_ns = 0;
  std::string subject;
};

// What GetStored looks for: the message at `seq`; with `next_by_subj`, the first message on that
// subject at or after `seq`; with `last_by_subj`, the newest message on that subject.
struct MsgQuery {
  uint64_t seq = 0;
  std::string next_by_subj, last_by_subj;
};

// Chunk locations of one chunk subject: stream sequences and sizes, in order.
struct ChunkIndex {
  std::vector<uint64_t> seqs;
  std::vector<uint32_t> sizes;
  std::vector<uint64_t> offsets;  // offsets[i] = sum(sizes[0..i))
  uint64_t total = 0;
};

class NatsObjectStore : public ObjectStore,
                        public std::enable_shared_from_this<NatsObjectStore> {
 public:
  NatsObjectStore(std::shared_ptr<NatsConnection> conn, const ConnectOptions& options);
  ~NatsObjectStore() override;

  Status Health() override;
  uint64_t MaxPayload() const override { return conn_->max_payload(); }
  Result<AccountStorage> GetAccountStorage() override;

  Result<BucketStatus> CreateBucket(const BucketConfig& config) override;
  Result<BucketStatus> UpdateBucket(const BucketConfig& config) override;
  Result<BucketStatus> SealBucket(std::string_view bucket) override;
  Status DeleteBucket(std::string_view bucket) override;
  Result<BucketStatus> GetBucketStatus(std::string_view bucket) override;
  Result<std::vector<BucketStatus>> ListBuckets() override;
  Result<ObjectLockConfig> GetObjectLockConfig(std::string_view bucket) override;
  Status PutObjectLockConfig(std::string_view bucket, const ObjectLockConfig& config) override;

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view bucket, const ObjectMeta& meta,
                                                  const PutOptions& options) override;
  Result<ObjectInfo> GetInfo(std::string_view bucket, std::string_view name,
                             bool show_deleted) override;
  // The stream leader's newest record in replicated buckets (conditional writes, a listing
  // dropping a name); a single server's otherwise.
  Result<ObjectInfo> LatestInfo(std::string_view bucket, std::string_view name) override;
  Result<std::unique_ptr<ObjectReader>> Open(std::string_view bucket, std::string_view name,
                                             const ReadOptions& options) override;
  Result<std::unique_ptr<ObjectReader>> OpenInfo(const ObjectInfo& info,
                                                 const ReadOptions& options) override;
  Status Delete(std::string_view bucket, std::string_view name) override;
  Status DeleteWithOptions(std::string_view bucket, std::string_view name,
                           const DeleteOptions& options) override;
  Result<ObjectInfo> ModifyMeta(std::string_view bucket, std::string_view name,
                                const MetaMutator& mutate, const ModifyOptions& options) override;
  Result<ObjectInfo> AddLink(std::string_view bucket, std::string_view name,
                             const ObjectInfo& target) override;
  Result<ObjectInfo> AddBucketLink(std::string_view bucket, std::string_view name,
                                   std::string_view target_bucket) override;
  Result<std::vector<ObjectInfo>> List(std::string_view bucket, bool show_deleted) override;
  Result<std::unique_ptr<Watcher>> Watch(std::string_view bucket,
                                         const WatchOptions& options) override;
  Result<std::shared_ptr<ListingIndex>> Index(std::string_view bucket) override;
  std::shared_ptr<void> HoldVersion(const ObjectInfo& info) override;
  Result<GcReport> CollectGarbage(std::string_view bucket, const GcOptions& options) override;

  Result<std::unique_ptr<StagedWriter>> NewStagedWriter(std::string_view bucket,
                                                        uint32_t chunk_size) override;
  Status PurgeStaged(std::string_view bucket, std::string_view nuid) override;
  void ReleaseStaged(std::string_view bucket, std::string_view nuid) override;
  Result<ObjectInfo> Compose(std::string_view bucket, const ObjectMeta& meta,
                             const std::vector<BlobRange>& parts,
                             const PutOptions& options) override;
  Result<std::unique_ptr<ObjectReader>> OpenStaged(std::string_view bucket,
                                                   const StagedBlob& blob,
                                                   const ReadOptions& options) override;
  Result<std::shared_ptr<RecordStore>> Records(std::string_view name) override;

  // ---- used by writers/readers
  NatsConnection& conn() { return *conn_; }
  std::shared_ptr<NatsConnection> conn_ptr() { return conn_; }
  Reclaimer& reclaimer() { return reclaimer_; }
  LeaseKeeper& lease() { return lease_; }
  AckRouter& acks() { return acks_; }
  const ConnectOptions& options() const { return options_; }
  // Publishes a meta record with Nats-Rollup: sub, conditional on the meta subject's last
  // sequence being `expected_last` (0: no record), with `msg_id` as Nats-Msg-Id so a retry
  // after a lost acknowledgement is not stored twice. Returns the stored info (revision,
  // mtime). A lost race is kFailedPrecondition with Detail::kWrongLastSequence.
  Result<ObjectInfo> PublishMeta(std::string_view bucket, ObjectInfo info, uint64_t expected_last,
                                 const std::string& msg_id);
  // Hands this process's commit to the bucket's index, or keeps it for the index being loaded
  // (read-your-writes). PublishMeta does it; a writer that found its commit stored after all
  // (its acknowledgement was lost) does it itself.
  void ObserveCommitted(std::string_view bucket, const ObjectInfo& info);
  // Publishes `info` as the new version of its name on top of whatever is current (retrying
  // when a concurrent writer wins, unless expected_revision is set). `first_guess` may supply
  // the current record looked up earlier (a stale guess costs one retry).
  struct Committed {
    ObjectInfo stored;
    std::optional<ObjectInfo> replaced;  // the record the conditional publish replaced
  };
  // A version under object lock is never replaced (kPermissionDenied, Detail::kObjectLocked);
  // a new object gets the bucket's default retention unless it names its own.
  Result<Committed> CommitVersion(std::string_view bucket, const ObjectInfo& info,
                                  std::optional<uint64_t> expected_revision,
                                  const std::function<Result<ObjectInfo>()>& first_guess);
  // Purges a replaced or deleted version's chunks unless this process still holds them (then
  // later), after release_grace, and never while another live meta names them.
  void ReleaseVersion(std::string_view bucket, const ObjectInfo& version);
  // Chunk messages stored on the chunk subject of `nuid` (0 when none).
  Result<uint64_t> ChunkCount(std::string_view bucket, const std::string& nuid);
  uint32_t EffectiveChunkSize(uint32_t requested) const;
  // Whether the bucket's stream has followers, which may answer direct gets before they have
  // caught up with the leader (readers then retry a chunk that is "missing").
  bool Replicated(std::string_view bucket);
  // Whether the bucket's stream was found to answer no direct gets (allow_direct off): its
  // data is read through the leader then.
  bool NoDirect(std::string_view bucket);
  std::shared_ptr<const ChunkIndex> CachedChunkIndex(const std::string& key);
  // One message of the bucket's stream (data path, docs/cluster.md): a direct get answered by
  // any replica, each attempt bounded by AttemptTimeout() and retried within RequestBudget();
  // the stream leader (STREAM.MSG.GET) answers when `leader` is set, when the stream has no
  // direct get, and when a replica of a replicated stream says "not found" (it may lag).
  // kNotFound when there is no such message.
  // `budget` (0: RequestBudget()) bounds the whole lookup, retries included.
  Result<StoredMsg> GetStored(std::string_view bucket, const MsgQuery& query, bool leader = false,
                              std::chrono::milliseconds budget = std::chrono::milliseconds(0));
  // Per attempt and in all, for data-path requests: well under an S3 client's timeout, so a
  // request lost with a failing server is sent again (to another server) in time.
  std::chrono::milliseconds AttemptTimeout() const;
  // Reads (records, chunks: small, answered from memory or one file read) get at most 1 s per
  // attempt: a get lost with a failing server is sent again sooner than a publish would be.
  std::chrono::milliseconds ReadAttemptTimeout() const {
    return std::min(AttemptTimeout(), std::chrono::milliseconds(1000));
  }
  std::chrono::milliseconds RequestBudget() const;
  // How long a write waits for any acknowledgement (ConnectOptions::write_budget).
  std::chrono::milliseconds WriteBudget() const;
  void CacheChunkIndex(const std::string& key, std::shared_ptr<const ChunkIndex> index);

 private:
  Result<BucketStatus> StatusFromInfo(const nlohmann::json& info);
  Result<nlohmann::json> StreamInfo(std::string_view bucket);
  // Existence, sealed state and replication of a bucket, cached for a second (direct gets on a
  // missing stream get no answer at all, so this turns a 5 s timeout into a clear kNotFound).
  struct BucketFacts {
    bool sealed = false;
    bool replicated = false;  // direct gets may be answered by a follower that lags
  };
  Result<BucketFacts> Facts(std::string_view bucket);
  // The newest meta of `name` as the stream leader has it (STREAM.MSG.GET).
  Result<ObjectInfo> GetInfoFromLeader(std::string_view bucket, std::string_view name);
  void ForgetBucket(std::string_view bucket);
  // kFailedPrecondition (Detail::kObjectLocked) when a live object of the bucket is protected
  // by object lock (object_lock_store.cc).
  Status CheckNoLockedObjects(std::string_view bucket);
  Result<ObjectInfo> Rename(std::string_view bucket, const ObjectInfo& cur, ObjectInfo info,
                            const ModifyOptions& options, bool* source_changed);
  void PurgeMoveMarker(std::string_view bucket, const std::string& name, uint64_t marker_revision);
  Result<ObjectInfo> PutLink(std::string_view bucket, ObjectInfo link);
  // Garbage collection (collector.cc).
  Result<std::map<std::string, uint64_t>> ChunkSubjects(std::string_view bucket);
  // The subjects of the bucket's stream that start with `prefix`, as the stream leader counts
  // them (STREAM.INFO with a subjects filter, page by page): the rest of each subject -> its
  // messages.
  // Subjects per page of that listing (nats-server's limit); on 2.9.10 each page sorts them all.
  static constexpr size_t kSubjectsPage = 100000;
  Result<std::map<std::string, uint64_t>> SubjectsUnder(std::string_view bucket,
                                                        const std::string& prefix,
                                                        const std::string& what);
  // The newest records (deleted ones too) of the names the stream leader holds a meta record
  // for and `listed` says it lacks. A listing built by a consumer can lack a name that was put
  // before it started (docs/cluster.md, "Listings checked against the leader"): List and
  // garbage collection check theirs with this.
  Result<std::vector<ObjectInfo>> MetasMissedBy(
      std::string_view bucket, const std::function<bool(const std::string& name)>& listed);
  // `out` (a watch's initial list, deleted names too) with what MetasMissedBy finds it lacks;
  // deleted ones dropped unless `show_deleted`.
  Result<std::vector<ObjectInfo>> CheckedAgainstLeader(std::string_view bucket,
                                                       std::vector<ObjectInfo> out,
                                                       bool show_deleted);
  Status ResolveMove(std::string_view bucket, const ListingIndex::Move& move, ListingIndex& idx);
  void CollectLoop();
  Result<ObjectInfo> GetInfoRaw(std::string_view bucket, std::string_view name);
  // Reads of records through a replicated bucket's leader (GetInfoRaw) wait at most
  // kLeaderReadBudget; when the leader did not answer in time (lost, an election under way)
  // the bucket's records are read from replicas for kLeaderPause without asking it first.
  static constexpr std::chrono::milliseconds kLeaderReadBudget{300};
  static constexpr std::chrono::milliseconds kLeaderPause{3000};
  // How long a replicated bucket seen before is asked again when it is "not found".
  static constexpr std::chrono::milliseconds kConfirmBucketGone{2000};
  bool LeaderPaused(std::string_view bucket);
  void PauseLeaderReads(std::string_view bucket);
  // Sends the info lookup now; the returned call collects the answer (or looks up again
  // synchronously if the answer is anything but an object or "not found").
  std::function<Result<ObjectInfo>()> RequestInfo(std::string_view bucket, std::string_view name);

  std::shared_ptr<NatsConnection> conn_;
  const ConnectOptions options_;
  Reclaimer reclaimer_;
  AckRouter acks_{*conn_};
  std::mutex indexes_mu_;
  std::map<std::string, std::shared_ptr<ListingIndex>, std::less<>> indexes_;
  // Buckets whose index is loading (ListingIndex::Start runs outside indexes_mu_, it can take
  // seconds): the commits this process made meanwhile, applied before the index is published.
  std::map<std::string, std::vector<ObjectInfo>, std::less<>> index_loading_;
  // One load per bucket at a time: held across ListingIndex::Start, never while indexes_mu_ is.
  std::map<std::string, std::shared_ptr<std::mutex>, std::less<>> index_latches_;
  std::mutex chunk_cache_mu_;
  std::list<std::pair<std::string, std::shared_ptr<const ChunkIndex>>> chunk_cache_;
  std::mutex bucket_cache_mu_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> leader_paused_;
  std::map<std::string, std::pair<BucketFacts, std::chrono::steady_clock::time_point>,
           std::less<>>
      bucket_cache_;
  // Read-your-writes on replicated buckets: the revision of the newest meta record this process
  // committed per "<bucket>/<name>" (bounded, oldest forgotten first). A lookup answered by a
  // replica with an older revision (or none) is asked of the stream leader again.
  void RememberCommitted(std::string_view bucket, std::string_view name, uint64_t revision);
  // The bucket's listing index if this process started one; nullptr otherwise.
  std::shared_ptr<ListingIndex> FindIndex(std::string_view bucket);
  uint64_t CommittedRevision(std::string_view bucket, std::string_view name);
  std::mutex committed_mu_;
  std::map<std::string, uint64_t, std::less<>> committed_;
  std::list<std::string> committed_order_;
  // The last status each bucket's stream info gave (GetBucketStatus, under bucket_cache_mu_).
  std::map<std::string, BucketStatus, std::less<>> last_status_;
  std::set<std::string, std::less<>> no_direct_;  // streams without direct gets (GetStored)
  std::mutex records_mu_;
  std::map<std::string, std::shared_ptr<RecordStore>, std::less<>> records_;
  // Object Lock configurations read per bucket, with when (GetObjectLockConfig); a leaf lock.
  std::mutex lock_config_mu_;
  std::map<std::string, std::pair<ObjectLockConfig, std::chrono::steady_clock::time_point>,
           std::less<>>
      lock_configs_;
  // Declared last: its thread uses the members above and stops first.
  LeaseKeeper lease_{this, options_.gc_grace};
  // Garbage collection's check of a replicated bucket's listing against the stream leader:
  // due once after each replay of the listing's watch (ListingIndex::replays), while the
  // bucket has up to one page of names (collector.cc).
  bool ListingCheckDue(const std::string& bucket, const ListingIndex& idx);
  void ListingChecked(const std::string& bucket, uint64_t replays);
  std::mutex listing_checks_mu_;
  std::map<std::string, uint64_t> listing_checks_;  // bucket -> replays checked
  std::mutex collect_mu_;
  std::condition_variable collect_cv_;
  bool collect_stop_ = false;
  std::thread collector_;
};

// The clock object lock compares retention dates with: this host's system clock (UTC).
TimePoint LockNow();

// Readers and writers (writer.cc, reader.cc, watcher.cc, records.cc).
// `previous` yields the info of the version the put replaces (kNotFound when none); it is looked
// up while the data uploads, and its chunks are purged after the commit.
Result<std::unique_ptr<ObjectWriter>> NewNatsWriter(NatsObjectStore* store, std::string bucket,
                                                    ObjectMeta meta, const PutOptions& options,
                                                    std::function<Result<ObjectInfo>()> previous);
Result<std::unique_ptr<StagedWriter>> NewNatsStagedWriter(NatsObjectStore* store,
                                                          std::string bucket,
                                                          uint32_t chunk_size);
Result<std::unique_ptr<ObjectReader>> NewNatsReader(NatsObjectStore* store, ObjectInfo info,
                                                    const ReadOptions& options);
Result<std::unique_ptr<Watcher>> NewNatsWatcher(NatsObjectStore* store, std::string bucket,
                                                const WatchOptions& options);
Result<std::shared_ptr<RecordStore>> NewNatsRecordStore(NatsObjectStore* store,
                                                        std::string name);
// Parses a meta message of `bucket` (payload + JetStream time/sequence) into ObjectInfo.
Result<ObjectInfo> InfoFromMsg(natsMsg* msg, std::string_view bucket, uint64_t seq,
                               int64_t time_ns);

}  // namespace natss3::natsw
