// ListingIndex: sorted in-memory view of a bucket, fed by a default-mode watch. Renames are
// detected by nuid (the old meta subject is purged, which no watch can observe).
#include "natss3/listing_index.h"

#include <malloc.h>

#include <algorithm>
#include <functional>
#include <strings.h>
#include <thread>

#include <spdlog/spdlog.h>

#include "natss3/crash_point.h"
#include "listing_blocks.h"
#include "natss3/object_store.h"

namespace natss3 {
namespace {

// How long Start tries again a watch refused for now: a stream leader election takes up to
// about 10 s on nats-server 2.9.
constexpr std::chrono::milliseconds kWatchRetry(15000);

// Smallest string greater than every string starting with `p` ("" = no bound).
std::string PrefixSuccessor(std::string p) {
  while (!p.empty() && static_cast<unsigned char>(p.back()) == 0xFF) p.pop_back();
  if (!p.empty()) p.back() = static_cast<char>(static_cast<unsigned char>(p.back()) + 1);
  return p;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

ListingIndex::ListingIndex(ObjectStore* store, std::string bucket)
    : store_(store), bucket_(std::move(bucket)), entries_(std::make_unique<listing::Blocks>()) {}

ListingIndex::~ListingIndex() { Stop(); }

Result<std::shared_ptr<ListingIndex>> ListingIndex::Start(ObjectStore* store, std::string bucket,
                                                          std::chrono::milliseconds timeout) {
  std::shared_ptr<ListingIndex> idx(new ListingIndex(store, std::move(bucket)));
  idx->load_deadline_ = std::chrono::steady_clock::now() + timeout;
  // A snapshot, when there is a usable one, replaces the replay of every meta record: the
  // watch then catches up from its sequence (and stays the source of truth) while the
  // snapshot's entries load in the background.
  std::function<void()> load;
  WatchOptions options;
  options.start_after = idx->snapshot_start_ = idx->OpenSnapshot(&load);
  idx->snapshot_seq_ = idx->snapshot_start_.load();
  auto w = store->Watch(idx->bucket_, options);
  // A watch refused for now (a stream leader election, a leader's answer a replica
  // contradicts) is tried again for a while before the caller sees an error.
  for (auto until = std::chrono::steady_clock::now() + std::min(timeout, kWatchRetry);
       !w.ok() && IsTransient(w.status()) &&
       std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    w = store->Watch(idx->bucket_, options);
  }
  if (!w.ok()) return w.status();
  idx->watcher_ = std::move(w).value();
  if (load) idx->load_thread_ = std::thread(std::move(load));
  idx->thread_ = std::thread([p = idx.get()] { p->Run(); });
  // `timeout` bounds a replay that makes no progress, not the whole of it: a bucket of ten
  // million objects without a snapshot takes minutes to replay, and must still load.
  std::unique_lock<std::mutex> lock(idx->ready_mu_);
  uint64_t progress = idx->watch_revision_;
  auto last_progress = std::chrono::steady_clock::now();
  while (!idx->ready_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return idx->ready_; })) {
    auto now = std::chrono::steady_clock::now();
    if (uint64_t p = idx->watch_revision_; p != progress) {
      progress = p;
      last_progress = now;
    } else if (now - last_progress >= timeout) {
      lock.unlock();
      idx->Stop();
      return DeadlineExceeded("timeout loading the listing of bucket " + idx->bucket_);
    }
  }
  lock.unlock();
  idx->snapshot_thread_ = std::thread([p = idx.get()] { p->SnapshotLoop(); });
  return idx;
}

void ListingIndex::Stop() {
  {
    std::lock_guard<std::mutex> lock(watcher_mu_);
    if (stop_) return;
    stop_ = true;
    stopping_ = true;
    if (watcher_) watcher_->Stop();
  }
  {
    std::unique_lock<std::shared_mutex> lock(mu_);  // waiters test stopping_ under mu_
  }
  load_cv_.notify_all();
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (load_thread_.joinable()) load_thread_.join();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
}

bool ListingIndex::ready() const {
  {
    std::lock_guard<std::mutex> lock(ready_mu_);
    if (!ready_) return false;
  }
  std::shared_lock<std::shared_mutex> lock(mu_);
  return load_ == Load::kNone;
}

bool ListingIndex::WaitLoaded(std::chrono::milliseconds timeout) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  load_cv_.wait_for(lock, timeout, [this] { return load_ == Load::kNone || stopping_; });
  return load_ == Load::kNone;
}

