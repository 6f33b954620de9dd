// Watch (format doc §5.6): ordered push consumer on $O.<b>.M.>, end-of-initial marker after the
// first message with NumPending == 0 (or at once for an empty bucket).
#include <atomic>

#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

class NatsWatcher : public Watcher {
 public:
  NatsWatcher(NatsObjectStore* store, std::string bucket, const WatchOptions& options)
      : store_(store), bucket_(std::move(bucket)), options_(options) {}

  Status Init() {
    std::string stream = StreamName(bucket_);
    std::string filter = "$O." + bucket_ + ".M.>";
    if (!options_.updates_only) {
      natsMsg* last = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_GetLastMsg(&last, store_->conn().js(), stream.c_str(), filter.c_str(),
                                   nullptr, &jerr);
      if (last) natsMsg_Destroy(last);
      if (s == NATS_NOT_FOUND && jerr != 10059) {
        marker_pending_ = true;  // empty bucket: the marker comes first
      } else if (s != NATS_OK) {
        return FromNats(s, "watch bucket " + bucket_, jerr);
      }
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = options_.updates_only      ? js_DeliverNew
                              : options_.include_history ? js_DeliverAll
                                                         : js_DeliverLastPerSubject;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_SubscribeSync(&sub, store_->conn().js(), filter.c_str(), &jo, &so, &jerr);
    if (s == NATS_TIMEOUT)  // e.g. right after a stream leader change: try once more
      s = js_SubscribeSync(&sub, store_->conn().js(), filter.c_str(), &jo, &so, &jerr);
    if (s != NATS_OK) return FromNats(s, "watch bucket " + bucket_, jerr);
    sub_.reset(sub);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    initial_done_ = options_.updates_only || marker_pending_;
    return Status::OK();
  }

  Result<WatchEvent> Next(std::chrono::milliseconds timeout) override {
    if (stopped_) return Cancelled("watch stopped");
    if (marker_pending_) {
      marker_pending_ = false;
      return WatchEvent{WatchEvent::Kind::kEndOfInitial, {}};
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      natsMsg* raw = nullptr;
      natsStatus s = natsSubscription_NextMsg(&raw, sub_.get(), std::max<int64_t>(1, left.count()));
      if (stopped_) {
        if (raw) natsMsg_Destroy(raw);
        return Cancelled("watch stopped");
      }
      if (s == NATS_TIMEOUT) return DeadlineExceeded("no watch event");
      if (s != NATS_OK) return FromNats(s, "watch bucket " + bucket_);
      MsgPtr msg(raw);
      jsMsgMetaData* md = nullptr;
      if (natsMsg_GetMetaData(&md, raw) != NATS_OK) continue;
      MetaPtr meta(md);
      bool last_initial = !initial_done_ && md->NumPending == 0;
      if (last_initial) initial_done_ = true;
      auto info = InfoFromMsg(raw, md->Sequence.Stream, md->Timestamp);
      bool skip = !info.ok() || (options_.ignore_deletes && info->deleted);
      if (skip) {
        if (last_initial) return WatchEvent{WatchEvent::Kind::kEndOfInitial, {}};
        continue;
      }
      if (last_initial) marker_pending_ = true;
      return WatchEvent{WatchEvent::Kind::kUpdate, std::move(info).value()};
    }
  }

  void Stop() override {
    stopped_ = true;
    if (sub_) natsSubscription_Unsubscribe(sub_.get());
  }

 private:
  NatsObjectStore* store_;
  std::string bucket_;
  WatchOptions options_;
  SubPtr sub_;
  bool marker_pending_ = false;
  bool initial_done_ = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<Watcher>> NewNatsWatcher(NatsObjectStore* store, std::string bucket,
                                                const WatchOptions& options) {
  auto w = std::make_unique<NatsWatcher>(store, std::move(bucket), options);
  NATSS3_RETURN_IF_ERROR(w->Init());
  return std::unique_ptr<Watcher>(std::move(w));
}

}  // namespace natss3::natsw
