// RecordStore over a JetStream key-value bucket (cnats kvStore).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "meta_json.h"
#include "nats/errors.h"
#include "natss3/names.h"
#include "nats/nats_store.h"

namespace natss3::natsw {
namespace {

// Whether a failed key-value call may succeed if repeated: no answer in time, or no stream
// leader to answer (the store's leader was lost and another is being elected).
bool Transient(natsStatus s) {
  return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_DISCONNECTED ||
         s == NATS_STALE_CONNECTION;
}

// Runs `call` again while it fails transiently, within the connection's request budget (a
// leader election after a server's loss fits), like the data path's requests. `what` names
// the store in the debug log of each failed attempt.
template <typename Call>
natsStatus RetryTransient(const NatsConnection& conn, const std::string& what, Call call) {
  auto deadline = std::chrono::steady_clock::now() + conn.budget();
  for (int attempt = 0;; ++attempt) {
    auto sent = std::chrono::steady_clock::now();
    natsStatus s = call();
    if (Transient(s))
      spdlog::debug("record store {} attempt {}: {} after {} ms", what, attempt,
                    natsStatus_GetText(s),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - sent)
                        .count());
    if (!Transient(s) || std::chrono::steady_clock::now() >= deadline || !conn.RetryAfterFailure())
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 << std::min(attempt, 3), 400)));
  }
}

class NatsRecordStore : public RecordStore {
 public:
  NatsRecordStore(KvPtr kv, const NatsConnection* conn, std::string name, bool replicated)
      : kv_(std::move(kv)), conn_(conn), name_(std::move(name)), replicated_(replicated) {}

  Status Put(std::string_view key, std::string_view value) override {
    uint64_t rev = 0;
    std::string k(key);
    // A put stores the whole value: repeating one that may have been stored is harmless.
    natsStatus s = Retrying([&] {
      return kvStore_Put(&rev, kv_.get(), k.c_str(), value.data(), static_cast<int>(value.size()));
    });
    return FromNats(s, "store record " + k);
  }

  Result<std::string> Get(std::string_view key) override {
    NATSS3_ASSIGN_OR_RETURN(Record r, GetRecord(key));
    return std::move(r.value);
  }

  Result<Record> GetRecord(std::string_view key) override { return Read(key, /*quick=*/false); }

  Result<std::string> GetQuick(std::string_view key) override {
    NATSS3_ASSIGN_OR_RETURN(Record r, Read(key, /*quick=*/true));
    return std::move(r.value);
  }

  Status Delete(std::string_view key) override {
    std::string k(key);
    natsStatus s = Retrying([&] { return kvStore_Purge(kv_.get(), k.c_str(), nullptr); });
    if (s == NATS_NOT_FOUND) return Status::OK();
    return FromNats(s, "delete record " + k);
  }

  Result<std::vector<std::string>> Keys(std::string_view prefix) override {
    kvKeysList list;
    natsStatus s = Retrying([&] { return kvStore_Keys(&list, kv_.get(), nullptr); });
    std::vector<std::string> out;
    if (s == NATS_NOT_FOUND) return out;
    if (s != NATS_OK) return FromNats(s, "list records");
    for (int i = 0; i < list.Count; ++i) {
      std::string k = list.Keys[i];
      if (k.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(k));
    }
    kvKeysList_Destroy(&list);
    return out;
  }

 private:
  Result<Record> Read(std::string_view key, bool quick) {
    std::string k(key);
    kvEntry* e = nullptr;
    natsStatus s = Retrying([&] { return kvStore_Get(&e, kv_.get(), k.c_str()); });
    if (s == NATS_NOT_FOUND && replicated_) return FromLeader(k, quick);
    if (s == NATS_NOT_FOUND) return NotFound("record not found: " + k);
    if (s != NATS_OK) return FromNats(s, "read record " + k);
    KvEntryPtr entry(e);
    Record r;
    r.value.assign(static_cast<const char*>(kvEntry_Value(e)),
                   static_cast<size_t>(kvEntry_ValueLen(e)));
    r.revision = kvEntry_Revision(e);
    r.time = TimePoint(std::chrono::nanoseconds(kvEntry_Created(e)));
    return r;
  }

  // A replicated store's gets may be answered by a follower that has not applied a record
  // another process stored a moment ago (an upload created through another gateway): "not
  // found" is confirmed by the stream leader.
  // quick: the leader gets kQuickConfirm to answer, else the replica's "not found" stands,
  // and for kQuickPause after that the leader is not asked (a leader election takes seconds;
  // settings read on every request would otherwise stall every request meanwhile).
  Result<Record> FromLeader(const std::string& k, bool quick) const {
    using Clock = std::chrono::steady_clock;
    if (quick && Clock::now().time_since_epoch().count() < quick_paused_until_.load())
      return NotFound("record not found: " + k);
    nlohmann::json body = {{"last_by_subj", "$KV." + name_ + "." + k}};
    auto answer = conn_->Api("STREAM.MSG.GET.KV_" + name_, body, "read record " + k,
                             /*retry=*/true, quick ? kQuickConfirm : std::chrono::milliseconds(0));
    if (!answer.ok()) {
      if (answer.status().code() == Code::kNotFound) return NotFound("record not found: " + k);
      if (quick && (answer.status().code() == Code::kDeadlineExceeded ||
                    answer.status().code() == Code::kUnavailable)) {
        spdlog::debug("record store {}: no leader answer, replicas answer for a while: {}",
                      name_, answer.status().ToString());
        quick_paused_until_ = (Clock::now() + kQuickPause).time_since_epoch().count();
        return NotFound("record not found: " + k);
      }
      return answer.status();
    }
    const nlohmann::json m = answer->value("message", nlohmann::json::object());
    std::optional<std::string> headers = Base64Decode(m.value("hdrs", std::string()));
    if (headers && (headers->find("KV-Operation: DEL") != std::string::npos ||
                    headers->find("KV-Operation: PURGE") != std::string::npos))
      return NotFound("record not found: " + k);  // deleted or purged
    std::optional<std::string> data = Base64Decode(m.value("data", std::string()));
    if (!data) return Internal("read record " + k + ": invalid data in the leader's answer");
    Record r;
    r.value = std::move(*data);
    r.revision = m.value("seq", uint64_t{0});
    r.time = ParseRfc3339(m.value("time", std::string()));
    return r;
  }

