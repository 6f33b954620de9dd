// NatsObjectStore: object info lookups, listing, watches, per-bucket listing indexes, reads,
// staged data. Meta writes are in meta_writes.cc, garbage collection in collector.cc.
#include "nats/nats_store.h"

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "meta_json.h"
#include "nats/errors.h"
#include "natss3/names.h"

namespace natss3 {

Result<std::shared_ptr<ObjectStore>> MakeNatsObjectStore(
    std::shared_ptr<natsw::NatsConnection> conn, const ConnectOptions& options) {
  return std::shared_ptr<ObjectStore>(
      std::make_shared<natsw::NatsObjectStore>(std::move(conn), options));
}

namespace natsw {

// ---------------------------------------------------------------- store basics

NatsObjectStore::NatsObjectStore(std::shared_ptr<NatsConnection> conn,
                                 const ConnectOptions& options)
    : conn_(std::move(conn)), options_(options), reclaimer_(conn_, options.release_grace) {
  if (options_.gc_interval.count() > 0) collector_ = std::thread([this] { CollectLoop(); });
}

NatsObjectStore::~NatsObjectStore() {
  {
    std::lock_guard<std::mutex> lock(collect_mu_);
    collect_stop_ = true;
  }
  collect_cv_.notify_all();
  if (collector_.joinable()) collector_.join();
  std::map<std::string, std::shared_ptr<ListingIndex>, std::less<>> indexes;
  {
    std::lock_guard<std::mutex> lock(indexes_mu_);
    indexes.swap(indexes_);
  }
  for (auto& [_, idx] : indexes) idx->Stop();
}

std::shared_ptr<void> NatsObjectStore::HoldVersion(const ObjectInfo& info) {
  if (info.nuid.empty() || info.is_link()) return std::make_shared<int>(0);
  return reclaimer_.Hold(info.bucket, info.nuid);
}

Status NatsObjectStore::Health() {
  if (!conn_->connected()) return Unavailable("not connected to NATS");
  auto r = conn_->Api("INFO", nlohmann::json::object(), "JetStream health check", false,
                      std::chrono::milliseconds(0));
  if (r.ok()) return Status::OK();
  // Connected, and JetStream late or "temporarily unavailable": a cluster electing its meta
  // leader after a server's loss. Requests retry through that; the gateway stays up.
  const Status& st = r.status();
  if (st.code() == Code::kDeadlineExceeded ||
      (st.code() == Code::kUnavailable && st.message().find("not enabled") == std::string::npos))
    return Status::OK();
  return st;
}

Result<ObjectStore::AccountStorage> NatsObjectStore::GetAccountStorage() {
  NATSS3_ASSIGN_OR_RETURN(auto info, conn_->Api("INFO", nlohmann::json::object(),
                                                 "JetStream account info"));
  AccountStorage st;
  st.used = info.value("storage", uint64_t{0});
  if (info.contains("limits") && info["limits"].is_object())
    st.limit = info["limits"].value("max_storage", int64_t{-1});
  return st;
}

namespace {
constexpr uint64_t kChunkHeaderRoom = 256;
}  // namespace

uint32_t NatsObjectStore::EffectiveChunkSize(uint32_t requested) const {
  uint64_t cs = requested ? requested : kDefaultChunkSize;
  // Room for the chunk's headers (Nats-Msg-Id), which count against max_payload.
  return static_cast<uint32_t>(std::min<uint64_t>(cs, conn_->max_payload() - kChunkHeaderRoom));
}

std::shared_ptr<const ChunkIndex> NatsObjectStore::CachedChunkIndex(const std::string& key) {
  std::lock_guard<std::mutex> lock(chunk_cache_mu_);
  for (auto it = chunk_cache_.begin(); it != chunk_cache_.end(); ++it) {
    if (it->first == key) {
      chunk_cache_.splice(chunk_cache_.begin(), chunk_cache_, it);
      return chunk_cache_.front().second;
    }
  }
  return nullptr;
}

void NatsObjectStore::CacheChunkIndex(const std::string& key,
                                      std::shared_ptr<const ChunkIndex> index) {
  std::lock_guard<std::mutex> lock(chunk_cache_mu_);
  chunk_cache_.emplace_front(key, std::move(index));
  if (chunk_cache_.size() > 256) chunk_cache_.pop_back();
}

int ChunksInFlight(int window, uint64_t chunk_size) {
  uint64_t budget = static_cast<uint64_t>(std::max(1, window)) * kDefaultChunkSize;
  uint64_t fit = chunk_size ? budget / chunk_size : budget;
  return static_cast<int>(std::min<uint64_t>(std::max(1, window), std::max<uint64_t>(4, fit)));
}

Result<NatsObjectStore::BucketFacts> NatsObjectStore::Facts(std::string_view bucket) {
  auto now = std::chrono::steady_clock::now();
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(bucket_cache_mu_);
    auto it = bucket_cache_.find(bucket);
    if (it != bucket_cache_.end() && now - it->second.second < std::chrono::seconds(1))
      return it->second.first;
    known = it != bucket_cache_.end();
  }
  auto st = GetBucketStatus(bucket);
  if (!st.ok()) {
    Code c = st.status().code();
    std::lock_guard<std::mutex> lock(bucket_cache_mu_);
    auto it = bucket_cache_.find(bucket);
    if (known && it != bucket_cache_.end() &&
        (c == Code::kUnavailable || c == Code::kDeadlineExceeded || c == Code::kInternal)) {
      it->second.second = now;
      return it->second.first;
    }
    return st.status();
  }
  BucketFacts facts{st->sealed, st->replicas > 1};
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  bucket_cache_[std::string(bucket)] = {facts, now};
  return facts;
}

bool NatsObjectStore::NoDirect(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  return no_direct_.count(bucket) > 0;
}

bool NatsObjectStore::Replicated(std::string_view bucket) {
  {
    // Replication seldom changes: what is known, however old, saves a lookup that would wait
    // for a stream leader being elected.
    std::lock_guard<std::mutex> lock(bucket_cache_mu_);
    if (auto it = bucket_cache_.find(bucket); it != bucket_cache_.end())
      return it->second.first.replicated;
  }
  auto facts = Facts(bucket);
  return facts.ok() && facts->replicated;
}

void NatsObjectStore::ForgetBucket(std::string_view bucket) {
  {
    std::lock_guard<std::mutex> lock(listing_checks_mu_);
    listing_checks_.erase(std::string(bucket));
  }
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  if (auto it = bucket_cache_.find(bucket); it != bucket_cache_.end()) bucket_cache_.erase(it);
  if (auto it = last_status_.find(bucket); it != last_status_.end()) last_status_.erase(it);
}

Result<ObjectInfo> InfoFromMsg(natsMsg* msg, std::string_view bucket, uint64_t seq,
                               int64_t time_ns) {
  NATSS3_ASSIGN_OR_RETURN(
      ObjectInfo info,
      UnmarshalObjectInfo(std::string_view(natsMsg_GetData(msg),
                                           static_cast<size_t>(natsMsg_GetDataLength(msg)))));
  // The bucket a record was read from, whatever its JSON says: reads go to that bucket's
  // stream, and permission checks of the front ends rely on it.
  info.bucket = std::string(bucket);
  info.revision = seq;
  info.mtime = TimePoint(std::chrono::nanoseconds(time_ns));
  return info;
}

Result<ObjectInfo> NatsObjectStore::GetInfoRaw(std::string_view bucket, std::string_view name) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, name));
  MsgQuery q;
  q.last_by_subj = MetaSubject(bucket, name);
  // A replica that lags may not have a record this process committed a moment ago (or may
  // have an older one): then the leader is asked (read-your-writes through leader changes).
  uint64_t committed = CommittedRevision(bucket, name);
  {
    // Another process's write: this process's listing index (fed by the leader's watch) may
    // know a newer revision than a lagging replica.
    std::shared_ptr<ListingIndex> idx = FindIndex(bucket);
    if (idx) {
      uint64_t seen = idx->RevisionOf(name);
      committed = std::max(committed, seen);
    }
  }
  Result<StoredMsg> got = Unavailable("not asked");
  // A replicated bucket's record is read through its stream leader: a follower answers direct
  // gets with what it has applied, which may be the previous version of an object another
  // process (another gateway, a mount) wrote and had acknowledged a moment ago. Whether the
  // bucket is replicated is asked once per process and then remembered (Replicated).
  // A leader that does not answer within kLeaderReadBudget (lost, an election under way) is
  // not waited for: what a replica has is read instead, and for kLeaderPause the leader is not
  // asked first (a read-back after a server's loss would otherwise wait on every record).
  // Without a connection (the server it went to was lost) no leader can answer before the
  // reconnection: the lookup below waits for that instead.
  if ((options_.leader_reads || Replicated(bucket)) && !LeaderPaused(bucket) &&
      conn_->connected()) {
    got = GetStored(bucket, q, /*leader=*/true, kLeaderReadBudget);
    if (!got.ok() && IsTransient(got.status())) {
      spdlog::debug("leader reads of {} paused: {}", bucket, got.status().ToString());
      PauseLeaderReads(bucket);
      got = GetStored(bucket, q);
    }
  } else {
    got = GetStored(bucket, q);
  }
  if (committed && (got.ok() ? got->seq < committed : got.status().code() == Code::kNotFound)) {
    spdlog::debug("record {} behind revision {} on a replica: asking the leader", name,
                  committed);
    got = GetStored(bucket, q, /*leader=*/true);
  }
  if (!got.ok()) {
    if (got.status().code() == Code::kNotFound && got.status().detail() != Detail::kBucketNotFound)
      return NotFound("object not found: " + std::string(name));
    return got.status().Annotate("get info of " + std::string(name));
  }
  return InfoFromMsg(got->msg.get(), bucket, got->seq, got->time_ns);
}

