// ListingIndex: sorted in-memory view of a bucket, fed by a default-mode watch. Renames are
// detected by nuid (the old meta subject is purged, which no watch can observe).
#include "natss3/listing_index.h"

#include <strings.h>

#include "natss3/crash_point.h"
#include "natss3/object_store.h"

namespace natss3 {
namespace {

// Smallest string greater than every string starting with `p` ("" = no bound).
std::string PrefixSuccessor(std::string p) {
  while (!p.empty() && static_cast<unsigned char>(p.back()) == 0xFF) p.pop_back();
  if (!p.empty()) p.back() = static_cast<char>(static_cast<unsigned char>(p.back()) + 1);
  return p;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

std::string HeaderValue(const Headers& h, std::string_view key) {
  for (const auto& [k, v] : h)
    if (k.size() == key.size() && ::strncasecmp(k.data(), key.data(), k.size()) == 0 && !v.empty())
      return v.front();
  return {};
}

}  // namespace

ListingIndex::ListingIndex(ObjectStore* store, std::string bucket)
    : store_(store), bucket_(std::move(bucket)) {}

ListingIndex::~ListingIndex() { Stop(); }

Result<std::shared_ptr<ListingIndex>> ListingIndex::Start(ObjectStore* store, std::string bucket,
                                                          std::chrono::milliseconds timeout) {
  std::shared_ptr<ListingIndex> idx(new ListingIndex(store, std::move(bucket)));
  auto w = store->Watch(idx->bucket_, {});
  if (!w.ok()) return w.status();
  idx->watcher_ = std::move(w).value();
  idx->thread_ = std::thread([p = idx.get()] { p->Run(); });
  std::unique_lock<std::mutex> lock(idx->ready_mu_);
  if (!idx->ready_cv_.wait_for(lock, timeout, [&] { return idx->ready_; })) {
    lock.unlock();
    idx->Stop();
    return DeadlineExceeded("timeout loading the listing of bucket " + idx->bucket_);
  }
  return idx;
}

void ListingIndex::Stop() {
  {
    std::lock_guard<std::mutex> lock(watcher_mu_);
    if (stop_) return;
    stop_ = true;
    if (watcher_) watcher_->Stop();
  }
  if (thread_.joinable()) thread_.join();
}

bool ListingIndex::ready() const {
  std::lock_guard<std::mutex> lock(ready_mu_);
  return ready_;
}

void ListingIndex::Run() {
  auto backoff = std::chrono::milliseconds(200);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(watcher_mu_);
      if (stop_) return;
    }
    auto ev = watcher_->Next(std::chrono::milliseconds(500));
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
        std::lock_guard<std::mutex> lock(ready_mu_);
        ready_ = true;
        ready_cv_.notify_all();
        continue;
      }
      Apply(ev->info);
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
      // Before the new watch exists: a record stored before it is in its replay, and a commit
      // observed from now on is in seen_, so EndResync drops neither (read-your-writes).
      std::unique_lock<std::shared_mutex> wlock(mu_);
      resync_ = true;
      seen_.clear();
    }
    auto w = store_->Watch(bucket_, {});
    if (!w.ok()) continue;
    std::lock_guard<std::mutex> lock(watcher_mu_);
    if (stop_) return;
    watcher_ = std::move(w).value();
  }
}

void ListingIndex::EndResync() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (!resync_) return;
  resync_ = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (seen_.count(it->first)) {
      ++it;
      continue;
    }
    if (auto n = by_nuid_.find(it->second.nuid); n != by_nuid_.end() && n->second == it->first)
      by_nuid_.erase(n);
    it = entries_.erase(it);
  }
  for (auto it = moves_.begin(); it != moves_.end();)
    it = seen_.count(it->first) ? std::next(it) : moves_.erase(it);
  seen_.clear();
}

void ListingIndex::Observe(const ObjectInfo& info) { Apply(info); }

void ListingIndex::ForgetName(const std::string& name, uint64_t revision) {
  ObjectInfo gone;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto cur = entries_.find(name);
    if (cur == entries_.end() || cur->second.revision > revision) return;
    if (auto n = by_nuid_.find(cur->second.nuid); n != by_nuid_.end() && n->second == name)
      by_nuid_.erase(n);
    gone.bucket = bucket_;
    gone.meta.name = name;
    gone.nuid = cur->second.nuid;
    gone.revision = cur->second.revision;
    gone.deleted = true;
    entries_.erase(cur);
    uint64_t& tomb = tombstones_[name];  // a late event of the purged record stays out
    tomb = std::max(tomb, revision);
  }
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (auto& [_, l] : listeners_) l(gone);
}

