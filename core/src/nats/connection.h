// NatsConnection: one cnats connection + JetStream context, and the raw JetStream JSON API.
// Thread-safe: cnats connections are; this class adds only immutable state after Connect.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "nats/api_relay.h"
#include "nats/handles.h"
#include "natss3/nats_store.h"
#include "natss3/status.h"

namespace natss3::natsw {

class NatsConnection {
 public:
  static Result<std::shared_ptr<NatsConnection>> Connect(const ConnectOptions& options);

  natsConnection* nc() const { return nc_.get(); }
  jsCtx* js() const { return js_.get(); }
  // A JetStream context whose calls wait one read attempt (at most 1 s) instead of the whole
  // request timeout: for key-value records, whose calls are repeated while they time out (a
  // get lost with a failing server would otherwise cost the client the full 5 s).
  jsCtx* js_attempt() const { return js_attempt_.get(); }
  // A JetStream context whose API requests go through the connection's ApiRelay (every answer
  // read, a "temporarily unavailable" one passed over), started at first use; null when the
  // relay cannot start (then not tried again for kRelayRetryAfter). For cnats's own API calls
  // after such an answer (a consumer create).
  jsCtx* js_relay() const;
  static constexpr std::chrono::seconds kRelayRetryAfter{30};
  // A fresh JetStream context (async publishes need one per writer so acks are not shared).
  // `wait`: the context's request timeout (0: the connection's).
  // `prefix`: the context's API prefix instead of the connection's.
  Result<JsPtr> NewJs(jsPubAckHandler ack_handler, void* closure, int64_t max_pending,
                      std::chrono::milliseconds wait = std::chrono::milliseconds(0),
                      const std::string& prefix = std::string()) const;
  int64_t timeout_ms() const { return timeout_.count(); }
  uint64_t max_payload() const;
  // "$JS.API" or the configured domain/prefix form.
  const std::string& api_prefix() const { return api_prefix_; }
  // Whether the server answers with 2.10's API level (stream compression, metadata). Asked
  // again, with the whole request budget, when the check at connect got no answer in time.
  bool server_at_least_2_10() const;

  // Sends {body} to <api_prefix>.<suffix>; returns the JSON answer or the mapped API error.
  // Requests that may be repeated (`retry`) get attempts of attempt_timeout() within
  // budget() while no answer comes (a failing server, a leader election); others one attempt
  // of the whole request timeout.
  // `budget` (when retrying) bounds the whole request instead of budget().
  Result<nlohmann::json> Api(const std::string& suffix, const nlohmann::json& body,
                             std::string_view what, bool retry = false,
                             std::chrono::milliseconds budget = std::chrono::milliseconds(0)) const;
  // One request whose answers are all read for up to `wait`, for requests that only a leader
  // serves. During a JetStream meta election every server that knows no meta leader answers
  // each API request "temporarily unavailable" (IsLeaderlessAnswer), often ahead of the stream
  // leader, and a plain request keeps only the first answer. Returns the first other answer at
  // once; when only those came (a short grace after the first), the last of them; else
  // NATS_TIMEOUT (or the send's error).
  natsStatus RequestAll(MsgPtr* answer, const std::string& subject, std::string_view payload,
                        std::chrono::milliseconds wait) const;
  // One request: RequestAll when `all`, else a plain request (the first answer).
  natsStatus Request(MsgPtr* answer, const std::string& subject, std::string_view payload,
                     std::chrono::milliseconds wait, bool all) const;
  // Data-path requests: per attempt (well under an S3 client's timeout, so a request lost
  // with a failing server is sent again in time) and in all (a leader election fits).
  std::chrono::milliseconds attempt_timeout() const;
  std::chrono::milliseconds budget() const;
  // Writes: ConnectOptions::write_budget, at least budget().
  std::chrono::milliseconds write_budget() const;
  // After a failed attempt: whether to try again. Waits (at most one attempt timeout) for a
  // lost connection to come back (to another server); false when it does not, so a real
  // outage fails fast instead of taking the whole budget.
  bool RetryAfterFailure() const;
  // Purges every message on `filter` in `stream`.
  Status Purge(const std::string& stream, const std::string& filter) const;
  // Purges the messages on `filter` below stream sequence `below` (0: all); returns how many.
  // Replicated streams get their messages deleted one by one instead: nats-server (2.9.10
  // at least) replays a filtered purge as a purge of the whole stream when a server restarts
  // and recovers it from its log, and that server then has lost every message.
  Result<uint64_t> PurgeBelow(const std::string& stream, const std::string& filter,
                              uint64_t below) const;
  bool connected() const;

 private:
  NatsConnection() = default;
  Status CheckJetStream();

  ConnPtr nc_;
  JsPtr js_;
  JsPtr js_attempt_;
  std::string api_prefix_ = "$JS.API";
  std::string js_domain_, js_prefix_;
  std::chrono::milliseconds timeout_{5000};
  std::chrono::milliseconds write_budget_{0};
  // The API level check: -1 not answered yet (see CheckJetStream), 0 before 2.10, 1 2.10+.
  mutable std::atomic<int> server_2_10_{-1};
  // Records the API level an account INFO answer shows; returns whether it is 2.10+.
  bool LearnApiLevel(const nlohmann::json& info) const;
  // Whether a stream has more than one replica, cached for a while (PurgeBelow).
  Result<bool> StreamReplicated(const std::string& stream) const;
  mutable std::mutex replicated_mu_;
  mutable std::map<std::string, std::pair<bool, std::chrono::steady_clock::time_point>> replicated_;
  // js_relay(): when its relay last failed to start (guarded by relay_mu_).
  mutable bool relay_failed_ = false;
  mutable std::chrono::steady_clock::time_point relay_failed_at_{};
  // js_relay(): declared last, so both go before the connection they use.
  mutable std::mutex relay_mu_;
  mutable std::unique_ptr<ApiRelay> relay_;
  mutable JsPtr js_relay_;
};

// Whether a JetStream API answer is "JetStream system temporarily unavailable" (503, err_code
// 10008): the answer of a server that knows no meta leader, not of the stream's leader.
bool IsLeaderlessAnswer(natsMsg* answer);

// A JetStream API answer as JSON, or its {"error": ...} mapped to a Status.
Result<nlohmann::json> ParseApiAnswer(natsMsg* answer, std::string_view what);

// Derives the public user nkey ("U...") from a seed ("SU..."); kInvalidArgument on bad seed.
Result<std::string> NkeyPublicFromSeed(const std::string& seed);

}  // namespace natss3::natsw