bool NatsObjectStore::LeaderPaused(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  auto it = leader_paused_.find(bucket);
  if (it == leader_paused_.end()) return false;
  if (std::chrono::steady_clock::now() < it->second) return true;
  leader_paused_.erase(it);
  return false;
}

void NatsObjectStore::PauseLeaderReads(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  leader_paused_[std::string(bucket)] = std::chrono::steady_clock::now() + kLeaderPause;
}

Result<ObjectInfo> NatsObjectStore::GetInfoFromLeader(std::string_view bucket,
                                                      std::string_view name) {
  MsgQuery q;
  q.last_by_subj = MetaSubject(bucket, name);
  auto got = GetStored(bucket, q, /*leader=*/true);
  if (!got.ok()) {
    if (got.status().code() == Code::kNotFound && got.status().detail() != Detail::kBucketNotFound)
      return NotFound("object not found: " + std::string(name));
    return got.status().Annotate("get info of " + std::string(name));
  }
  return InfoFromMsg(got->msg.get(), bucket, got->seq, got->time_ns);
}

void NatsObjectStore::RememberCommitted(std::string_view bucket, std::string_view name,
                                        uint64_t revision) {
  std::string key = std::string(bucket) + "/" + std::string(name);
  std::lock_guard<std::mutex> lock(committed_mu_);
  auto [it, fresh] = committed_.try_emplace(key, revision);
  if (!fresh) {
    it->second = std::max(it->second, revision);
    return;
  }
  committed_order_.push_back(std::move(key));
  // A record committed this long ago (in puts) has reached every replica that is not far
  // behind; what is forgotten is only checked less strictly.
  if (committed_order_.size() > 65536) {
    committed_.erase(committed_order_.front());
    committed_order_.pop_front();
  }
}