void ListingIndex::Apply(const ObjectInfo& info) {
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    if (resync_) seen_.insert(info.meta.name);
    auto cur = entries_.find(info.meta.name);
    if (cur != entries_.end() && cur->second.revision >= info.revision) return;  // stale
    auto tomb = tombstones_.find(info.meta.name);
    if (tomb != tombstones_.end() && tomb->second >= info.revision) return;  // stale
    NoteMove(info);
    bool move = info.deleted && !info.Header(kRenameHeader).empty();
    if (cur != entries_.end() && !cur->second.nuid.empty() && !move &&
        (cur->second.nuid != info.nuid || info.deleted)) {
      NoteReleased(cur->second.nuid, info.mtime);
    }
    if (info.deleted) {
      if (cur != entries_.end()) entries_.erase(cur);
      tombstones_[info.meta.name] = info.revision;
      if (tombstones_.size() > 100000) tombstones_.clear();
    } else {
      if (tomb != tombstones_.end()) tombstones_.erase(tomb);
      // A rename keeps the nuid: the older name carrying the same nuid is dropped below.
      Entry e;
      e.name = info.meta.name;
      e.size = info.size;
      e.mtime = info.mtime;
      e.digest = info.digest;
      e.md5_hex = HeaderValue(info.meta.headers, kMd5Header);
      e.etag = HeaderValue(info.meta.headers, "Natss3-Etag");
      e.content_type = HeaderValue(info.meta.headers, "Content-Type");
      e.is_link = info.is_link();
      e.revision = info.revision;
      e.headers = info.meta.headers;
      e.nuid = info.nuid;
      if (!info.nuid.empty()) {
        auto old = by_nuid_.find(info.nuid);
        if (old != by_nuid_.end() && old->second != info.meta.name) {
          auto oe = entries_.find(old->second);
          if (oe != entries_.end() && oe->second.nuid == info.nuid) {
            if (oe->second.revision > info.revision) return;  // renamed away since: stale
            // A late event for the old name must not bring it back.
            tombstones_[old->second] = info.revision;
            entries_.erase(oe);
          }
        }
        by_nuid_[info.nuid] = info.meta.name;
      }
      entries_.insert_or_assign(info.meta.name, std::move(e));
    }
  }
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (auto& [_, l] : listeners_) l(info);
}

ListingIndex::Page ListingIndex::List(const Query& q) const {
  Page page;
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = q.start_after.empty() || q.start_after < q.prefix
                ? entries_.lower_bound(q.prefix)
                : entries_.upper_bound(q.start_after);
  size_t limit = q.max_entries;
  std::string last;
  while (it != entries_.end() && StartsWith(it->first, q.prefix)) {
    if (page.entries.size() + page.common_prefixes.size() >= limit) {
      page.truncated = true;
      break;
    }
    const std::string& key = it->first;
    if (!q.delimiter.empty()) {
      size_t pos = key.find(q.delimiter, q.prefix.size());
      if (pos != std::string::npos) {
        std::string cp = key.substr(0, pos + q.delimiter.size());
        std::string next = PrefixSuccessor(cp);
        if (q.start_after.empty() || cp > q.start_after) {
          page.common_prefixes.push_back(cp);
          last = cp;
        }
        it = next.empty() ? entries_.end() : entries_.lower_bound(next);
        continue;
      }
    }
    page.entries.push_back(it->second);
    last = key;
    ++it;
  }
  if (page.truncated) page.next_start_after = last;
  return page;
}

std::optional<ListingIndex::Entry> ListingIndex::Lookup(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

uint64_t ListingIndex::RevisionOf(std::string_view name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) return it->second.revision;
  if (auto it = tombstones_.find(name); it != tombstones_.end()) return it->second;
  return 0;
}

size_t ListingIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return entries_.size();
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

// Called with mu_ held. Only recent releases matter (release grace): the map is pruned.
void ListingIndex::NoteReleased(const std::string& nuid, TimePoint when) {
  released_[nuid] = when;
  if (released_.size() > 10000) {
    auto cutoff = when - std::chrono::minutes(10);
    for (auto it = released_.begin(); it != released_.end();)
      it = it->second < cutoff ? released_.erase(it) : std::next(it);
    if (released_.size() > 20000) released_.clear();
  }
}

ListingIndex::References ListingIndex::Refs() const {
  References refs;
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [_, e] : entries_)
    if (!e.nuid.empty()) refs.nuids.insert(e.nuid);
  for (const auto& [_, m] : moves_) {
    refs.nuids.insert(m.nuid);
    refs.moves.push_back(m);
  }
  refs.released = released_;
  return refs;
}

bool ListingIndex::NamedElsewhere(const std::string& nuid, std::string_view except_name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const auto& [_, m] : moves_)
    if (m.nuid == nuid) return true;
  auto named = by_nuid_.find(nuid);
  if (named == by_nuid_.end() || named->second == except_name) return false;
  auto e = entries_.find(named->second);
  return e != entries_.end() && e->second.nuid == nuid;
}

void ListingIndex::ForgetMove(const std::string& name, uint64_t revision) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = moves_.find(name);
  if (it != moves_.end() && it->second.revision <= revision) moves_.erase(it);
}

}  // namespace natss3