bool ListingIndex::Loaded(std::string_view name) const {
  return load_ == Load::kNone || (load_ == Load::kLoading && name <= frontier_);
}

bool ListingIndex::HeldBack(std::string_view name) const {
  return load_ == Load::kLoading && name > frontier_;
}

void ListingIndex::WaitForLoad(std::shared_lock<std::shared_mutex>& lock,
                               std::string_view name) const {
  load_cv_.wait_until(lock, load_deadline_, [&] {
    return stopping_ || load_ == Load::kNone || Loaded(name);
  });
}

void ListingIndex::Run() {
  auto backoff = std::chrono::milliseconds(200);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(watcher_mu_);
      if (stop_) return;
    }
    // A snapshot that failed to load part way: the bucket is replayed by a fresh watch.
    auto ev = rebuild_.exchange(false)
                  ? Result<WatchEvent>(Unavailable("the listing snapshot did not load"))
                  : watcher_->Next(std::chrono::milliseconds(500));
    // Test seam: a watch that breaks (as when its consumer's server is lost).
    if (FaultPoint("listing.watch.break")) ev = Unavailable("watch broken (fault point)");
    if (ev.ok()) {
      backoff = std::chrono::milliseconds(200);
      // Test seam: a watch that lags far behind; only this process's commits get through.
      while (FaultHeld("listing.watch")) {
        {
          std::lock_guard<std::mutex> lock(watcher_mu_);
          if (stop_) return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (ev->kind == WatchEvent::Kind::kEndOfInitial) {
        EndResync();
        replays_.fetch_add(1);
        {
          std::unique_lock<std::shared_mutex> lock(mu_);
          if (load_ == Load::kNone) entries_->Compact();  // else the load compacts at its end
        }
        ::malloc_trim(0);  // the replay's transient messages: give the pages back
        std::lock_guard<std::mutex> lock(ready_mu_);
        ready_ = true;
        ready_cv_.notify_all();
        continue;
      }
      Apply(ev->info, /*from_watch=*/true);
      if (ev->info.revision > watch_revision_.load(std::memory_order_relaxed))
        watch_revision_.store(ev->info.revision);  // only this thread writes it
      continue;
    }
    Code c = ev.status().code();
    if (c == Code::kDeadlineExceeded) continue;
    if (c == Code::kCancelled) return;
    // The watch broke (server restart, a stream leader lost with its consumer, bucket
    // deleted): rebuild from a fresh watch. The entries stay and keep answering while it
    // replays; at its end those it did not name (removed meanwhile) go (EndResync).
    {
      std::lock_guard<std::mutex> lock(ready_mu_);
      ready_ = false;
    }
    std::this_thread::sleep_for(backoff);  // reconnect backoff, not synchronisation
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    {
      // A replay over a snapshot still loading would hold back every key past the load: the
      // load finishes first (it does not depend on the watch).
      std::shared_lock<std::shared_mutex> lock(mu_);
      load_cv_.wait(lock, [this] { return load_ != Load::kLoading || stopping_; });
    }
    {
      // Before the new watch exists: a record stored before it is in its replay, and a commit
      // observed from now on is in seen_, so EndResync drops neither (read-your-writes).
      std::unique_lock<std::shared_mutex> wlock(mu_);
      resync_ = true;
      resync_max_ = 0;
      seen_.clear();
    }
    auto w = store_->Watch(bucket_, {});
    if (!w.ok()) {
      rebuild_ = true;  // not the broken watch again: a fresh one after the backoff
      continue;
    }
    std::lock_guard<std::mutex> lock(watcher_mu_);
    if (stop_) return;
    watcher_ = std::move(w).value();
  }
}

