// Connecting (auth, TLS, reconnect), the JetStream availability check, raw API requests.
#include "nats/connection.h"

#include <malloc.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <vector>

#include "nats/errors.h"

namespace natss3 {

std::string DefaultServers() {
  const char* env = std::getenv("NATS_URL");
  return (env && *env) ? env : "nats://127.0.0.1:4222";
}

Result<std::shared_ptr<ObjectStore>> MakeNatsObjectStore(
    std::shared_ptr<natsw::NatsConnection> conn, const ConnectOptions& options);

Result<std::shared_ptr<ObjectStore>> ConnectNats(const ConnectOptions& options) {
  NATSS3_ASSIGN_OR_RETURN(auto conn, natsw::NatsConnection::Connect(options));
  return MakeNatsObjectStore(std::move(conn), options);
}

namespace natsw {
namespace {

// cnats reads the socket into, and writes through, a buffer of this size (default 32 KiB): one
// recv per 32 KiB made the read loop's system calls a third of a large get's client CPU.
constexpr int kIoBufferBytes = 256 * 1024;

// Every chunk message cnats receives (128 KiB + headers) is just above glibc's initial mmap
// threshold, and a window of them is freed at once, so with the defaults each get mapped,
// faulted in and trimmed memory again per chunk (madvise, page faults: a quarter of a large
// get's CPU). Fixed thresholds keep a few MiB of freed chunks per arena for reuse instead.
void TuneAllocator() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

std::vector<std::string> SplitServers(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    if (item.find("://") == std::string::npos) item = "nats://" + item;
    out.push_back(item);
  }
  return out;
}

uint16_t Crc16(const unsigned char* d, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(d[i]) << 8;
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  return crc;
}

constexpr char kB32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string Base32Encode(const std::vector<unsigned char>& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 5) out += kB32[(acc >> (bits - 5)) & 31], bits -= 5;
  }
  if (bits > 0) out += kB32[(acc << (5 - bits)) & 31];
  return out;
}

bool Base32Decode(const std::string& in, std::vector<unsigned char>* out) {
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB32, c);
    if (!p || !c) return false;
    acc = (acc << 5) | static_cast<uint32_t>(p - kB32);
    bits += 5;
    if (bits >= 8) out->push_back(static_cast<unsigned char>((acc >> (bits - 8)) & 0xFF)), bits -= 8;
  }
  return true;
}

}  // namespace

Result<std::string> NkeyPublicFromSeed(const std::string& seed) {
  std::vector<unsigned char> raw;
  if (seed.size() < 10 || seed[0] != 'S' || !Base32Decode(seed, &raw) || raw.size() != 36)
    return InvalidArgument("invalid nkey seed");
  uint16_t crc = static_cast<uint16_t>(raw[34] | (raw[35] << 8));
  if (Crc16(raw.data(), 34) != crc) return InvalidArgument("invalid nkey seed checksum");
  unsigned char prefix = static_cast<unsigned char>(((raw[0] & 7) << 5) | ((raw[1] & 0xF8) >> 3));
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, raw.data() + 2, 32);
  if (!key) return InvalidArgument("invalid nkey seed key");
  unsigned char pub[32];
  size_t len = sizeof(pub);
  EVP_PKEY_get_raw_public_key(key, pub, &len);
  EVP_PKEY_free(key);
  std::vector<unsigned char> out{prefix};
  out.insert(out.end(), pub, pub + 32);
  uint16_t c = Crc16(out.data(), out.size());
  out.push_back(static_cast<unsigned char>(c & 0xFF));
  out.push_back(static_cast<unsigned char>(c >> 8));
  return Base32Encode(out);
}

