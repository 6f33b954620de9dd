// NatsObjectStore: object info lookups, listing, watches, per-bucket listing indexes, reads,
// staged data. Meta writes are in meta_writes.cc, garbage collection in collector.cc.
#include "nats/nats_store.h"

#include <algorithm>
#include <cstdlib>

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
  std::lock_guard<std::mutex> lock(indexes_mu_);
  for (auto& [_, idx] : indexes_) idx->Stop();
}

std::shared_ptr<void> NatsObjectStore::HoldVersion(const ObjectInfo& info) {
  if (info.nuid.empty() || info.is_link()) return std::make_shared<int>(0);
  return reclaimer_.Hold(info.bucket, info.nuid);
}

Status NatsObjectStore::Health() {
  if (!conn_->connected()) return Unavailable("not connected to NATS");
  auto r = conn_->Api("INFO", nlohmann::json::object(), "JetStream health check");
  return r.ok() ? Status::OK() : r.status();
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

uint32_t NatsObjectStore::EffectiveChunkSize(uint32_t requested) const {
  uint64_t cs = requested ? requested : kDefaultChunkSize;
  return static_cast<uint32_t>(std::min<uint64_t>(cs, conn_->max_payload()));
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
  {
    std::lock_guard<std::mutex> lock(bucket_cache_mu_);
    auto it = bucket_cache_.find(bucket);
    if (it != bucket_cache_.end() && now - it->second.second < std::chrono::seconds(1))
      return it->second.first;
  }
  NATSS3_ASSIGN_OR_RETURN(auto st, GetBucketStatus(bucket));
  BucketFacts facts{st.sealed, st.replicas > 1};
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  bucket_cache_[std::string(bucket)] = {facts, now};
  return facts;
}

bool NatsObjectStore::Replicated(std::string_view bucket) {
  auto facts = Facts(bucket);
  return facts.ok() && facts->replicated;
}

void NatsObjectStore::ForgetBucket(std::string_view bucket) {
  std::lock_guard<std::mutex> lock(bucket_cache_mu_);
  if (auto it = bucket_cache_.find(bucket); it != bucket_cache_.end()) bucket_cache_.erase(it);
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
  NATSS3_ASSIGN_OR_RETURN(BucketFacts facts, Facts(bucket));
  std::string subject = MetaSubject(bucket, name);
  std::string stream = StreamName(bucket);
  jsDirectGetMsgOptions dg;
  jsDirectGetMsgOptions_Init(&dg);
  dg.LastBySubject = subject.c_str();
  natsMsg* raw = nullptr;
  natsStatus s = js_DirectGetMsg(&raw, conn_->js(), stream.c_str(), nullptr, &dg);
  if (s == NATS_NOT_FOUND) {
    // Any replica answers direct gets; one that lags has not seen a put that just returned.
    if (facts.replicated) return GetInfoFromLeader(bucket, name);
    return NotFound("object not found: " + std::string(name));
  }
  if (s == NATS_NO_RESPONDERS || s == NATS_TIMEOUT) {
    ForgetBucket(bucket);
    auto st = StreamInfo(bucket);
    if (!st.ok()) return st.status();
    if (s == NATS_TIMEOUT) return FromNats(s, "get info of " + std::string(name));
    return Unavailable("bucket " + std::string(bucket) + " does not answer direct gets");
  }
  if (s != NATS_OK) return FromNats(s, "get info of " + std::string(name));
  MsgPtr msg(raw);
  return InfoFromMsg(raw, bucket, natsMsg_GetSequence(raw), natsMsg_GetTime(raw));
}

Result<ObjectInfo> NatsObjectStore::GetInfoFromLeader(std::string_view bucket,
                                                      std::string_view name) {
  std::string subject = MetaSubject(bucket, name);
  std::string stream = StreamName(bucket);
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&raw, conn_->js(), stream.c_str(), subject.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
    return NotFound("object not found: " + std::string(name));
  if (s != NATS_OK) return FromNats(s, "get info of " + std::string(name), jerr);
  MsgPtr msg(raw);
  return InfoFromMsg(raw, bucket, natsMsg_GetSequence(raw), natsMsg_GetTime(raw));
}

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
}  // namespace

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
  WatchOptions wo;
  wo.ignore_deletes = !show_deleted;
  NATSS3_ASSIGN_OR_RETURN(auto watcher, Watch(bucket, wo));
  std::vector<ObjectInfo> out;
  for (;;) {
    auto ev = watcher->Next(std::chrono::milliseconds(conn_->timeout_ms()));
    if (!ev.ok()) return ev.status().Annotate("list " + std::string(bucket));
    if (ev->kind == WatchEvent::Kind::kEndOfInitial) break;
    out.push_back(std::move(ev->info));
  }
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
  {
    std::lock_guard<std::mutex> lock(indexes_mu_);
    auto it = indexes_.find(bucket);
    if (it != indexes_.end() && it->second->ready()) return it->second;
  }
  NATSS3_ASSIGN_OR_RETURN(auto status, GetBucketStatus(bucket));
  (void)status;
  std::lock_guard<std::mutex> lock(indexes_mu_);
  auto it = indexes_.find(bucket);
  if (it != indexes_.end()) return it->second;
  NATSS3_ASSIGN_OR_RETURN(auto idx, ListingIndex::Start(this, std::string(bucket),
                                                        std::chrono::milliseconds(60000)));
  indexes_.emplace(std::string(bucket), idx);
  return idx;
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
  if (facts.sealed) return FailedPrecondition("bucket " + std::string(bucket) + " is sealed");
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
  return OpenInfo(info, options);
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
  if (st.sealed) return FailedPrecondition("bucket " + std::string(bucket) + " is sealed");
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