uint64_t NatsObjectStore::CommittedRevision(std::string_view bucket, std::string_view name) {
  std::string key = std::string(bucket) + "/" + std::string(name);
  std::lock_guard<std::mutex> lock(committed_mu_);
  auto it = committed_.find(key);
  return it == committed_.end() ? 0 : it->second;
}

std::chrono::milliseconds NatsObjectStore::AttemptTimeout() const {
  return conn_->attempt_timeout();
}

std::chrono::milliseconds NatsObjectStore::RequestBudget() const { return conn_->budget(); }
std::chrono::milliseconds NatsObjectStore::WriteBudget() const { return conn_->write_budget(); }

namespace {
// The status code of a JetStream status reply ("404"), empty for a data message.
std::string StatusCode(natsMsg* msg) {
  const char** keys = nullptr;
  int n = 0;
  std::string code;
  if (natsMsgHeader_Keys(msg, &keys, &n) != NATS_OK) return code;
  for (int i = 0; i < n; ++i) {
    const char* v = nullptr;
    if (std::string_view(keys[i]) == "Status" && natsMsgHeader_Get(msg, keys[i], &v) == NATS_OK && v)
      code = v;
  }
  free(keys);
  return code;
}

std::string Header(natsMsg* msg, const char* key) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(msg, key, &v) != NATS_OK || !v) return {};
  return v;
}

