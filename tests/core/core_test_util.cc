// Helpers shared by the core contract tests (see core_test_util.h).
#include "core_test_util.h"

#include <nats/nats.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

namespace natss3::coretest {

bool PollUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(20ms);
  }
}

std::string UniqueBucket(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::string test = "t";
  if (auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) test = info->name();
  std::string name = std::string(prefix) + "_" + test;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  if (name.size() > 48) name.resize(48);
  return name + "_" + std::to_string(counter++);
}

static std::string Digest(std::string_view data, const EVP_MD* md) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(d), len);
}

std::string Sha256Raw(std::string_view data) { return Digest(data, EVP_sha256()); }

std::string Md5Hex(std::string_view data) {
  static const char* k = "0123456789abcdef";
  std::string raw = Digest(data, EVP_md5()), hex;
  for (unsigned char c : raw) hex += k[c >> 4], hex += k[c & 15];
  return hex;
}

std::string Base64UrlPadded(std::string_view raw) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  auto b = [&](size_t j) { return static_cast<unsigned char>(raw[j]); };
  for (; i + 3 <= raw.size(); i += 3) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out += k[v >> 18], out += k[(v >> 12) & 63], out += k[(v >> 6) & 63], out += k[v & 63];
  }
  if (raw.size() - i == 1) {
    uint32_t v = b(i) << 16;
    out += k[v >> 18], out += k[(v >> 12) & 63], out += "==";
  } else if (raw.size() - i == 2) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out += k[v >> 18], out += k[(v >> 12) & 63], out += k[(v >> 6) & 63], out += '=';
  }
  return out;
}

std::string ExpectedDigest(std::string_view data) {
  return "SHA-256=" + Base64UrlPadded(Sha256Raw(data));
}

std::string HexToRaw(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != haystack.end();
}

Result<std::shared_ptr<ObjectStore>> ConnectTo(const std::string& servers,
                                               std::chrono::milliseconds timeout) {
  ConnectOptions o;
  o.servers = servers;
  o.timeout = timeout;
  o.connect_timeout = 2000ms;
  o.reconnect_wait = 200ms;
  o.name = "natss3-coretest";
  return ConnectNats(o);
}

Result<std::shared_ptr<ObjectStore>> ConnectWhenReady(const std::string& servers) {
  Result<std::shared_ptr<ObjectStore>> r = Status(Code::kInternal, "not tried");
  PollUntil([&] {
    r = ConnectTo(servers, 5000ms);
    return r.ok();
  }, 30s);
  return r;
}

Result<std::shared_ptr<ObjectStore>> ConnectWith(
    const std::string& servers, const std::function<void(ConnectOptions&)>& adjust) {
  ConnectOptions o;
  o.servers = servers;
  o.timeout = 5000ms;
  o.connect_timeout = 2000ms;
  o.reconnect_wait = 200ms;
  o.name = "natss3-coretest";
  adjust(o);
  return ConnectNats(o);
}

Result<std::string> ReadAll(ObjectReader& reader, size_t buf_size) {
  std::string out, buf(buf_size, '\0');
  while (true) {
    auto n = reader.Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

// ---------------------------------------------------------------------------------------------
// RawNats

#define CONN static_cast<natsConnection*>(conn_)
#define JS static_cast<jsCtx*>(js_)

void PutInterleaved(ObjectStore& store, const std::string& bucket, std::string_view a,
                    std::string_view b) {
  PutOptions po;
  po.chunk_size = 1024;
  auto wa = store.NewWriter(bucket, Meta("a"), po);
  auto wb = store.NewWriter(bucket, Meta("b"), po);
  ASSERT_OK(wa);
  ASSERT_OK(wb);
  for (size_t off = 0; off < std::max(a.size(), b.size()); off += 1024) {
    if (off < a.size()) {
      ASSERT_OK((*wa)->Write(a.substr(off, 1024)));
    }
    if (off < b.size()) {
      ASSERT_OK((*wb)->Write(b.substr(off, 1024)));
    }
  }
  ASSERT_OK((*wa)->Commit());
  ASSERT_OK((*wb)->Commit());
}

RawNats::RawNats(const std::string& url) {
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_ConnectTo(&nc, url.c_str());
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw connect to " << url << ": " << natsStatus_GetText(s);
    return;
  }
  conn_ = nc;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, nullptr);
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw JetStream context: " << natsStatus_GetText(s);
    return;
  }
  js_ = js;
}

RawNats::~RawNats() {
  if (js_) jsCtx_Destroy(JS);
  if (conn_) natsConnection_Destroy(CONN);
}