void ListingIndex::EndResync() {
  std::vector<std::function<void()>> after;
  std::vector<std::pair<std::string, uint64_t>> unnamed;  // name, revision the index holds
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (!resync_) return;
    resync_ = false;
    if (load_ == Load::kReplaying) {  // the replay that stands in for a failed snapshot load
      load_ = Load::kNone;
      after = TakeAfterLoad();
      load_cv_.notify_all();
    }
    // The replay speaks only for the records it could hold: an entry newer than anything it
    // delivered (a commit of this process that a newly elected stream leader had not applied
    // yet when the watch was re-created) is kept; the live watch delivers its record later.
    for (auto c = entries_->LowerBound(""); !entries_->AtEnd(c); entries_->Next(&c)) {
      std::string_view key = entries_->KeyAt(c);
      if (seen_.count(std::string(key))) continue;
      uint64_t revision = 0;
      entries_->Peek(key, &revision, nullptr);
      if (revision <= resync_max_) unnamed.emplace_back(key, revision);
    }
    resync_max_ = 0;
    for (auto it = moves_.begin(); it != moves_.end();)
      it = seen_.count(it->first) ? std::next(it) : moves_.erase(it);
    seen_.clear();
  }
  for (auto& fn : after) fn();
  // A name the replay left out is gone only if the stream leader says so: a consumer's list
  // has been seen to lack names that were there (nats-server 2.9.10, replicated buckets,
  // docs/cluster.md). Asked without the lock (readers go on meanwhile); an entry this process
  // changed since, or one the leader does not answer for, stays.
  for (const auto& [name, revision] : unnamed) {
    {
      std::lock_guard<std::mutex> lock(watcher_mu_);
      if (stop_) return;
    }
    auto latest = store_->LatestInfo(bucket_, name);
    if (latest.ok() && !latest->deleted) {
      spdlog::warn("the rebuilt watch of bucket {} left out {} (revision {}): kept", bucket_,
                   name, latest->revision);
      if (latest->revision > revision) Apply(*latest, /*from_watch=*/true);
      continue;
    }
    if (!latest.ok() && latest.status().code() != Code::kNotFound) {
      spdlog::warn("the rebuilt watch of bucket {} left out {}, and its record could not be read "
                   "({}): kept",
                   bucket_, name, latest.status().ToString());
      continue;
    }
    ObjectInfo gone;
    if (latest.ok()) {
      gone = std::move(latest).value();  // a delete the replay left out: applied as one
      if (gone.revision < revision) continue;
      Apply(gone, /*from_watch=*/true);
      continue;
    }
    {
      std::unique_lock<std::shared_mutex> lock(mu_);
      uint64_t cur_revision = 0;
      if (!entries_->Peek(name, &cur_revision, &gone.nuid) || cur_revision != revision) continue;
      entries_->Erase(name);  // no record at all (its meta subject was purged)
    }
    gone.bucket = bucket_;
    gone.meta.name = name;
    gone.revision = revision;
    gone.deleted = true;
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (auto& [_, l] : listeners_) l(gone);
  }
}

void ListingIndex::Observe(const ObjectInfo& info) { Apply(info); }