int64_t NanosOf(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// A STREAM.MSG.GET answer ({"message": {subject, seq, time, data}}) as a StoredMsg.
Result<StoredMsg> FromMsgGetAnswer(natsMsg* answer, std::string_view what) {
  NATSS3_ASSIGN_OR_RETURN(auto j, ParseApiAnswer(answer, what));
  if (!j.contains("message") || !j["message"].is_object())
    return Internal(std::string(what) + ": no message in the answer");
  auto& m = j["message"];
  StoredMsg out;
  out.subject = m.value("subject", "");
  out.seq = m.value("seq", uint64_t{0});
  out.time_ns = NanosOf(m.value("time", ""));
  std::optional<std::string> decoded = Base64Decode(m.value("data", ""));
  if (!decoded) return Internal(std::string(what) + ": invalid message data");
  const std::string& data = *decoded;
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, out.subject.c_str(), nullptr, data.data(),
                     static_cast<int>(data.size())) != NATS_OK)
    return Internal(std::string(what) + ": cannot build the message");
  out.msg.reset(raw);
  return out;
}
}  // namespace

Result<StoredMsg> NatsObjectStore::GetStored(std::string_view bucket, const MsgQuery& query,
                                             bool leader, std::chrono::milliseconds budget) {
  using Clock = std::chrono::steady_clock;
  const std::string stream = StreamName(bucket);
  const std::string what = "get from bucket " + std::string(bucket);
  nlohmann::json body = nlohmann::json::object();
  if (query.seq) body["seq"] = query.seq;
  if (!query.next_by_subj.empty()) body["next_by_subj"] = query.next_by_subj;
  if (!query.last_by_subj.empty()) body["last_by_subj"] = query.last_by_subj;
  if (query.next_by_subj.empty() && query.last_by_subj.empty() && !query.seq) body["seq"] = 1;
  const std::string payload = body.dump();
  const auto deadline = Clock::now() + (budget.count() > 0 ? budget : RequestBudget());
  bool direct = !leader;
  bool no_direct = false;  // the stream answered no direct get (allow_direct off)
  bool replicated_checked = false, replicated = false;
  // After a "temporarily unavailable" answer to a leader get (a meta election), every answer
  // of an attempt is read, so the stream leader's is not lost behind it (RequestAll).
  bool collect = false;
  Status last = DeadlineExceeded(what + ": timeout waiting for NATS");
  for (int attempt = 0;; ++attempt) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return last;
    if (attempt > 0 && IsTransient(last)) {
      // A leader election or a reconnection is under way: a short pause, not a busy loop.
      auto pause = std::min<int64_t>(left.count(), std::min(50 << std::min(attempt, 4), 500));
      std::this_thread::sleep_for(std::chrono::milliseconds(pause));
    }
    auto wait =
        std::min(ReadAttemptTimeout(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (wait.count() <= 0) return last;
    std::string subj =
        conn_->api_prefix() + (direct ? ".DIRECT.GET." : ".STREAM.MSG.GET.") + stream;
    const auto sent = Clock::now();
    MsgPtr reply;
    natsStatus s = conn_->Request(&reply, subj, payload, wait, collect && !direct);
    natsMsg* raw = reply.get();
    if (s != NATS_OK && spdlog::should_log(spdlog::level::debug)) {
      // Failover diagnostics (the cluster suite runs gateways at debug level).
      spdlog::debug("{} {} {} attempt {}: {} after {} ms", direct ? "direct get" : "leader get",
                    stream, payload, attempt, natsStatus_GetText(s),
                    std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent)
                        .count());
    }
    if (s == NATS_OK && natsMsg_IsNoResponders(raw)) s = NATS_NO_RESPONDERS;
    if (s == NATS_NO_RESPONDERS) {
      // No replica serves direct gets (a stream without allow_direct, or none ready): the
      // leader answers. Without a leader (an election, or no such stream) the JSON API has no
      // responder for a moment either.
      if (direct) {
        direct = false;
        no_direct = true;
        attempt = -1;  // the first leader request is not a retry
        continue;
      }
      return Unavailable(what + ": JetStream not enabled or not available");
    }
    if (s != NATS_OK) {
      last = FromNats(s, what);
      if (s == NATS_TIMEOUT || s == NATS_CONNECTION_DISCONNECTED || s == NATS_STALE_CONNECTION ||
          s == NATS_NO_SERVER || s == NATS_CONNECTION_CLOSED) {
        if (s == NATS_CONNECTION_CLOSED || !conn_->RetryAfterFailure()) return last;
        // The other kind of get next time: a replica (direct) or the leader. A stream without
        // direct gets may leave them unanswered (no "no responders" either): when the leader
        // answers after a direct get went unanswered, the bucket is read through the leader
        // until a direct get is answered again.
        if (direct && s == NATS_TIMEOUT) no_direct = true;
        if (!leader) direct = !direct;
        continue;
      }
      return last;
    }
    if (!direct) {
      if (IsLeaderlessAnswer(raw)) collect = true;
      auto got = FromMsgGetAnswer(raw, what);
      if (got.ok()) {
        if (no_direct) {
          std::lock_guard<std::mutex> lock(bucket_cache_mu_);
          no_direct_.insert(std::string(bucket));
        }
        return got;
      }
      last = got.status();
      if (IsTransient(last)) continue;
      if (last.code() == Code::kNotFound) {
        if (last.detail() == Detail::kBucketNotFound)
          return NotFound(what + ": bucket not found", Detail::kBucketNotFound);
        return NotFound(what + ": no such message");
      }
      // e.g. "JetStream system temporarily unavailable" (503 without an error code)
      if (last.code() == Code::kInternal) continue;
      return last;
    }
    std::string code = StatusCode(raw);
    if (code == "404") {
      if (!replicated_checked) {
        replicated_checked = true;
        replicated = Replicated(bucket);
      }
      if (!replicated) return NotFound(what + ": no such message");
      direct = false;  // a replica that lags may not have it yet: the leader knows
      attempt = -1;
      continue;
    }
    std::string seq = Header(raw, "Nats-Sequence");
    if (!code.empty() || seq.empty()) {
      last = Unavailable(what + ": direct get answered status " + code);
      direct = false;
      continue;
    }
    if (!leader && NoDirect(bucket)) {
      std::lock_guard<std::mutex> lock(bucket_cache_mu_);
      no_direct_.erase(std::string(bucket));
    }
    StoredMsg out;
    out.seq = std::strtoull(seq.c_str(), nullptr, 10);
    out.subject = Header(raw, "Nats-Subject");
    out.time_ns = NanosOf(Header(raw, "Nats-Time-Stamp"));
    out.msg = std::move(reply);
    return out;
  }
}

