// ChunkPuller implementation.
#include "nats/chunk_puller.h"

#include <algorithm>
#include <cstring>

#include "nats/errors.h"

namespace natss3::natsw {
namespace {

// The server deletes a consumer nobody pulled from for this long (a reader that pauses longer
// gets a new consumer at its next request).
constexpr auto kInactiveThreshold = std::chrono::seconds(30);
// A pull request still unfilled after this long expires (only when messages are missing: the
// chunks of a committed object are all in the stream before its meta is).
constexpr auto kRequestExpiry = std::chrono::seconds(10);
// Consecutive restarts without a message in between before giving up (silence restarts come
// every two waits, so the caller's idle timeout usually decides first).
constexpr int kMaxRestarts = 20;

int64_t Nanos(std::chrono::nanoseconds d) { return d.count(); }

// Chunks carry the consumer's ack subject as reply and status messages have no body; the
// consumer creation's answer is the only message with a body and no reply.
bool IsApiAnswer(natsMsg* msg) {
  const char* reply = natsMsg_GetReply(msg);
  return natsMsg_GetDataLength(msg) > 0 && (reply == nullptr || *reply == '\0');
}

}  // namespace

ChunkPuller::ChunkPuller(const NatsConnection& conn, std::string stream, std::string subject,
                         uint64_t start_seq, uint32_t count, int window)
    : conn_(conn),
      stream_(std::move(stream)),
      subject_(std::move(subject)),
      count_(count),
      window_(static_cast<uint32_t>(std::max(2, window))),
      batch_(window_ / 2),
      next_seq_(start_seq) {}

Result<std::unique_ptr<ChunkPuller>> ChunkPuller::Begin(const NatsConnection& conn,
                                                        std::string stream, std::string subject,
                                                        uint64_t start_seq, uint32_t count,
                                                        int window) {
  std::unique_ptr<ChunkPuller> p(
      new ChunkPuller(conn, std::move(stream), std::move(subject), start_seq, count, window));
  NATSS3_RETURN_IF_ERROR(p->SendCreate());
  return p;
}

ChunkPuller::~ChunkPuller() {
  // A creation still under way would leave a consumer behind (until its inactivity threshold):
  // wait for its answer (a few ms; only readers dropped right after opening get here).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(conn_.timeout_ms());
  while (create_pending_ && std::chrono::steady_clock::now() < deadline) {
    natsMsg* raw = nullptr;
    if (natsSubscription_NextMsg(&raw, replies_.get(), 100) != NATS_OK) {
      if (!conn_.connected()) break;
      continue;
    }
    MsgPtr msg(raw);
    if (!IsApiAnswer(raw)) continue;
    create_pending_ = false;
    auto answer = ParseApiAnswer(raw, "read " + subject_);
    if (answer.ok()) consumer_ = answer->value("name", "");
  }
  DeleteConsumer();
}

// Each consumer gets its own subscription: messages still on their way from an earlier one
// land in a retired subscription, never in this read.
Status ChunkPuller::SendCreate() {
  replies_.reset();
  char* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return Internal("cannot create inbox");
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_SubscribeSync(&sub, conn_.nc(), inbox_.c_str());
  if (s != NATS_OK) return FromNats(s, "subscribe for chunks");
  replies_ = AdoptSub(conn_.nc(), sub);
  // The window bounds what can arrive; the subscription must not drop any of it.
  natsSubscription_SetPendingLimits(sub, -1, -1);

  nlohmann::json config = {
      {"ack_policy", "none"},
      {"filter_subject", subject_},
      {"inactive_threshold", Nanos(kInactiveThreshold)},
      {"mem_storage", true},
      {"num_replicas", 1},
      {"replay_policy", "instant"},
  };
  if (next_seq_ == 0) {
    config["deliver_policy"] = "all";
  } else {
    config["deliver_policy"] = "by_start_sequence";
    config["opt_start_seq"] = next_seq_;
  }
  std::string body = nlohmann::json{{"stream_name", stream_}, {"config", config}}.dump();
  std::string subj = conn_.api_prefix() + ".CONSUMER.CREATE." + stream_;
  s = natsConnection_PublishRequest(conn_.nc(), subj.c_str(), inbox_.c_str(), body.data(),
                                    static_cast<int>(body.size()));
  if (s != NATS_OK) return FromNats(s, "read " + subject_);
  create_pending_ = true;
  requested_ = returned_;
  last_dseq_ = 0;
  return Status::OK();
}

Status ChunkPuller::OnCreated(natsMsg* answer) {
  create_pending_ = false;
  NATSS3_ASSIGN_OR_RETURN(nlohmann::json j, ParseApiAnswer(answer, "read " + subject_));
  consumer_ = j.value("name", "");
  if (consumer_.empty()) return Internal("read " + subject_ + ": consumer without a name");
  ever_created_ = true;
  return RequestMore();
}

void ChunkPuller::DeleteConsumer() {
  if (consumer_.empty()) return;
  // Fire and forget: nobody listens on the reply subject; inactivity deletes it otherwise.
  std::string subj = conn_.api_prefix() + ".CONSUMER.DELETE." + stream_ + "." + consumer_;
  std::string reply = inbox_ + ".deleted";
  natsConnection_PublishRequest(conn_.nc(), subj.c_str(), reply.c_str(), nullptr, 0);
  consumer_.clear();
}

Status ChunkPuller::Restart(std::string_view why) {
  if (++restarts_without_progress_ > kMaxRestarts)
    return Unavailable("read " + subject_ + ": " + std::string(why) + " (gave up after " +
                       std::to_string(kMaxRestarts) + " new consumers)");
  DeleteConsumer();
  return SendCreate();
}

void ChunkPuller::Reserve(uint32_t chunks) {
  reserved_ = chunks;
  (void)RequestMore();  // a failed publish shows up as silence, handled in Next()
}

Status ChunkPuller::RequestMore() {
  if (consumer_.empty()) return Status::OK();  // not created yet
  std::string subj = conn_.api_prefix() + ".CONSUMER.MSG.NEXT." + stream_ + "." + consumer_;
  while (requested_ < count_) {
    uint32_t n = std::min(batch_, count_ - requested_);
    if (requested_ - returned_ + reserved_ + n > window_) break;
    std::string body = "{\"batch\":" + std::to_string(n) +
                       ",\"expires\":" + std::to_string(Nanos(kRequestExpiry)) + "}";
    natsStatus s = natsConnection_PublishRequest(conn_.nc(), subj.c_str(), inbox_.c_str(),
                                                 body.data(), static_cast<int>(body.size()));
    if (s != NATS_OK) return FromNats(s, "request chunks of " + subject_);
    requested_ += n;
  }
  return Status::OK();
}

Status ChunkPuller::Poll() {
  if (!consumer_.empty() || ever_created_) return Status::OK();
  int msgs = 0, bytes = 0;
  if (natsSubscription_GetPending(replies_.get(), &msgs, &bytes) != NATS_OK || msgs <= 0)
    return Status::OK();
  natsMsg* raw = nullptr;
  if (natsSubscription_NextMsg(&raw, replies_.get(), 0) != NATS_OK) return Status::OK();
  // Nothing was requested yet, so this can only be the creation's answer (or a status).
  MsgPtr msg(raw);
  if (natsMsg_GetDataLength(raw) == 0)
    return Unavailable("read " + subject_ + ": no answer to the consumer creation");
  return OnCreated(raw);
}

Result<std::optional<ChunkPuller::Pulled>> ChunkPuller::Handle(MsgPtr msg) {
  natsMsg* raw = msg.get();
  const char* status = nullptr;
  if (natsMsg_GetDataLength(raw) == 0 && natsMsgHeader_Get(raw, "Status", &status) == NATS_OK &&
      status) {
    // 408 expired request, 409 consumer deleted or leadership change, 503 no responders.
    Status restarted = Restart(std::string("pull status ") + status);
    if (!restarted.ok() && restarts_without_progress_ > kMaxRestarts) return restarted;
    return std::optional<Pulled>();
  }
  if (IsApiAnswer(raw)) {  // the creation's answer
    Status created = OnCreated(raw);
    if (!created.ok() && !ever_created_) return created;
    if (!created.ok()) {
      Status restarted = Restart(created.message());
      if (!restarted.ok() && restarts_without_progress_ > kMaxRestarts) return restarted;
    }
    return std::optional<Pulled>();
  }
  if (subject_ != natsMsg_GetSubject(raw))
    return DataLoss("a chunk of " + subject_ + " came back as " + natsMsg_GetSubject(raw));
  jsMsgMetaData* md = nullptr;
  if (natsMsg_GetMetaData(&md, raw) != NATS_OK) return Internal("chunk without metadata");
  MetaPtr meta(md);
  if (md->Sequence.Consumer != last_dseq_ + 1 || md->Sequence.Stream < next_seq_) {
    Status restarted = Restart("consumer skipped a message");
    if (!restarted.ok() && restarts_without_progress_ > kMaxRestarts) return restarted;
    return std::optional<Pulled>();
  }
  last_dseq_ = md->Sequence.Consumer;
  next_seq_ = md->Sequence.Stream + 1;
  ++returned_;
  restarts_without_progress_ = 0;
  if (md->NumPending == 0) exhausted_ = true;
  if (returned_ == count_ || exhausted_) {
    DeleteConsumer();
  } else {
    NATSS3_RETURN_IF_ERROR(RequestMore());
  }
  return std::optional<Pulled>(Pulled{std::move(msg), md->Sequence.Stream});
}

Result<ChunkPuller::Pulled> ChunkPuller::Next(std::chrono::milliseconds wait) {
  if (exhausted_ || returned_ >= count_)
    return DataLoss("subject " + subject_ + " holds fewer messages than expected (" +
                    std::to_string(returned_) + " of " + std::to_string(count_) + ")");
  for (;;) {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, replies_.get(), wait.count());
    if (s == NATS_TIMEOUT) {
      if (++silent_waits_ >= 2) {
        silent_waits_ = 0;
        // A failed restart (e.g. the server is still down) is retried after the next silence;
        // the caller's idle timeout bounds the whole wait.
        Status restarted = Restart("no chunks arrived");
        if (!restarted.ok() && restarts_without_progress_ > kMaxRestarts) return restarted;
      }
      return DeadlineExceeded("waiting for chunks of " + subject_);
    }
    if (s != NATS_OK) return FromNats(s, "read chunks of " + subject_);
    silent_waits_ = 0;
    NATSS3_ASSIGN_OR_RETURN(std::optional<Pulled> got, Handle(MsgPtr(raw)));
    if (got) return std::move(*got);
  }
}

}  // namespace natss3::natsw