void ListingIndex::ForgetName(const std::string& name, uint64_t revision) {
  ObjectInfo gone;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (HeldBack(name)) {  // past a loading snapshot: its entry (and changes held back) stay out
      uint64_t& tomb = tombstones_[name];
      tomb = std::max(tomb, revision);
      if (auto p = pending_.find(name); p != pending_.end() && p->second.revision <= revision)
        pending_.erase(p);
      return;
    }
    uint64_t cur_revision = 0;
    std::string cur_nuid;
    if (!entries_->Peek(name, &cur_revision, &cur_nuid) || cur_revision > revision) return;
    gone.bucket = bucket_;
    gone.meta.name = name;
    gone.nuid = cur_nuid;
    gone.revision = cur_revision;
    gone.deleted = true;
    entries_->Erase(name);
    uint64_t& tomb = tombstones_[name];  // a late event of the purged record stays out
    tomb = std::max(tomb, revision);
  }
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (auto& [_, l] : listeners_) l(gone);
}

void ListingIndex::Apply(const ObjectInfo& info, bool from_watch) {
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (!ApplyLocked(info, from_watch)) return;
  }
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (auto& [_, l] : listeners_) l(info);
}

bool ListingIndex::ApplyLocked(const ObjectInfo& info, bool from_watch) {
  auto make_entry = [&info] {
    Entry e;
    e.name = info.meta.name;
    e.size = info.size;
    e.mtime = info.mtime;
    e.digest = info.digest;
    e.is_link = info.is_link();
    e.revision = info.revision;
    e.headers = info.meta.headers;
    e.nuid = info.nuid;
    return e;
  };
  const std::string& name = info.meta.name;
  if (resync_) {
    seen_.insert(name);
    if (from_watch) resync_max_ = std::max(resync_max_, info.revision);
  }
  // The load of a snapshot drops a loaded entry whose data a newer record names (a rename
  // whose old name the load had not reached yet).
  if (load_ == Load::kLoading && !info.deleted && !info.nuid.empty()) {
    uint64_t& newest = hidden_nuids_[info.nuid];
    newest = std::max(newest, info.revision);
  }
  auto tomb = tombstones_.find(name);
  if (HeldBack(name)) {
    if (tomb != tombstones_.end() && tomb->second >= info.revision) return false;  // stale
    // Past the loading snapshot: held back until the load passes the name, then applied
    // below like any change. The old name of a rename is dropped now if it is loaded.
    auto p = pending_.find(name);
    if (p != pending_.end() &&
        (p->second.revision > info.revision || (p->second.revision == info.revision && !from_watch)))
      return false;
    if (!info.deleted) {
      for (const auto& old : entries_->NamesOfNuid(info.nuid)) {
        uint64_t old_revision = 0;
        entries_->Peek(old, &old_revision, nullptr);
        if (old == name || old_revision > info.revision) continue;
        tombstones_[old] = info.revision;
        entries_->Erase(old);
      }
    }
    pending_[name] = info;
    return true;
  }
  uint64_t cur_revision = 0;
  std::string cur_nuid;
  bool cur = entries_->Peek(name, &cur_revision, &cur_nuid);
  if (cur && cur_revision == info.revision && from_watch && !info.deleted) {
    // The watch's copy of a record this process applied at its commit: the stream's
    // timestamp (the mtime every other process sees) replaces the committer's.
    entries_->Put(make_entry());
    return false;
  }
  if (cur && cur_revision >= info.revision) return false;                        // stale
  if (tomb != tombstones_.end() && tomb->second >= info.revision) return false;  // stale
  NoteMove(info);
  bool move = info.deleted && !info.Header(kRenameHeader).empty();
  if (cur && !cur_nuid.empty() && !move && (cur_nuid != info.nuid || info.deleted)) {
    NoteReleased(cur_nuid, info.mtime);
  }
  if (info.deleted) {
    if (cur) entries_->Erase(name);
    tombstones_[name] = info.revision;
    if (tombstones_.size() > 100000 && load_ == Load::kNone) tombstones_.clear();
  } else {
    if (tomb != tombstones_.end()) tombstones_.erase(tomb);
    // A rename keeps the nuid: the older name carrying the same nuid is dropped.
    for (const auto& old : entries_->NamesOfNuid(info.nuid)) {
      if (old == name) continue;
      uint64_t old_revision = 0;
      entries_->Peek(old, &old_revision, nullptr);
      if (old_revision > info.revision) return false;  // renamed away since: stale
      // A late event for the old name must not bring it back.
      tombstones_[old] = info.revision;
      entries_->Erase(old);
    }
    entries_->Put(make_entry());
  }
  return true;
}