std::function<Result<ObjectInfo>()> NatsObjectStore::RequestInfo(std::string_view bucket,
                                                                  std::string_view name) {
  // Sync fallback for everything unusual (no answer, stream trouble): GetInfoRaw maps it.
  auto sync = [this, b = std::string(bucket), n = std::string(name)] { return GetInfoRaw(b, n); };
  char* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return sync;
  std::string reply = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* raw_sub = nullptr;
  if (natsConnection_SubscribeSync(&raw_sub, conn_->nc(), reply.c_str()) != NATS_OK) return sync;
  auto sub = std::make_shared<SubPtr>(AdoptSub(conn_->nc(), raw_sub));
  std::string subj = conn_->api_prefix() + ".DIRECT.GET." + StreamName(bucket);
  std::string body = nlohmann::json{{"last_by_subj", MetaSubject(bucket, name)}}.dump();
  if (natsConnection_PublishRequest(conn_->nc(), subj.c_str(), reply.c_str(), body.data(),
                                    static_cast<int>(body.size())) != NATS_OK)
    return sync;
  return [sub, sync, timeout = conn_->timeout_ms(), n = std::string(name),
          b = std::string(bucket)]() -> Result<ObjectInfo> {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, sub->get(), timeout);
    sub->reset();
    if (s != NATS_OK) return sync();
    MsgPtr msg(raw);
    if (natsMsg_IsNoResponders(raw)) return sync();
    std::string code = StatusCode(raw);
    if (code == "404") return NotFound("object not found: " + n);
    const char* seq = nullptr;
    const char* ts = nullptr;
    if (!code.empty() || natsMsgHeader_Get(raw, "Nats-Sequence", &seq) != NATS_OK || !seq ||
        natsMsgHeader_Get(raw, "Nats-Time-Stamp", &ts) != NATS_OK || !ts)
      return sync();
    auto t = ParseRfc3339(ts);
    return InfoFromMsg(raw, b, std::strtoull(seq, nullptr, 10),
                       std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
  };
}