Result<std::shared_ptr<NatsConnection>> NatsConnection::Connect(const ConnectOptions& o) {
  // No lock spinning: cnats spins 2,000 times on a contended mutex before sleeping, which on
  // a machine with few cores burns the CPU the server and the other threads need (an s3d small
  // GET cost 0.36 ms of CPU with spinning, 0.21 ms without).
  static const natsStatus init = [] {
    TuneAllocator();
    return nats_Open(0);
  }();
  if (init != NATS_OK) return FromNats(init, "initialise the NATS library");
  std::shared_ptr<NatsConnection> c(new NatsConnection());
  c->timeout_ = o.timeout;
  c->write_budget_ = o.write_budget;
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return Internal("cannot allocate NATS options");
  OptionsPtr opts(raw);
  std::string servers = o.servers.empty() ? DefaultServers() : o.servers;
  auto urls = SplitServers(servers);
  if (urls.empty()) return InvalidArgument("no NATS server URL given");
  std::vector<const char*> url_ptrs;
  for (auto& u : urls) url_ptrs.push_back(u.c_str());
  natsStatus s = natsOptions_SetServers(raw, url_ptrs.data(), static_cast<int>(url_ptrs.size()));
  if (s != NATS_OK) return InvalidArgument("invalid NATS server URL: " + servers);
  natsOptions_SetName(raw, o.name.c_str());
  natsOptions_SetTimeout(raw, o.connect_timeout.count());
  natsOptions_SetMaxReconnect(raw, o.max_reconnect);
  natsOptions_SetReconnectWait(raw, o.reconnect_wait.count());
  natsOptions_SetReconnectJitter(raw, 100, 1000);
  natsOptions_SetReconnectBufSize(raw, 32 * 1024 * 1024);
  natsOptions_SetMaxPendingMsgs(raw, 1 << 20);
  natsOptions_SetSendAsap(raw, true);
  natsOptions_SetIOBufSize(raw, kIoBufferBytes);
  // Async subscriptions (the ack inbox of each put) share the library's delivery threads
  // instead of starting a thread per put.
  natsOptions_UseGlobalMessageDelivery(raw, true);
  if (o.retry_on_failed_connect) {
    // With a connected callback cnats returns at once and keeps trying in the background.
    natsOptions_SetRetryOnFailedConnect(
        raw, true, [](natsConnection*, void*) {}, nullptr);
  }
  if (!o.user.empty()) natsOptions_SetUserInfo(raw, o.user.c_str(), o.password.c_str());
  if (!o.token.empty()) natsOptions_SetToken(raw, o.token.c_str());
  if (!o.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(raw, o.creds_file.c_str(), nullptr);
    if (s != NATS_OK) return FromNats(s, "load credentials file " + o.creds_file);
  }
  if (!o.nkey_seed_file.empty()) {
    std::ifstream f(o.nkey_seed_file);
    std::string tok, seed;
    while (f >> tok)
      if (tok.rfind("SU", 0) == 0) seed = tok;
    if (seed.empty()) return InvalidArgument("no user nkey seed (SU...) in " + o.nkey_seed_file);
    NATSS3_ASSIGN_OR_RETURN(std::string pub, NkeyPublicFromSeed(seed));
    s = natsOptions_SetNKeyFromSeed(raw, pub.c_str(), o.nkey_seed_file.c_str());
    if (s != NATS_OK) return FromNats(s, "load nkey seed " + o.nkey_seed_file);
  }
  if (o.tls_required || !o.tls_ca.empty() || !o.tls_cert.empty()) {
    natsOptions_SetSecure(raw, true);
    if (!o.tls_ca.empty() &&
        (s = natsOptions_LoadCATrustedCertificates(raw, o.tls_ca.c_str())) != NATS_OK)
      return FromNats(s, "load TLS CA " + o.tls_ca);
    if (!o.tls_cert.empty() && (s = natsOptions_LoadCertificatesChain(
                                    raw, o.tls_cert.c_str(), o.tls_key.c_str())) != NATS_OK)
      return FromNats(s, "load TLS certificate " + o.tls_cert);
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, raw);
  if (s == NATS_NOT_YET_CONNECTED && nc) s = NATS_OK;
  if (s != NATS_OK) {
    Status st = FromNats(s, "connect to " + servers);
    if (s == NATS_NO_SERVER) st = Unavailable("no NATS server reachable at " + servers);
    return st;
  }
  c->nc_.reset(nc);
  c->js_domain_ = o.js_domain;
  c->js_prefix_ = o.js_api_prefix;
  if (!o.js_api_prefix.empty()) c->api_prefix_ = o.js_api_prefix;
  else if (!o.js_domain.empty()) c->api_prefix_ = "$JS." + o.js_domain + ".API";
  NATSS3_ASSIGN_OR_RETURN(c->js_, c->NewJs(nullptr, nullptr, 0));
  NATSS3_ASSIGN_OR_RETURN(
      c->js_attempt_,
      c->NewJs(nullptr, nullptr, 0,
               std::min(c->attempt_timeout(), std::chrono::milliseconds(1000))));
  if (!o.retry_on_failed_connect || c->connected()) NATSS3_RETURN_IF_ERROR(c->CheckJetStream());
  return c;
}