void ListingIndex::AdvanceLoad(std::string_view frontier) {
  frontier_.assign(frontier);
  // Changes held back for keys the load has now passed, in key order (each name's newest).
  while (!pending_.empty() && pending_.begin()->first <= frontier_) {
    auto node = pending_.extract(pending_.begin());
    ApplyLocked(node.mapped(), /*from_watch=*/true);
  }
}

void ListingIndex::WhenLoaded(std::function<void()> fn) {
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (load_ != Load::kNone) {
      if (!stopping_) after_load_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

std::vector<std::function<void()>> ListingIndex::TakeAfterLoad() {
  std::vector<std::function<void()>> fns;
  fns.swap(after_load_);
  return fns;
}

void ListingIndex::FinishLoad(bool complete) {
  std::vector<std::function<void()>> after;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (complete) {
      load_ = Load::kNone;
      after = TakeAfterLoad();
      for (auto& [_, info] : pending_) ApplyLocked(info, /*from_watch=*/true);
      entries_->Compact();
    } else {
      // Part of the snapshot did not verify (a chunk replaced by a newer snapshot's writer):
      // what was loaded goes, and a fresh watch replays the bucket; List waits for it.
      entries_ = std::make_unique<listing::Blocks>();
      moves_.clear();
      load_ = Load::kReplaying;
      snapshot_start_ = 0;
      load_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      rebuild_ = true;
    }
    pending_.clear();
    hidden_nuids_.clear();
    frontier_.clear();
  }
  load_cv_.notify_all();
  ::malloc_trim(0);
  for (auto& fn : after) fn();
}

ListingIndex::Page ListingIndex::List(const Query& q) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (;;) {
    bool at_end = false;
    Page page = ListLocked(q, &at_end);
    // While a snapshot loads, a page that ran out of loaded entries may miss keys still to
    // come: it waits for the next chunk (or the replay that replaces a failed load).
    bool wait = !stopping_ && (load_ == Load::kReplaying || (load_ == Load::kLoading && at_end));
    if (!wait || std::chrono::steady_clock::now() >= load_deadline_) return page;
    load_cv_.wait_until(lock, load_deadline_);
  }
}

ListingIndex::Page ListingIndex::ListLocked(const Query& q, bool* at_end) const {
  Page page;
  const listing::Blocks& entries = *entries_;
  auto c = q.start_after.empty() || q.start_after < q.prefix ? entries.LowerBound(q.prefix)
                                                             : entries.UpperBound(q.start_after);
  size_t limit = q.max_entries;
  std::string last;
  while (!entries.AtEnd(c)) {
    std::string_view key = entries.KeyAt(c);
    if (!StartsWith(key, q.prefix)) break;
    if (page.entries.size() + page.common_prefixes.size() >= limit) {
      page.truncated = true;
      break;
    }
    if (!q.delimiter.empty()) {
      size_t pos = key.find(q.delimiter, q.prefix.size());
      if (pos != std::string::npos) {
        std::string cp(key.substr(0, pos + q.delimiter.size()));
        std::string next = PrefixSuccessor(cp);
        if (q.start_after.empty() || cp > q.start_after) {
          page.common_prefixes.push_back(cp);
          last = cp;
        }
        if (next.empty()) break;
        c = entries.LowerBound(next);
        continue;
      }
    }
    page.entries.emplace_back();
    entries.Decode(c, &page.entries.back());
    last = key;
    entries.Next(&c);
  }
  *at_end = entries.AtEnd(c);
  if (page.truncated) page.next_start_after = last;
  return page;
}

std::optional<ListingIndex::Entry> ListingIndex::Lookup(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (!Loaded(name)) WaitForLoad(lock, name);
  Entry e;
  if (!entries_->Find(name, &e)) return std::nullopt;
  return e;
}