Result<ObjectInfo> NatsObjectStore::GetInfo(std::string_view bucket, std::string_view name,
                                            bool show_deleted) {
  NATSS3_ASSIGN_OR_RETURN(ObjectInfo info, GetInfoRaw(bucket, name));
  if (info.deleted && !show_deleted) return NotFound("object not found: " + std::string(name));
  return info;
}

Result<std::vector<ObjectInfo>> NatsObjectStore::List(std::string_view bucket,
                                                      bool show_deleted) {
  // Deleted names too: the check against the leader below needs every name the list had.
  WatchOptions wo;
  // The watch's consumer lives on the stream leader: when that server dies mid-listing no event
  // comes. The listing starts over with a fresh watch (a consumer on the new leader) for two
  // request budgets: a leader paused (SIGSTOP) is noticed only after the followers' election
  // timeout, then a listing that stalled on it and a fresh one must both fit.
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::max(3 * std::chrono::milliseconds(conn_->timeout_ms()), 2 * conn_->budget());
  for (;;) {
    auto created = Watch(bucket, wo);
    if (!created.ok()) {
      if (!IsTransient(created.status()) || std::chrono::steady_clock::now() >= deadline)
        return created.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // an election: not busy
      continue;
    }
    auto watcher = std::move(created).value();
    std::vector<ObjectInfo> out;
    Status broke;
    for (;;) {
      auto ev = watcher->Next(std::chrono::milliseconds(conn_->timeout_ms()));
      if (!ev.ok()) {
        broke = ev.status();
        break;
      }
      if (ev->kind == WatchEvent::Kind::kEndOfInitial) break;
      out.push_back(std::move(ev->info));
    }
    watcher->Stop();
    if (broke.ok()) {  // the whole initial list
      auto done = CheckedAgainstLeader(bucket, std::move(out), show_deleted);
      if (done.ok()) return done;
      broke = done.status();
    }
    if (!IsTransient(broke) || std::chrono::steady_clock::now() >= deadline)
      return broke.Annotate("list " + std::string(bucket));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a lagging server catches up
  }
}

// A consumer's last-per-subject list has been seen to lack a name put well before it started
// (nats-server 2.9.10, replicated buckets, docs/cluster.md): the names the stream leader holds
// are checked against it, and the ones it lacks are read and added.
Result<std::vector<ObjectInfo>> NatsObjectStore::CheckedAgainstLeader(std::string_view bucket,
                                                                      std::vector<ObjectInfo> out,
                                                                      bool show_deleted) {
  auto drop_deleted = [&] {
    if (!show_deleted)
      out.erase(
          std::remove_if(out.begin(), out.end(), [](const ObjectInfo& i) { return i.deleted; }),
          out.end());
  };
  // Cost: the leader lists the bucket's meta subjects, a page per 100,000 names (each page a
  // sort of all of them on nats-server 2.9.10). Replicated buckets, where lists were seen to
  // lack names, are checked up to ten pages; a single server's bucket up to one.
  if (out.size() > kSubjectsPage && (out.size() > 10 * kSubjectsPage || !Replicated(bucket))) {
    drop_deleted();
    return out;
  }
  std::unordered_set<std::string> names;
  names.reserve(out.size());
  uint64_t newest = 0;
  for (const ObjectInfo& info : out) {
    names.insert(info.meta.name);
    newest = std::max(newest, info.revision);
  }
  NATSS3_ASSIGN_OR_RETURN(auto missed, MetasMissedBy(bucket, [&](const std::string& name) {
                            return names.count(name) > 0;
                          }));
  for (ObjectInfo& info : missed) {
    // Put after the list started (nothing amiss), or one the list lacked.
    if (info.revision <= newest)
      spdlog::warn("listing of bucket {} lacked {} (revision {}); added", bucket, info.meta.name,
                   info.revision);
    out.push_back(std::move(info));
  }
  drop_deleted();
  return out;
}

Result<std::unique_ptr<Watcher>> NatsObjectStore::Watch(std::string_view bucket,
                                                        const WatchOptions& options) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  if (options.include_history && options.updates_only)
    return InvalidArgument("include_history and updates_only cannot be combined");
  return NewNatsWatcher(this, std::string(bucket), options);
}

