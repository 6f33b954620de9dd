// ListingIndex: an in-process, always-current, sorted view of one bucket's objects.
//
// Fed by a Watch on the bucket's meta subjects (initial values, then live updates), so a query
// costs O(log n + entries returned), never a scan of the bucket or of the stream.
// Memory per key: the name bytes plus about 60 B of packed fields (core/src/listing_blocks.h):
// entries are stored in sorted blocks and an Entry is built only when a query returns it.
//
// Read-your-writes: this is the one place it is kept. Every meta record this process commits
// (put, delete, metadata change, rename, link) is applied here by the store before the commit
// returns (Observe, ForgetName), so a List or Lookup issued after a commit returned in this
// process shows it, however far the watch lags. Front ends list without tracking revisions.
//
// Starting from a listing snapshot (docs/listing-snapshots.md), the snapshot's entries are
// loaded in key order in the background while the watch catches up from its sequence: a List
// or Lookup is answered as soon as everything up to the keys it returns is loaded (the first
// page of a bucket of millions of objects does not wait for the whole snapshot). A change the
// catch-up or this process delivers for a key not loaded yet is held back (pending) and applied
// when the load passes that key.
//
// Thread-safety: all methods are thread-safe; a shared_mutex guards the map (readers share).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3 {

class ObjectStore;
class Watcher;
namespace listing {
class Blocks;
}

class ListingIndex {
 public:
  struct Entry {
    std::string name;
    uint64_t size = 0;
    TimePoint mtime{};
    std::string digest;   // only when there is neither md5_hex nor etag (the ETag's fallback)
    std::string md5_hex;  // kMd5Header, if present
    std::string etag;     // "Natss3-Etag" header (multipart ETag), if present
    std::string content_type;
    bool is_link = false;
    uint64_t revision = 0;
    Headers headers;  // full headers (needed by FUSE stat: mode, uid, gid, mtime)
    std::string nuid;
  };

  struct Query {
    std::string prefix;
    std::string start_after;  // exclusive; compared as UTF-8 bytes
    std::string delimiter;    // empty: no grouping
    size_t max_entries = 1000;  // counts entries + common prefixes
  };

  struct Page {
    std::vector<Entry> entries;
    std::vector<std::string> common_prefixes;
    bool truncated = false;
    std::string next_start_after;  // last key or common prefix returned (when truncated)
  };

  using Listener = std::function<void(const ObjectInfo& info)>;

  // Starts the feeding watch. Blocks until the initial values are loaded, or a snapshot's
  // catch-up is done (its entries load on); fails when the replay makes no progress for
  // `timeout`.
  static Result<std::shared_ptr<ListingIndex>> Start(ObjectStore* store, std::string bucket,
                                                     std::chrono::milliseconds timeout);
  ~ListingIndex();

  Page List(const Query& query) const;
  std::optional<Entry> Lookup(std::string_view name) const;
  // The revision of the newest record of `name` seen (live or deleted); 0 when none.
  uint64_t RevisionOf(std::string_view name) const;
  size_t size() const;
  // How many times the watch's initial list has ended: the load, then each restart of the
  // watch (after a failover). Each is a moment the listing may have lost a name a consumer
  // left out (docs/cluster.md, "Listings checked against the leader").
  uint64_t replays() const { return replays_.load(); }
  // Bytes the entries take (blocks, nuid table, header sets), for measurements.
  size_t MemoryBytes() const;
  bool empty() const { return size() == 0; }
  // Ready is false while the watch is (re)connecting (answers may then be stale) and while a
  // snapshot is still loading (List and Lookup then wait for the keys they need).
  bool ready() const;
  // Waits until the snapshot this index started from is loaded completely (at once when it
  // started without one). False on timeout.
  bool WaitLoaded(std::chrono::milliseconds timeout) const;
  // Called from the watch thread on every change (after the map is updated). Returns an id.
  int AddListener(Listener listener);
  void RemoveListener(int id);
  // Waits until the watch has applied a record at `revision` or later (of any name): a
  // barrier for catching up with other processes' writes up to a stream sequence looked up
  // (garbage collection). This process's own commits need no wait (see Observe), and do not
  // count: they are applied ahead of the watch.
  // Returns false on timeout.
  bool WaitForRevision(uint64_t revision, std::chrono::milliseconds timeout) const;