jsCtx* NatsConnection::js_relay() const {
  std::lock_guard<std::mutex> lock(relay_mu_);
  if (js_relay_) return js_relay_.get();
  const auto now = std::chrono::steady_clock::now();
  // A relay refused by the account's permissions costs its check once, not on every consumer
  // create of an election.
  if (relay_failed_ && now - relay_failed_at_ < kRelayRetryAfter) return nullptr;
  // Without a connection (its server just died: when the relay is needed most) the check says
  // nothing about permissions: the next create asks again.
  if (!connected()) return nullptr;
  auto relay = ApiRelay::Start(*this);
  if (!relay.ok()) {
    if (!connected()) {
      spdlog::debug("{} (connection lost meanwhile)", relay.status().ToString());
      return nullptr;
    }
    spdlog::warn("{}; consumer creates go directly", relay.status().ToString());
    relay_failed_ = true;
    relay_failed_at_ = now;
    return nullptr;
  }
  // Longer than the relay's own wait for an answer, so its answer is not missed.
  auto js = NewJs(nullptr, nullptr, 0, 2 * ApiRelay::kAnswerWait, (*relay)->prefix());
  if (!js.ok()) return nullptr;
  relay_ = std::move(relay).value();
  js_relay_ = std::move(js).value();
  return js_relay_.get();
}

Result<JsPtr> NatsConnection::NewJs(jsPubAckHandler ack_handler, void* closure,
                                    int64_t max_pending, std::chrono::milliseconds wait,
                                    const std::string& prefix) const {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = wait.count() > 0 ? wait.count() : timeout_.count();
  if (!prefix.empty()) jo.Prefix = prefix.c_str();
  else if (!js_prefix_.empty()) jo.Prefix = js_prefix_.c_str();
  else if (!js_domain_.empty()) jo.Domain = js_domain_.c_str();
  if (ack_handler) {
    jo.PublishAsync.AckHandler = ack_handler;
    jo.PublishAsync.AckHandlerClosure = closure;
  }
  if (max_pending > 0) jo.PublishAsync.MaxPending = max_pending;
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, nc_.get(), &jo);
  if (s != NATS_OK) return FromNats(s, "create JetStream context");
  return JsPtr(js);
}

Status NatsConnection::CheckJetStream() {
  // A server without JetStream says so at once (no responders, or an error). No answer in
  // time is not "no JetStream": a cluster electing its JetStream meta leader (a server was
  // lost) answers late, and a fresh process (natss3ctl) would wait the whole request budget
  // before its first real request. So the check waits two attempts, not the budget; requests
  // that need JetStream wait for the election themselves.
  auto info = Api("INFO", nlohmann::json::object(), "JetStream account info", /*retry=*/true,
                  2 * attempt_timeout());
  if (!info.ok()) {
    const Status& st = info.status();
    if (st.code() == Code::kUnavailable && st.message().find("not enabled") != std::string::npos)
      return Unavailable("JetStream not enabled on the NATS server (start it with -js)");
    if (IsTransient(st)) return Status::OK();
    return st;
  }
  LearnApiLevel(*info);
  return Status::OK();
}

bool NatsConnection::LearnApiLevel(const nlohmann::json& info) const {
  const bool at_least_2_10 = info.contains("api") && info["api"].contains("level");
  server_2_10_ = at_least_2_10 ? 1 : 0;
  return at_least_2_10;
}

bool NatsConnection::server_at_least_2_10() const {
  if (int known = server_2_10_; known >= 0) return known == 1;
  auto info = Api("INFO", nlohmann::json::object(), "JetStream account info", /*retry=*/true);
  // Unanswered: false for now; the request that needs it waits or fails on its own.
  return info.ok() && LearnApiLevel(*info);
}

uint64_t NatsConnection::max_payload() const {
  int64_t mp = natsConnection_GetMaxPayload(nc_.get());
  return mp > 0 ? static_cast<uint64_t>(mp) : 1024 * 1024;
}

bool NatsConnection::connected() const {
  return natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED;
}

std::chrono::milliseconds NatsConnection::attempt_timeout() const {
  return std::clamp(timeout_ / 3, std::chrono::milliseconds(250), std::chrono::milliseconds(1500));
}

std::chrono::milliseconds NatsConnection::budget() const {
  // After a stream leader's loss, nats-server 2.9's followers wait a random 4 to 9 s before
  // they campaign (Raft election timeout): a write (or leader read) that starts right at the
  // loss is answered only after that. 12 s covers the longest wait plus the vote and answer.
  return std::max(timeout_, std::chrono::milliseconds(12000));
}