  template <typename Call>
  natsStatus Retrying(Call call) const {
    return RetryTransient(*conn_, name_, call);
  }

  static constexpr std::chrono::milliseconds kQuickConfirm{300};
  static constexpr std::chrono::seconds kQuickPause{3};
  KvPtr kv_;
  mutable std::atomic<int64_t> quick_paused_until_{0};  // steady clock ticks
  const NatsConnection* conn_;
  const std::string name_;
  const bool replicated_;
};

}  // namespace

namespace {

// natss3's own record stores (multipart uploads, bucket ACL/CORS/policy/object-lock
// configuration, garbage-collection pins) must outlive the loss of a server as the buckets
// do: on a JetStream cluster they get three replicas. A standalone server refuses more than
// one (and a cluster of two cannot place three), so those keep one.
constexpr int kClusterReplicas = 3;

// A store created by an older natss3 (or before the cluster grew) with fewer replicas is
// raised to three when its stream says it lives on a cluster (standalone servers name no
// cluster in a stream's info). A failure only leaves it as it was.
// Returns whether the store has more than one replica (afterwards).
bool RaiseReplicas(NatsObjectStore* store, const std::string& stream, const nlohmann::json& info) {
  nlohmann::json cfg = info.value("config", nlohmann::json::object());
  if (!cfg.is_object()) return true;
  const int replicas = cfg.value("num_replicas", 1);
  const nlohmann::json cluster = info.value("cluster", nlohmann::json::object());
  if (!cluster.is_object() || cluster.value("name", std::string()).empty()) return replicas > 1;
  if (replicas >= kClusterReplicas) return true;
  cfg["num_replicas"] = kClusterReplicas;
  auto updated = store->conn().Api("STREAM.UPDATE." + stream, cfg, "replicate " + stream);
  if (updated.ok()) {
    spdlog::info("record store {} now has {} replicas", stream, kClusterReplicas);
    return true;
  }
  spdlog::warn("record store {} keeps {} replica(s): {}", stream, replicas,
               updated.status().ToString());
  return replicas > 1;
}

// A handle on the context whose calls wait one read attempt (NatsConnection::js_attempt): each
// record call is then repeated in time (Retrying) when its answer is lost with a failing
// server, instead of waiting the whole request timeout.
natsStatus OpenKv(kvStore** kv, NatsObjectStore* store, const std::string& name) {
  return RetryTransient(store->conn(), name,
                        [&] { return js_KeyValue(kv, store->conn().js_attempt(), name.c_str()); });
}

natsStatus CreateKv(kvStore** kv, NatsObjectStore* store, const std::string& name, int replicas) {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = name.c_str();
  cfg.History = 1;
  cfg.Replicas = replicas;
  natsStatus s = js_CreateKeyValue(kv, store->conn().js(), &cfg);
  if (s != NATS_OK) return s;
  // The handle is reopened on the context with short waits (see OpenKv).
  kvStore_Destroy(*kv);
  *kv = nullptr;
  return OpenKv(kv, store, name);
}

}  // namespace

Result<std::shared_ptr<RecordStore>> NewNatsRecordStore(NatsObjectStore* store,
                                                        std::string name) {
  const std::string stream = "KV_" + name;
  kvStore* kv = nullptr;
  auto info = store->conn().Api("STREAM.INFO." + stream, nlohmann::json(),
                                "record store " + name, /*retry=*/true);
  if (info.ok()) {
    bool replicated = RaiseReplicas(store, stream, *info);
    natsStatus s = OpenKv(&kv, store, name);
    if (s != NATS_OK) return FromNats(s, "open record store " + name);
    return std::shared_ptr<RecordStore>(
        std::make_shared<NatsRecordStore>(KvPtr(kv), &store->conn(), name, replicated));
  }
  // Missing (or its info unavailable): create it, replicated where the server allows.
  natsStatus s = CreateKv(&kv, store, name, kClusterReplicas);
  bool replicated = s == NATS_OK;
  if (s != NATS_OK) s = CreateKv(&kv, store, name, 1);
  if (s != NATS_OK) {
    // Another process created it meanwhile (with another configuration), or the creation
    // failed: whatever exists is used.
    s = OpenKv(&kv, store, name);
    if (s != NATS_OK) return FromNats(s, "open record store " + name);
    replicated = true;  // unknown: confirming "not found" with the leader is always correct
  }
  return std::shared_ptr<RecordStore>(
      std::make_shared<NatsRecordStore>(KvPtr(kv), &store->conn(), name, replicated));
}

}  // namespace natss3::natsw
