// NatsConnection: one cnats connection + JetStream context, and the raw JetStream JSON API.
// Thread-safe: cnats connections are; this class adds only immutable state after Connect.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nats/handles.h"
#include "natss3/nats_store.h"
#include "natss3/status.h"

namespace natss3::natsw {

class NatsConnection {
 public:
  static Result<std::shared_ptr<NatsConnection>> Connect(const ConnectOptions& options);

  natsConnection* nc() const { return nc_.get(); }
  jsCtx* js() const { return js_.get(); }
  // A fresh JetStream context (async publishes need one per writer so acks are not shared).
  Result<JsPtr> NewJs(jsPubAckHandler ack_handler, void* closure, int64_t max_pending) const;
  int64_t timeout_ms() const { return timeout_.count(); }
  uint64_t max_payload() const;
  // "$JS.API" or the configured domain/prefix form.
  const std::string& api_prefix() const { return api_prefix_; }
  bool server_at_least_2_10() const { return server_2_10_; }

  // Sends {body} to <api_prefix>.<suffix>; returns the JSON answer or the mapped API error.
  Result<nlohmann::json> Api(const std::string& suffix, const nlohmann::json& body,
                             std::string_view what) const;
  // Purges every message on `filter` in `stream`.
  Status Purge(const std::string& stream, const std::string& filter) const;
  bool connected() const;

 private:
  NatsConnection() = default;
  Status CheckJetStream();

  ConnPtr nc_;
  JsPtr js_;
  std::string api_prefix_ = "$JS.API";
  std::string js_domain_, js_prefix_;
  std::chrono::milliseconds timeout_{5000};
  bool server_2_10_ = false;
};

// A JetStream API answer as JSON, or its {"error": ...} mapped to a Status.
Result<nlohmann::json> ParseApiAnswer(natsMsg* answer, std::string_view what);

// Derives the public user nkey ("U...") from a seed ("SU..."); kInvalidArgument on bad seed.
Result<std::string> NkeyPublicFromSeed(const std::string& seed);

}  // namespace natss3::natsw