Result<std::shared_ptr<ListingIndex>> NatsObjectStore::Index(std::string_view bucket) {
  if (auto idx = FindIndex(bucket); idx && idx->ready()) return idx;
  NATSS3_ASSIGN_OR_RETURN(auto status, GetBucketStatus(bucket));
  (void)status;
  std::shared_ptr<std::mutex> latch;
  {
    std::lock_guard<std::mutex> lock(indexes_mu_);
    auto& slot = index_latches_[std::string(bucket)];
    if (!slot) slot = std::make_shared<std::mutex>();
    latch = slot;
  }
  // Loading replays every meta record of the bucket (up to 60 s): commits and loads of other
  // buckets go on meanwhile, since indexes_mu_ is not held.
  std::lock_guard<std::mutex> once(*latch);
  {
    std::lock_guard<std::mutex> lock(indexes_mu_);
    if (auto it = indexes_.find(bucket); it != indexes_.end()) return it->second;
    index_loading_[std::string(bucket)].clear();
  }
  auto started =
      ListingIndex::Start(this, std::string(bucket), std::chrono::milliseconds(60000));
  for (;;) {
    std::vector<ObjectInfo> missed;
    {
      std::lock_guard<std::mutex> lock(indexes_mu_);
      auto it = index_loading_.find(bucket);
      bool deleted = it == index_loading_.end();  // DeleteBucket ran during the load
      if (deleted || !started.ok() || it->second.empty()) {
        if (!deleted) index_loading_.erase(it);
        if (!started.ok()) return started.status();
        if (!deleted) indexes_.emplace(std::string(bucket), *started);
        return *started;
      }
      missed.swap(it->second);
    }
    // This process's commits during the load: the replay may have ended before them.
    for (const ObjectInfo& info : missed) (*started)->Observe(info);
  }
}

std::shared_ptr<ListingIndex> NatsObjectStore::FindIndex(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(indexes_mu_);
  auto it = indexes_.find(bucket);
  return it == indexes_.end() ? nullptr : it->second;
}

void NatsObjectStore::ObserveCommitted(std::string_view bucket, const ObjectInfo& info) {
  std::shared_ptr<ListingIndex> idx;
  {
    std::lock_guard<std::mutex> lock(indexes_mu_);
    if (auto it = indexes_.find(bucket); it != indexes_.end()) {
      idx = it->second;
    } else if (auto loading = index_loading_.find(bucket); loading != index_loading_.end()) {
      loading->second.push_back(info);
    }
  }
  if (idx) idx->Observe(info);
}

// ---------------------------------------------------------------- reads and puts

Result<std::unique_ptr<ObjectWriter>> NatsObjectStore::NewWriter(std::string_view bucket,
                                                                 const ObjectMeta& meta,
                                                                 const PutOptions& options) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  NATSS3_RETURN_IF_ERROR(ValidateObjectName(bucket, meta.name));
  if (meta.link) return InvalidArgument("link cannot be set when putting an object");
  if (!options.nuid.empty() &&
      (options.nuid.size() != 22 ||
       options.nuid.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
           std::string::npos))
    return InvalidArgument("a nuid is 22 characters of [0-9A-Za-z]");
  NATSS3_ASSIGN_OR_RETURN(BucketFacts facts, Facts(bucket));
  if (facts.sealed)
    return FailedPrecondition("bucket " + std::string(bucket) + " is sealed", Detail::kSealed);
  // One round trip less per put: the replaced version is looked up while the data uploads.
  // Replicated buckets ask the stream leader at commit: a lagging follower could name an older
  // version, and the replaced version's chunks would never be purged.
  std::function<Result<ObjectInfo>()> previous;
  if (facts.replicated) {
    previous = [this, b = std::string(bucket), n = meta.name] { return GetInfoFromLeader(b, n); };
  } else {
    previous = RequestInfo(bucket, meta.name);
  }
  return NewNatsWriter(this, std::string(bucket), meta, options, std::move(previous));
}

Result<std::unique_ptr<ObjectReader>> NatsObjectStore::Open(std::string_view bucket,
                                                            std::string_view name,
                                                            const ReadOptions& options) {
  NATSS3_ASSIGN_OR_RETURN(ObjectInfo info, GetInfo(bucket, name, false));
  if (info.is_link()) {
    const ObjectLink& l = *info.meta.link;
    if (l.is_bucket_link())
      return FailedPrecondition("invalid get, object is a link to a bucket");
    NATSS3_ASSIGN_OR_RETURN(ObjectInfo target,
                            GetInfo(l.bucket.empty() ? bucket : l.bucket, l.name, false));
    if (target.is_link()) return FailedPrecondition("link points to another link");
    return OpenInfo(target, options);
  }
  auto reader = OpenInfo(info, options);
  if (!reader.ok() && reader.status().code() == Code::kDataLoss && Replicated(bucket)) {
    // A replica that lagged named a version that was replaced meanwhile, and whose chunks are
    // gone: the leader names the current one.
    auto latest = GetInfoFromLeader(bucket, name);
    if (latest.ok() && latest->nuid != info.nuid && !latest->is_link()) {
      if (latest->deleted) return NotFound("object not found: " + std::string(name));
      return OpenInfo(*latest, options);
    }
  }
  return reader;
}