  // What garbage collection must not purge, as this index knows it.
  struct Move {  // a rename marker: `name` became `target`; nuid names the data moved
    std::string name, target, nuid;
    uint64_t revision = 0;
    TimePoint time{};
  };
  struct References {
    // Whether a live entry or a move in progress names `nuid`. Kept as sorted 64-bit hashes
    // (8 bytes a key, not a set of strings: ~100 bytes a key, a gigabyte at ten million
    // objects); a hash collision answers true, which only keeps data longer.
    bool Names(std::string_view nuid) const;
    std::vector<uint64_t> nuid_hashes;  // sorted
    std::map<std::string, TimePoint> released;   // nuid -> server time a newer meta replaced
                                                 // or deleted it (recent ones only)
    std::vector<Move> moves;
    // False when the listing was not loaded completely in time (a snapshot still loading):
    // the sets above are then partial and must not be used to decide what to purge.
    bool complete = true;
  };
  References Refs() const;
  // Whether a live entry other than `except_name`, or a move in progress, names `nuid`. True
  // while a snapshot is still loading (not known yet): see WhenLoaded.
  bool NamedElsewhere(const std::string& nuid, std::string_view except_name) const;
  // Runs `fn` once the snapshot this index started from is loaded: now when it is (or there
  // was none), else on the thread that finishes the load. Dropped if the index stops first.
  void WhenLoaded(std::function<void()> fn);
  // A move marker that is gone (its rename finished or was undone).
  void ForgetMove(const std::string& name, uint64_t revision);

  // Listing snapshots (docs/listing-snapshots.md): a compact copy of this listing stored in
  // NATS, current to a meta stream sequence, so that another process starts from it and
  // catches up with a watch from that sequence instead of replaying the whole bucket.
  // Writes one now (an index of 10,000 entries or more also writes one in the background when
  // enough changed). kFailedPrecondition while the index is not ready or for a bucket whose
  // objects expire or are discarded (max age, max bytes).
  Status WriteSnapshot();
  // The meta stream sequence of the snapshot this index started from; 0 when it replayed the
  // whole bucket (no usable snapshot, or one that failed to load: final after WaitLoaded).
  uint64_t snapshot_start() const { return snapshot_start_; }

  // Applies a change this process just committed (write-through). Changes are ordered by
  // revision, so a late or duplicate watch event never undoes a newer one. Gives this
  // process read-your-writes at once, before its own watch event arrives.
  void Observe(const ObjectInfo& info);
  // The store found no record at all of `name` (its meta subject was purged, as a finished
  // rename's move marker is) where the index had one at `revision` or older: the entry goes
  // now, and a late watch event of that record cannot bring it back.
  void ForgetName(const std::string& name, uint64_t revision);

  void Stop();