std::chrono::milliseconds NatsConnection::write_budget() const {
  return std::max(budget(), write_budget_);
}

bool NatsConnection::RetryAfterFailure() const {
  auto until = std::chrono::steady_clock::now() + attempt_timeout();
  while (!connected()) {
    if (natsConnection_IsClosed(nc_.get()) || std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

namespace {
// How long RequestAll waits for another answer after a "temporarily unavailable" one.
constexpr auto kLeaderlessGrace = std::chrono::milliseconds(250);
// Longer than any JetStream API error answer ({"type":...,"error":{code, err_code, description}}).
constexpr int kMaxErrorAnswer = 1024;
}  // namespace

bool IsLeaderlessAnswer(natsMsg* answer) {
  const char* data = natsMsg_GetData(answer);
  const int len = natsMsg_GetDataLength(answer);
  // An error answer is a short JSON object: a message answer (a chunk of 128 KiB, base64) is
  // not scanned.
  if (!data || len <= 0 || len > kMaxErrorAnswer ||
      std::string_view(data, len).find("10008") == std::string_view::npos)
    return false;
  auto j = nlohmann::json::parse(data, data + len, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_object() &&
         j["error"].value("err_code", 0) == 10008;
}

natsStatus NatsConnection::RequestAll(MsgPtr* answer, const std::string& subject,
                                      std::string_view payload,
                                      std::chrono::milliseconds wait) const {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  char* inbox = nullptr;
  natsStatus s = natsInbox_Create(&inbox);
  if (s != NATS_OK) return s;
  const std::string reply = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* raw_sub = nullptr;
  s = natsConnection_SubscribeSync(&raw_sub, nc_.get(), reply.c_str());
  if (s != NATS_OK) return s;
  SubPtr sub = AdoptSub(nc_.get(), raw_sub);
  s = natsConnection_PublishRequest(nc_.get(), subject.c_str(), reply.c_str(), payload.data(),
                                    static_cast<int>(payload.size()));
  if (s != NATS_OK) return s;
  MsgPtr leaderless;
  auto until = deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) break;
    natsMsg* raw = nullptr;
    s = natsSubscription_NextMsg(&raw, sub.get(), left.count());
    if (s == NATS_TIMEOUT) break;
    if (s != NATS_OK) return s;
    MsgPtr msg(raw);
    // "No responders" comes alone, from the server, when nothing serves the subject.
    if (!natsMsg_IsNoResponders(raw) && IsLeaderlessAnswer(raw)) {
      // A leader's answer follows within a network hop; when none comes, what is left of the
      // attempt is better spent on the next one (a leader may be elected meanwhile).
      if (!leaderless) until = std::min(deadline, Clock::now() + kLeaderlessGrace);
      leaderless = std::move(msg);
      continue;
    }
    *answer = std::move(msg);
    return NATS_OK;
  }
  if (!leaderless) return NATS_TIMEOUT;
  *answer = std::move(leaderless);
  return NATS_OK;
}

natsStatus NatsConnection::Request(MsgPtr* answer, const std::string& subject,
                                   std::string_view payload, std::chrono::milliseconds wait,
                                   bool all) const {
  if (all) return RequestAll(answer, subject, payload, wait);
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, nc_.get(), subject.c_str(), payload.data(),
                                        static_cast<int>(payload.size()), wait.count());
  answer->reset(raw);
  return s;
}

Result<nlohmann::json> NatsConnection::Api(const std::string& suffix, const nlohmann::json& body,
                                           std::string_view what, bool retry,
                                           std::chrono::milliseconds within) const {
  std::string subject = api_prefix_ + "." + suffix;
  std::string payload = body.is_null() ? std::string() : body.dump();
  auto deadline = std::chrono::steady_clock::now() + (within.count() > 0 ? within : budget());
  // After a "temporarily unavailable" answer every answer of an attempt is read (RequestAll).
  bool collect = false;
  for (int attempt = 0;; ++attempt) {
    auto wait =
        retry ? std::min(attempt_timeout(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                deadline - std::chrono::steady_clock::now()))
              : timeout_;
    if (wait.count() <= 0) wait = std::chrono::milliseconds(1);
    const auto sent = std::chrono::steady_clock::now();
    MsgPtr msg;
    natsStatus s = Request(&msg, subject, payload, wait, collect);
    natsMsg* reply = msg.get();
    if (s == NATS_OK && natsMsg_IsNoResponders(reply)) s = NATS_NO_RESPONDERS;
    if (s == NATS_OK && IsLeaderlessAnswer(reply)) collect = true;
    if (s != NATS_OK)  // failover diagnostics
      spdlog::debug("{} attempt {}: {} after {} ms", subject, attempt, natsStatus_GetText(s),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - sent)
                        .count());
    // No responders means no JetStream on the server: not something waiting helps.
    bool transient =
        s == NATS_TIMEOUT || s == NATS_CONNECTION_DISCONNECTED || s == NATS_STALE_CONNECTION;
    Result<nlohmann::json> answer = Internal("no answer");
    if (s == NATS_OK) {
      answer = ParseApiAnswer(reply, what);
      // "JetStream system temporarily unavailable" / no stream leader yet: transient too.
      transient = !answer.ok() && answer.status().code() == Code::kUnavailable &&
                  answer.status().message().find("not enabled") == std::string::npos;
      if (!transient) return answer;
    }
    if (!retry || !transient)
      return s == NATS_OK ? answer : Result<nlohmann::json>(FromNats(s, what));
    if (std::chrono::steady_clock::now() + std::chrono::milliseconds(50) >= deadline ||
        !RetryAfterFailure())
      return s == NATS_OK ? answer : Result<nlohmann::json>(FromNats(s, what));
    if (s == NATS_OK)  // a leader is being elected: not a busy loop
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(50 << std::min(attempt, 3), 400)));
  }
}