Result<std::unique_ptr<ObjectReader>> NatsObjectStore::OpenInfo(const ObjectInfo& info,
                                                                const ReadOptions& options) {
  if (info.is_link()) return FailedPrecondition("cannot open a link's info: open its target");
  if (info.deleted) return NotFound("object not found: " + info.meta.name);
  if (info.nuid.empty() && info.size > 0)
    return DataLoss("object-store meta information invalid: no nuid");
  return NewNatsReader(this, info, options);
}

Result<std::unique_ptr<StagedWriter>> NatsObjectStore::NewStagedWriter(std::string_view bucket,
                                                                       uint32_t chunk_size) {
  NATSS3_ASSIGN_OR_RETURN(auto st, GetBucketStatus(bucket));
  if (st.sealed)
    return FailedPrecondition("bucket " + std::string(bucket) + " is sealed", Detail::kSealed);
  return NewNatsStagedWriter(this, std::string(bucket), chunk_size);
}

Status NatsObjectStore::PurgeStaged(std::string_view bucket, std::string_view nuid) {
  NATSS3_RETURN_IF_ERROR(ValidateBucketName(bucket));
  if (nuid.empty()) return InvalidArgument("staged blob without nuid");
  Status s = conn_->Purge(StreamName(bucket), ChunkSubject(bucket, nuid));
  if (!s.ok() && s.code() != Code::kNotFound)
    reclaimer_.Retry(StreamName(bucket), ChunkSubject(bucket, nuid));
  lease_.End(std::string(bucket), std::string(nuid));
  return s.code() == Code::kNotFound ? Status::OK() : s;
}

void NatsObjectStore::ReleaseStaged(std::string_view bucket, std::string_view nuid) {
  lease_.End(std::string(bucket), std::string(nuid));
}

Result<std::unique_ptr<ObjectReader>> NatsObjectStore::OpenStaged(std::string_view bucket,
                                                                  const StagedBlob& blob,
                                                                  const ReadOptions& options) {
  ObjectInfo info;
  info.meta.name = "(staged " + blob.nuid + ")";
  info.meta.max_chunk_size = blob.chunk_size;
  info.bucket = std::string(bucket);
  info.nuid = blob.nuid;
  info.size = blob.size;
  info.chunks = blob.chunks;
  if (blob.sha256_raw.size() == 32) info.digest = FormatDigest(blob.sha256_raw);
  return NewNatsReader(this, info, options);
}

Result<ObjectInfo> NatsObjectStore::Compose(std::string_view bucket, const ObjectMeta& meta,
                                            const std::vector<BlobRange>& parts,
                                            const PutOptions& options) {
  NATSS3_ASSIGN_OR_RETURN(auto writer, NewWriter(bucket, meta, options));
  std::vector<char> buf(1 << 20);
  for (const auto& part : parts) {
    ReadOptions ro;
    ro.offset = part.offset;
    ro.length = part.length;
    ro.verify_digest = !part.length && part.offset == 0;
    NATSS3_ASSIGN_OR_RETURN(auto reader, OpenStaged(bucket, part.blob, ro));
    for (;;) {
      NATSS3_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
      if (n == 0) break;
      NATSS3_RETURN_IF_ERROR(writer->Write(std::string_view(buf.data(), n)));
    }
  }
  return writer->Commit();
}

Result<std::shared_ptr<RecordStore>> NatsObjectStore::Records(std::string_view name) {
  std::lock_guard<std::mutex> lock(records_mu_);
  if (auto it = records_.find(name); it != records_.end()) return it->second;
  NATSS3_ASSIGN_OR_RETURN(auto rs, NewNatsRecordStore(this, std::string(name)));
  records_.emplace(std::string(name), rs);
  return rs;
}

}  // namespace natsw
}  // namespace natss3