bool RawNats::Publish(const std::string& subject, std::string_view data, bool rollup) {
  if (!ok()) return false;
  natsMsg* m = nullptr;
  natsStatus s = natsMsg_Create(&m, subject.c_str(), nullptr, data.data(),
                                static_cast<int>(data.size()));
  if (s == NATS_OK && rollup) s = natsMsgHeader_Set(m, "Nats-Rollup", "sub");
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, JS, m, nullptr, &jerr);
  if (ack) jsPubAck_Destroy(ack);
  natsMsg_Destroy(m);
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw publish to " << subject << ": " << natsStatus_GetText(s) << " jerr "
                  << static_cast<int>(jerr);
    return false;
  }
  return true;
}

std::optional<RawNats::Msg> RawNats::GetLast(const std::string& stream,
                                             const std::string& subject) {
  if (!ok()) return std::nullopt;
  natsMsg* m = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&m, JS, stream.c_str(), subject.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND) return std::nullopt;
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw get last " << stream << " " << subject << ": " << natsStatus_GetText(s);
    return std::nullopt;
  }
  Msg out;
  out.subject = natsMsg_GetSubject(m);
  out.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
  out.sequence = natsMsg_GetSequence(m);
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(m, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* v = nullptr;
      if (natsMsgHeader_Get(m, keys[i], &v) == NATS_OK && v) out.headers[keys[i]] = v;
    }
    free(keys);
  }
  natsMsg_Destroy(m);
  return out;
}

std::map<std::string, uint64_t> RawNats::SubjectCounts(const std::string& stream,
                                                       const std::string& filter) {
  std::map<std::string, uint64_t> out;
  if (!ok()) return out;
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, JS, stream.c_str(), &o, &jerr);
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw stream info " << stream << ": " << natsStatus_GetText(s);
    return out;
  }
  if (si->State.Subjects)
    for (int i = 0; i < si->State.Subjects->Count; ++i)
      out[si->State.Subjects->List[i].Subject] = si->State.Subjects->List[i].Msgs;
  jsStreamInfo_Destroy(si);
  return out;
}

bool RawNats::DeleteMsg(const std::string& stream, uint64_t seq) {
  if (!ok()) return false;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteMsg(JS, stream.c_str(), seq, nullptr, &jerr);
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw delete msg " << seq << ": " << natsStatus_GetText(s);
    return false;
  }
  return true;
}

bool RawNats::AddStream(const std::string& name, const std::string& subject) {
  if (!ok()) return false;
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  const char* subjects[] = {subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, JS, &cfg, nullptr, &jerr);
  if (si) jsStreamInfo_Destroy(si);
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw add stream " << name << ": " << natsStatus_GetText(s);
    return false;
  }
  return true;
}

nlohmann::json RawNats::Request(const std::string& subject, const std::string& body,
                                int timeout_ms) {
  // Every answer is read: during a JetStream meta election servers that know no meta leader
  // answer "temporarily unavailable" (err_code 10008) ahead of the one that really answers.
  auto* nc = static_cast<natsConnection*>(conn_);
  char* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return nullptr;
  std::string reply = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* sub = nullptr;
  if (natsConnection_SubscribeSync(&sub, nc, reply.c_str()) != NATS_OK) return nullptr;
  nlohmann::json out = nullptr;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (natsConnection_PublishRequest(nc, subject.c_str(), reply.c_str(), body.data(),
                                    static_cast<int>(body.size())) == NATS_OK) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      natsMsg* m = nullptr;
      if (left.count() <= 0 || natsSubscription_NextMsg(&m, sub, left.count()) != NATS_OK) break;
      const bool no_responders = natsMsg_IsNoResponders(m);
      auto j = nlohmann::json::parse(natsMsg_GetData(m),
                                     natsMsg_GetData(m) + natsMsg_GetDataLength(m), nullptr,
                                     false);
      natsMsg_Destroy(m);
      if (no_responders) break;
      if (!j.is_discarded() && j.contains("error") && j["error"].is_object() &&
          j["error"].value("err_code", 0) == 10008)
        continue;
      if (!j.is_discarded() && !j.contains("error")) out = std::move(j);
      break;
    }
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return out;
}

bool RawNats::SetAllowDirect(const std::string& stream, bool allow) {
  if (!ok()) return false;
  auto info = Request("$JS.API.STREAM.INFO." + stream, "");
  if (info.is_null() || !info.contains("config")) {
    ADD_FAILURE() << "raw stream info " << stream;
    return false;
  }
  auto cfg = info["config"];
  cfg["allow_direct"] = allow;
  auto updated = Request("$JS.API.STREAM.UPDATE." + stream, cfg.dump());
  if (updated.is_null() || updated["config"].value("allow_direct", !allow) != allow) {
    ADD_FAILURE() << "raw stream update of allow_direct " << stream;
    return false;
  }
  return true;
}