Result<nlohmann::json> ParseApiAnswer(natsMsg* answer, std::string_view what) {
  auto j = nlohmann::json::parse(natsMsg_GetData(answer),
                                 natsMsg_GetData(answer) + natsMsg_GetDataLength(answer), nullptr,
                                 false);
  if (j.is_discarded()) return Internal(std::string(what) + ": invalid JetStream API answer");
  if (j.contains("error") && j["error"].is_object()) {
    auto& e = j["error"];
    return FromApiError(e.value("code", 0), e.value("err_code", 0), e.value("description", ""),
                        what);
  }
  return j;
}

Status NatsConnection::Purge(const std::string& stream, const std::string& filter) const {
  auto r = PurgeBelow(stream, filter, 0);
  return r.ok() ? Status::OK() : r.status();
}

Result<bool> NatsConnection::StreamReplicated(const std::string& stream) const {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(replicated_mu_);
    auto it = replicated_.find(stream);
    if (it != replicated_.end() && now - it->second.second < std::chrono::seconds(10))
      return it->second.first;
  }
  NATSS3_ASSIGN_OR_RETURN(auto info, Api("STREAM.INFO." + stream, nlohmann::json(),
                                         "stream " + stream, /*retry=*/true));
  bool replicated = info.contains("config") && info["config"].value("num_replicas", 1) > 1;
  std::lock_guard<std::mutex> lock(replicated_mu_);
  replicated_[stream] = {replicated, now};
  return replicated;
}

Result<uint64_t> NatsConnection::PurgeBelow(const std::string& stream, const std::string& filter,
                                            uint64_t below) const {
  const std::string what = "purge " + filter;
  NATSS3_ASSIGN_OR_RETURN(bool replicated, StreamReplicated(stream));
  if (!replicated) {
    nlohmann::json req{{"filter", filter}};
    if (below) req["seq"] = below;
    NATSS3_ASSIGN_OR_RETURN(auto r, Api("STREAM.PURGE." + stream, req, what, /*retry=*/true));
    return r.value("purged", uint64_t{0});
  }
  uint64_t deleted = 0, from = 0;
  for (;;) {
    nlohmann::json get{{"next_by_subj", filter}};
    if (from) get["seq"] = from;
    auto msg = Api("STREAM.MSG.GET." + stream, get, what, /*retry=*/true);
    if (!msg.ok()) {
      if (msg.status().code() == Code::kNotFound &&
          msg.status().detail() != Detail::kBucketNotFound)
        return deleted;  // none left
      return msg.status();
    }
    uint64_t seq = (*msg)["message"].value("seq", uint64_t{0});
    if (seq == 0 || (below && seq >= below)) return deleted;
    auto del = Api("STREAM.MSG.DELETE." + stream, nlohmann::json{{"seq", seq}, {"no_erase", true}},
                   what, /*retry=*/true);
    if (del.ok())
      ++deleted;
    else if (del.status().code() != Code::kNotFound)
      return del.status();
    from = seq + 1;
  }
}

}  // namespace natsw
}  // namespace natss3