 private:
  ListingIndex(ObjectStore* store, std::string bucket);
  void Run();
  // from_watch: a watch event (not this process's own commit).
  void Apply(const ObjectInfo& info, bool from_watch = false);
  // Apply's work, with mu_ held. False when the change is stale (listeners are not told).
  bool ApplyLocked(const ObjectInfo& info, bool from_watch);
  // With mu_ held: whether everything up to `name` is loaded (a snapshot loading in key order
  // has not reached it yet otherwise).
  bool Loaded(std::string_view name) const;
  // With mu_ held: whether a change of `name` is held back (pending_) until the load passes it.
  bool HeldBack(std::string_view name) const;
  // Waits (mu_ held through `lock`) until the load passed `name` or the load deadline passed.
  void WaitForLoad(std::shared_lock<std::shared_mutex>& lock, std::string_view name) const;
  // Page of a List, with mu_ held; *at_end when it ran out of loaded entries.
  Page ListLocked(const Query& query, bool* at_end) const;
  void NoteMove(const ObjectInfo& info);
  void NoteReleased(const std::string& nuid, TimePoint when);
  // After a rebuilt watch's initial values: drops the entries it did not name.
  void EndResync();
  // Reads and checks the bucket's snapshot head; when it is usable, the index enters the
  // loading state and *load is set to the work that loads its chunks (run on load_thread_).
  // Returns the snapshot's sequence, 0 when there is no usable one. In listing_snapshot.cc.
  uint64_t OpenSnapshot(std::function<void()>* load);
  // Appends one loaded chunk's worth of records (mu_ held), then applies the pending changes
  // the load has now passed.
  void AdvanceLoad(std::string_view frontier);
  // The load finished (complete: all chunks verified) or failed: the index then replays the
  // bucket with a fresh watch and List waits for its end.
  void FinishLoad(bool complete);
  // With mu_ held, when the load state becomes kNone: takes the WhenLoaded work to run.
  std::vector<std::function<void()>> TakeAfterLoad();
  void SnapshotLoop();

  ObjectStore* store_;
  std::string bucket_;
  mutable std::shared_mutex mu_;  // lock order: mu_ before listeners_mu_
  std::unique_ptr<listing::Blocks> entries_;  // also finds the names of a nuid (renames)
  std::map<std::string, uint64_t, std::less<>> tombstones_;  // name -> revision of delete
  std::map<std::string, Move, std::less<>> moves_;            // name -> rename marker
  // nuid -> time released, for kReleasedWindow after the newest release and at most
  // kMaxReleased of them; released_order_ lists them as noted, so the oldest go first.
  static constexpr std::chrono::minutes kReleasedWindow{10};
  static constexpr size_t kMaxReleased = 50000;
  std::map<std::string, TimePoint> released_;
  std::deque<std::pair<TimePoint, std::string>> released_order_;
  std::atomic<uint64_t> replays_{0};
  std::atomic<uint64_t> watch_revision_{0};  // newest revision the watch applied (Run only)
  std::atomic<uint64_t> snapshot_start_{0};  // 0 again when its snapshot fails to load
  std::atomic<uint64_t> snapshot_seq_{0};  // sequence of the newest snapshot written or seen
  std::thread snapshot_thread_;
  std::condition_variable_any stop_cv_;  // wakes the snapshot thread (with watcher_mu_)
  bool resync_ = false;         // a fresh watch replays the bucket over the current entries
  uint64_t resync_max_ = 0;     // newest revision the replay delivered
  std::set<std::string> seen_;  // names the replay (or a write meanwhile) named
  bool ready_ = false;  // the current watch delivered its initial values (ready_mu_)
  // Snapshot load (all under mu_). kReplaying: a snapshot failed to load part way and a full
  // replay is under way; List and Lookup wait for it.
  enum class Load { kNone, kLoading, kReplaying };
  Load load_ = Load::kNone;
  std::string frontier_;  // last key loaded (kLoading)
  std::map<std::string, ObjectInfo, std::less<>> pending_;  // changes of keys past frontier_
  std::map<std::string, uint64_t, std::less<>> hidden_nuids_;  // nuid -> newest revision seen
  std::chrono::steady_clock::time_point load_deadline_{};  // waits for the load give up then
  mutable std::condition_variable_any load_cv_;            // the load advanced (with mu_)
  std::atomic<bool> rebuild_{false};  // Run: start a fresh watch (a failed load)
  std::atomic<bool> stopping_{false};
  std::vector<std::function<void()>> after_load_;  // WhenLoaded (mu_)
  std::thread load_thread_;
  mutable std::mutex listeners_mu_;
  std::map<int, Listener> listeners_;
  int next_listener_ = 1;
  std::unique_ptr<Watcher> watcher_;
  std::mutex watcher_mu_;
  bool stop_ = false;
  std::thread thread_;
  mutable std::mutex ready_mu_;
  mutable std::condition_variable_any ready_cv_;
};

}  // namespace natss3