std::string RawNats::StreamLeader(const std::string& stream) {
  if (!ok()) return "";
  auto info = Request("$JS.API.STREAM.INFO." + stream, "");
  if (info.is_null() || !info.contains("cluster")) return "";
  return info["cluster"].value("leader", std::string());
}

bool RawNats::LeaderAnswers(const std::string& stream, const std::string& subject,
                            int timeout_ms) {
  if (!ok()) return false;
  nlohmann::json body{{"last_by_subj", subject}};
  return !Request("$JS.API.STREAM.MSG.GET." + stream, body.dump(), timeout_ms).is_null();
}

bool RawNats::MetaLeaderAnswers(int timeout_ms) {
  if (!ok()) return false;
  return !Request("$JS.API.INFO", "", timeout_ms).is_null();
}

LeaderlessAnswers::LeaderlessAnswers(const std::string& url) {
  natsConnection* nc[3] = {nullptr, nullptr, nullptr};
  for (auto*& c : nc) {
    if (natsConnection_ConnectTo(&c, url.c_str()) != NATS_OK) {
      ADD_FAILURE() << "stand-in connection to " << url;
      return;
    }
  }
  leaderless_ = nc[0];
  relay_ = nc[1];
  forward_ = nc[2];
  const std::string all = std::string(kPrefix) + ".>";
  natsSubscription* sub = nullptr;
  auto answer = [](natsConnection* c, natsSubscription* s, natsMsg* m, void* closure) {
    Answer503(c, s, m, closure);
  };
  auto relay = [](natsConnection* c, natsSubscription* s, natsMsg* m, void* closure) {
    Relay(c, s, m, closure);
  };
  if (natsConnection_Subscribe(&sub, nc[0], all.c_str(), answer, this) != NATS_OK) return;
  subs_[0] = sub;
  if (natsConnection_Subscribe(&sub, nc[1], all.c_str(), relay, this) != NATS_OK) return;
  subs_[1] = sub;
  ok_ = natsConnection_Flush(nc[0]) == NATS_OK && natsConnection_Flush(nc[1]) == NATS_OK;
  if (!ok_) ADD_FAILURE() << "stand-in subscriptions on " << url;
}

LeaderlessAnswers::~LeaderlessAnswers() {
  for (void* sub : subs_)
    if (sub) {
      natsSubscription_Unsubscribe(static_cast<natsSubscription*>(sub));
      natsSubscription_Destroy(static_cast<natsSubscription*>(sub));
    }
  for (void* c : {leaderless_, relay_, forward_})
    if (c) natsConnection_Destroy(static_cast<natsConnection*>(c));
}

void LeaderlessAnswers::Answer503(void* nc, void*, void* msg, void* closure) {
  auto* self = static_cast<LeaderlessAnswers*>(closure);
  auto* m = static_cast<natsMsg*>(msg);
  if (std::string_view(natsMsg_GetSubject(m)).find(".DIRECT.GET.") == std::string_view::npos) {
    ++self->unavailable_;
    natsConnection_PublishString(
        static_cast<natsConnection*>(nc), natsMsg_GetReply(m),
        R"({"type":"io.nats.jetstream.api.v1.error","error":{"code":503,"err_code":10008,)"
        R"("description":"JetStream system temporarily unavailable"}})");
  }
  natsMsg_Destroy(m);
}

void LeaderlessAnswers::Relay(void* nc, void*, void* msg, void* closure) {
  auto* self = static_cast<LeaderlessAnswers*>(closure);
  auto* m = static_cast<natsMsg*>(msg);
  std::string subject = natsMsg_GetSubject(m);
  if (subject.find(".DIRECT.GET.") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::string real = "$JS.API" + subject.substr(std::strlen(kPrefix));
    natsMsg* answer = nullptr;
    if (natsConnection_Request(&answer, static_cast<natsConnection*>(self->forward_),
                               real.c_str(), natsMsg_GetData(m), natsMsg_GetDataLength(m),
                               2000) == NATS_OK) {
      ++self->relayed_;
      natsConnection_Publish(static_cast<natsConnection*>(nc), natsMsg_GetReply(m),
                             natsMsg_GetData(answer), natsMsg_GetDataLength(answer));
      natsMsg_Destroy(answer);
    }
  }
  natsMsg_Destroy(m);
}