uint64_t ListingIndex::RevisionOf(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  uint64_t revision = 0;
  if (entries_->Peek(name, &revision, nullptr)) return revision;
  if (auto p = pending_.find(name); p != pending_.end()) revision = p->second.revision;
  if (auto it = tombstones_.find(name); it != tombstones_.end())
    revision = std::max(revision, it->second);
  return revision;  // a key past a loading snapshot may have an older record not loaded yet
}

size_t ListingIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return entries_->size();
}

size_t ListingIndex::MemoryBytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return entries_->MemoryBytes();
}

int ListingIndex::AddListener(Listener listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  int id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void ListingIndex::RemoveListener(int id) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.erase(id);
}

bool ListingIndex::WaitForRevision(uint64_t revision, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (watch_revision_.load() >= revision) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Called with mu_ held.
void ListingIndex::NoteMove(const ObjectInfo& info) {
  auto it = moves_.find(info.meta.name);
  if (it != moves_.end() && it->second.revision < info.revision) moves_.erase(it);
  std::string target = info.deleted ? info.Header(kRenameHeader) : std::string();
  std::string nuid = info.Header(kRenameNuidHeader);
  if (target.empty() || nuid.empty()) return;
  moves_[info.meta.name] = Move{info.meta.name, target, nuid, info.revision, info.mtime};
}

// Called with mu_ held. Only recent releases matter (release grace), so the oldest are
// forgotten first, each in constant time: a scan of every release per overwrite, once there
// were 10,000 of them, took a third of natss3d's CPU at 1,000 overwrites a second, and
// forgetting them all at once dropped the grace of versions replaced a moment ago.
void ListingIndex::NoteReleased(const std::string& nuid, TimePoint when) {
  released_[nuid] = when;
  released_order_.emplace_back(when, nuid);
  const TimePoint cutoff = when - kReleasedWindow;
  while (!released_order_.empty() && (released_order_.front().first < cutoff ||
                                      released_order_.size() > kMaxReleased)) {
    const auto& [noted, oldest] = released_order_.front();
    auto it = released_.find(oldest);
    if (it != released_.end() && it->second == noted) released_.erase(it);  // not noted again
    released_order_.pop_front();
  }
}

bool ListingIndex::References::Names(std::string_view nuid) const {
  return std::binary_search(nuid_hashes.begin(), nuid_hashes.end(),
                            std::hash<std::string_view>{}(nuid));
}

ListingIndex::References ListingIndex::Refs() const {
  References refs;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    refs.complete = load_ == Load::kNone;  // callers wait with WaitLoaded first
    refs.nuid_hashes.reserve(entries_->size() + moves_.size());
    for (auto c = entries_->LowerBound(""); !entries_->AtEnd(c); entries_->Next(&c))
      if (std::string nuid = entries_->NuidAt(c); !nuid.empty())
        refs.nuid_hashes.push_back(std::hash<std::string_view>{}(nuid));
    for (const auto& [_, m] : moves_) {
      refs.nuid_hashes.push_back(std::hash<std::string_view>{}(m.nuid));
      refs.moves.push_back(m);
    }
    refs.released = released_;
  }
  std::sort(refs.nuid_hashes.begin(), refs.nuid_hashes.end());
  return refs;
}

bool ListingIndex::NamedElsewhere(const std::string& nuid, std::string_view except_name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (load_ != Load::kNone) return true;  // not known yet: keep the data
  for (const auto& [_, m] : moves_)
    if (m.nuid == nuid) return true;
  for (const auto& name : entries_->NamesOfNuid(nuid))
    if (name != except_name) return true;
  return false;
}

void ListingIndex::ForgetMove(const std::string& name, uint64_t revision) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = moves_.find(name);
  if (it != moves_.end() && it->second.revision <= revision) moves_.erase(it);
}

}  // namespace natss3