std::string RawNats::StreamCluster(const std::string& stream) {
  if (!ok()) return "no connection";
  auto info = Request("$JS.API.STREAM.INFO." + stream, "");
  if (info.is_null()) return "no stream info answer";
  return info.contains("cluster") ? info["cluster"].dump() : "no cluster in the stream info";
}

bool RawNats::StreamHealed(const std::string& stream) {
  if (!ok()) return false;
  auto info = Request("$JS.API.STREAM.INFO." + stream, "");
  if (info.is_null() || !info.contains("cluster")) return false;
  const auto& cluster = info["cluster"];
  if (cluster.value("leader", std::string()).empty()) return false;
  if (!cluster.contains("replicas")) return true;
  for (const auto& r : cluster["replicas"])
    if (!r.value("current", false) || r.value("offline", false)) return false;
  return true;
}

std::vector<std::string> RawNats::ConsumerNames(const std::string& stream) {
  std::vector<std::string> names;
  if (!ok()) return names;
  jsConsumerNamesList* list = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_ConsumerNames(&list, JS, stream.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND) return names;  // no consumers
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw consumer names of " << stream << ": " << natsStatus_GetText(s);
    return names;
  }
  for (int i = 0; i < list->Count; ++i) names.emplace_back(list->List[i]);
  jsConsumerNamesList_Destroy(list);
  return names;
}

bool RawNats::DeleteConsumer(const std::string& stream, const std::string& name) {
  if (!ok()) return false;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteConsumer(JS, stream.c_str(), name.c_str(), nullptr, &jerr);
  if (s != NATS_OK) {
    ADD_FAILURE() << "raw delete consumer " << name << ": " << natsStatus_GetText(s);
    return false;
  }
  return true;
}

#undef CONN
#undef JS

// ---------------------------------------------------------------------------------------------
// StoreTest

void StoreTest::SetUp() {
  server_ = test::NatsServer::Start();
  ASSERT_NE(server_, nullptr);
  auto store = ConnectTo(server_->url());
  ASSERT_OK(store);
  store_ = *store;
}

void StoreTest::TearDown() {
  store_.reset();
  server_.reset();
}

std::string StoreTest::NewBucket(BucketConfig config) {
  if (config.bucket.empty()) config.bucket = UniqueBucket();
  auto st = store_->CreateBucket(config);
  EXPECT_TRUE(st.ok()) << "create bucket " << config.bucket << ": " << st.status().ToString();
  return config.bucket;
}

ObjectInfo StoreTest::MustPut(const std::string& bucket, const std::string& name,
                              std::string_view data, const PutOptions& options) {
  ObjectMeta meta;
  meta.name = name;
  return MustPut(bucket, meta, data, options);
}

ObjectInfo StoreTest::MustPut(const std::string& bucket, const ObjectMeta& meta,
                              std::string_view data, const PutOptions& options) {
  auto r = store_->PutBytes(bucket, meta, data, options);
  EXPECT_TRUE(r.ok()) << "put " << bucket << "/" << meta.name << ": " << r.status().ToString();
  return r.ok() ? *r : ObjectInfo{};
}

std::string StoreTest::MustGet(const std::string& bucket, const std::string& name) {
  auto r = store_->GetBytes(bucket, name);
  EXPECT_TRUE(r.ok()) << "get " << bucket << "/" << name << ": " << r.status().ToString();
  return r.ok() ? *r : std::string();
}

std::map<std::string, uint64_t> StoreTest::ChunkSubjectsOf(const std::string& bucket) {
  RawNats raw(server_->url());
  return raw.SubjectCounts("OBJ_" + bucket, ChunkSubject(bucket, ">"));
}

BucketStatus StoreTest::MustStatus(const std::string& bucket) {
  auto r = store_->GetBucketStatus(bucket);
  EXPECT_TRUE(r.ok()) << "status " << bucket << ": " << r.status().ToString();
  return r.ok() ? *r : BucketStatus{};
}

int PutEmptyObjects(ObjectStore& store, const std::string& bucket, int n, int threads) {
  std::vector<std::thread> fillers;
  std::atomic<int> failed{0};
  for (int t = 0; t < threads; ++t) {
    fillers.emplace_back([&, t] {
      for (int i = t; i < n; i += threads)
        if (!store.PutBytes(bucket, Meta("k" + std::to_string(i)), "").ok()) ++failed;
    });
  }
  for (auto& f : fillers) f.join();
  return failed.load();
}

}  // namespace natss3::coretest
