// Watch (docs/object-store-format.md §5.6): ordered push consumer on $O.<b>.M.>, end-of-initial
// marker after the first message with NumPending == 0 (or at once for an empty bucket).
//
// nats-server 2.9.x moves every consumer whose filter matches a purged subject forward to the
// purged subject's first remaining message. Every meta publish is a rollup (a purge of the
// older versions of its subject), so with concurrent writers the consumer can jump over meta
// messages it has not delivered yet. (The last-per-subject list of the initial values is not
// affected.) The watcher therefore checks each gap in stream sequences after the initial list:
// a direct get of the next meta message after the last one delivered finds any message the
// consumer skipped, and that message is delivered first.
//
// An explicit purge of a meta subject (a rename purges the old name) can move the consumer past
// the newest message itself; no later message then reveals the gap. So while no message
// arrives, the same direct get probes for missed messages: kProbeAfterActivity after the last
// event (renames come right after other activity), then every kIdleProbe.
//
// Clusters: a last-per-subject list must reach the newest meta message the stream leader had
// when the watch started (a STREAM.MSG.GET, which the leader answers); a consumer whose server has not
// applied it yet (a follower catching up) would list without the newest names, so the watch
// reports itself broken instead and its owner starts a fresh one.
//
// The ordered consumer lives on one server (the stream leader's when created). When
// that server fails, the library recreates the consumer only after missed heartbeats; until
// then probes keep finding messages the consumer did not deliver. After kStalledProbes such
// finds in a row the watch reports itself broken (kUnavailable), so its owner (ListingIndex)
// starts a fresh one at once instead of trailing behind one message per probe.
#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "natss3/crash_point.h"
#include "nats/errors.h"
#include "nats/nats_store.h"
#include "natss3/names.h"

namespace natss3::natsw {
namespace {

constexpr auto kProbeAfterActivity = std::chrono::milliseconds(250);
constexpr auto kIdleProbe = std::chrono::milliseconds(1000);
constexpr int kStalledProbes = 3;
// Consumer creates of one read attempt (at most 1 s) before the longer ones.
constexpr int kShortCreates = 8;

class NatsWatcher : public Watcher {
 public:
  NatsWatcher(NatsObjectStore* store, std::string bucket, const WatchOptions& options)
      : store_(store), bucket_(std::move(bucket)), options_(options) {}

  Status Init() {
    const std::string& stream = stream_;
    const std::string& filter = filter_;
    {
      // The newest meta message now: what comes after it is live (gaps are checked). The stream
      // leader answers; during an election none does for several seconds, and an answer can
      // come garbled, so the request is retried within the request budget (GetStored) rather
      // than sent once.
      MsgQuery q;
      q.last_by_subj = filter;
      Result<StoredMsg> last = store_->GetStored(bucket_, q, /*leader=*/true);
      // Test seam: the stream leader answers "no meta message" for a bucket that has some.
      if (last.ok() && FaultPoint("watch.newest_not_found"))
        last = NotFound("watch bucket " + bucket_ + ": no meta message");
      uint64_t newest = 0;
      if (last.ok()) {
        newest = last->seq;
        if (!options_.include_history) last_ = newest;
        if (!options_.include_history && !options_.updates_only && options_.start_after == 0)
          leader_newest_ = newest;
        // Test seam: the consumer's server is behind the leader (as a follower catching up).
        if (leader_newest_ && FaultPoint("watch.leader_ahead")) leader_newest_ += 1000000;
      }
      if (options_.start_after > 0) {
        // A catch-up: every message after start_after is checked for gaps like a live one.
        last_ = options_.start_after;
        if (newest <= options_.start_after && last.ok()) marker_pending_ = true;
      }
      const bool no_meta = !last.ok() && last.status().code() == Code::kNotFound &&
                           last.status().detail() != Detail::kBucketNotFound;
      if (no_meta) {
        // An empty bucket: the marker comes first. During a failover a stream leader was seen
        // to say so for a bucket full of objects (docs/cluster.md), and the list then ended at
        // once, empty. Any replica's direct get confirms the answer; when one holds a meta
        // message the answer was wrong, and the owner starts a fresh watch.
        if (!options_.updates_only && options_.start_after == 0) {
          if (MsgPtr first = NextMetaAfter(0)) {
            spdlog::warn("watch of bucket {}: the stream leader answered no meta message, a "
                         "replica holds sequence {}; starting over",
                         bucket_, natsMsg_GetSequence(first.get()));
            return Unavailable("watch of bucket " + bucket_ +
                               ": the stream leader answered no meta message, a replica has one");
          }
        }
        marker_pending_ = !options_.updates_only;
      } else if (!last.ok()) {
        return last.status().Annotate("watch bucket " + bucket_);
      }
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = options_.updates_only      ? js_DeliverNew
                              : options_.start_after > 0 ? js_DeliverByStartSequence
                              : options_.include_history ? js_DeliverAll
                                                         : js_DeliverLastPerSubject;
    if (options_.start_after > 0 && !options_.updates_only)
      so.Config.OptStartSeq = options_.start_after + 1;
    // Test seam: the server's last-per-subject list holds nothing, only live messages follow.
    if (so.Config.DeliverPolicy == js_DeliverLastPerSubject && FaultPoint("watch.list_empty"))
      so.Config.DeliverPolicy = js_DeliverNew;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = NATS_TIMEOUT;
    // nats-server 2.9 places the watch's consumer (ephemeral, one replica) on one of the
    // stream's servers at random, a lost one included while it is still one of the stream's
    // peers, and that create is never answered: a third of the creates while a server of an R3
    // bucket is down. Short attempts, each a fresh pick, find a live server within the
    // request budget; after kShortCreates of them the attempts wait the whole request timeout
    // (a cluster that is only slow, an election). During an election the create can also be
    // answered "JetStream system temporarily unavailable" (cnats: an answer it could not
    // unmarshal), often by a server that knows no meta leader ahead of the meta leader's
    // answer, which cnats then drops. So after such an answer the create is tried again after
    // a short pause, through the connection's API relay (every answer read); after a relayed
    // create that failed otherwise (the relay unanswered), directly again.
    const auto until = std::chrono::steady_clock::now() + store_->conn().budget();
    Status failed;
    bool relay = false;
    for (int attempt = 1;; ++attempt) {
      jsCtx* js = attempt <= kShortCreates ? store_->conn().js_attempt() : store_->conn().js();
      if (relay) {
        if (jsCtx* relayed = store_->conn().js_relay()) js = relayed;
      }
      jerr = static_cast<jsErrCode>(0);
      // Test seams: the create goes to a lost server (no answer), or is answered "temporarily
      // unavailable".
      if (FaultPoint("watch.create_unanswered")) {
        s = NATS_TIMEOUT;
      } else if (FaultPoint("watch.create_unavailable")) {
        s = NATS_ERR;
        jerr = static_cast<jsErrCode>(10008);
      } else {
        s = js_SubscribeSync(&sub, js, filter.c_str(), &jo, &so, &jerr);
      }
      if (s == NATS_OK) break;
      relay = jerr == static_cast<jsErrCode>(10008);
      failed = FromNats(s, "watch bucket " + bucket_, jerr);
      if (!IsTransient(failed) || std::chrono::steady_clock::now() >= until) return failed;
      spdlog::debug("watch of bucket {}: consumer create attempt {}: {}", bucket_, attempt,
                    failed.ToString());
      if (s != NATS_TIMEOUT) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    sub_ = AdoptSub(store_->conn().nc(), sub);
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
    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + timeout;
    for (;;) {
      MsgPtr msg;
      if (held_) {
        msg = std::move(held_);
      } else {
        auto wake = initial_done_ ? std::min(deadline, next_probe_) : deadline;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now());
        natsMsg* raw = nullptr;
        natsStatus s =
            natsSubscription_NextMsg(&raw, sub_.get(), std::max<int64_t>(1, left.count()));
        if (stopped_) {
          if (raw) natsMsg_Destroy(raw);
          return Cancelled("watch stopped");
        }
        if (s == NATS_TIMEOUT) {
          if (initial_done_ && Clock::now() >= next_probe_) {
            next_probe_ = Clock::now() + kIdleProbe;
            if (probe_finds_ >= kStalledProbes)
              return Unavailable("watch of bucket " + bucket_ + " stalled (consumer lost?)");
            if (MsgPtr skipped = NextMetaAfter(last_)) {
              ++probe_finds_;
              next_probe_ = Clock::now() + kProbeAfterActivity;
              last_ = natsMsg_GetSequence(skipped.get());
              auto info = InfoFromMsg(skipped.get(), bucket_, last_, natsMsg_GetTime(skipped.get()));
              if (!info.ok() || (options_.ignore_deletes && info->deleted)) continue;
              return WatchEvent{WatchEvent::Kind::kUpdate, std::move(info).value()};
            }
          }
          if (Clock::now() >= deadline) return DeadlineExceeded("no watch event");
          continue;
        }
        if (s != NATS_OK) return FromNats(s, "watch bucket " + bucket_);
        msg.reset(raw);
        probe_finds_ = 0;
        next_probe_ = Clock::now() + kProbeAfterActivity;
      }
      jsMsgMetaData* md = nullptr;
      if (natsMsg_GetMetaData(&md, msg.get()) != NATS_OK) continue;
      MetaPtr meta(md);
      uint64_t seq = md->Sequence.Stream;
      if (!initial_done_) initial_max_ = std::max(initial_max_, seq);
      if (!initial_done_ && !initial_started_) {
        initial_started_ = true;
        if (leader_newest_ > 0 && seq > leader_newest_) {
          // A last-per-subject list starts with the oldest of the names' newest records; one
          // that starts after the newest meta the leader had at the start lacks every name
          // that was there then (unless all were overwritten in between). cluster_mixed saw
          // lists lacking the whole bucket at a node's kill with the leader's newest known
          // (docs/cluster.md). The owner starts a fresh watch.
          spdlog::warn("watch of bucket {}: the consumer's list starts at sequence {}, after "
                       "the newest meta the stream leader had ({}); starting over",
                       bucket_, seq, leader_newest_);
          return Unavailable("watch of bucket " + bucket_ +
                             ": the consumer's list starts after the bucket's newest meta");
        }
      }
      // Sequences up to last_ belong to the initial list (default mode, until its end) or were
      // already delivered (found by a probe or a gap check before the consumer got there).
      if (options_.include_history || initial_done_ || seq > last_) {
        if (seq <= last_) continue;
        if (seq > last_ + 1) {
          if (auto skipped = SkippedBefore(seq)) {
            held_ = std::move(msg);
            last_ = skipped->seq;
            auto info = InfoFromMsg(skipped->msg.get(), bucket_, last_, skipped->time_ns);
            if (!info.ok() || (options_.ignore_deletes && info->deleted)) continue;
            return WatchEvent{WatchEvent::Kind::kUpdate, std::move(info).value()};
          }
        }
        last_ = seq;
      }
      const bool in_initial = !initial_done_;
      bool last_initial = in_initial && md->NumPending == 0;
      if (last_initial && initial_max_ < leader_newest_) {
        // The consumer's server has not applied what the stream leader had when the watch
        // started (a follower catching up after a failover): this initial list would miss
        // names. The owner starts a fresh watch (List, ListingIndex).
        return Unavailable("watch of bucket " + bucket_ + ": the consumer's server lists up to " +
                           std::to_string(initial_max_) + ", the stream leader had " +
                           std::to_string(leader_newest_));
      }
      if (last_initial) initial_done_ = true;
      // Test seam: the server leaves this name out of the initial list (docs/cluster.md).
      if (in_initial && FaultPoint("watch.drop_initial")) {
        if (last_initial) return WatchEvent{WatchEvent::Kind::kEndOfInitial, {}};
        continue;
      }
      auto info = InfoFromMsg(msg.get(), bucket_, seq, md->Timestamp);
      bool skip = !info.ok() || (options_.ignore_deletes && info->deleted);
      if (skip) {
        if (last_initial) return WatchEvent{WatchEvent::Kind::kEndOfInitial, {}};
        continue;
      }
      if (last_initial) marker_pending_ = true;
      return WatchEvent{WatchEvent::Kind::kUpdate, std::move(info).value()};
    }
  }

  // The first meta message after last_ if it comes before `seq`, the message the consumer just
  // delivered. A replica that answers the direct get with a message at or after `seq` has
  // everything before it; one that says "not found" lags (the consumer delivered `seq`), and
  // trusting it would step over the skipped messages for good: GetStored asks the stream
  // leader then. Nothing when there is no skipped message or no one can tell.
  std::optional<StoredMsg> SkippedBefore(uint64_t seq) {
    MsgQuery q;
    q.seq = last_ + 1;
    q.next_by_subj = filter_;
    auto got = store_->GetStored(bucket_, q);
    if (!got.ok() || got->seq >= seq) return std::nullopt;
    return std::move(got).value();
  }

  // The first meta message after stream sequence `after` (direct get, wildcard next-by-subject);
  // null when there is none or the server cannot tell (the gap then stays unverified).
  MsgPtr NextMetaAfter(uint64_t after) {
    jsDirectGetMsgOptions dg;
    jsDirectGetMsgOptions_Init(&dg);
    dg.Sequence = after + 1;
    dg.NextBySubject = filter_.c_str();
    natsMsg* raw = nullptr;
    natsStatus s = js_DirectGetMsg(&raw, store_->conn().js(), stream_.c_str(), nullptr, &dg);
    if (s != NATS_OK) {
      if (raw) natsMsg_Destroy(raw);
      return nullptr;
    }
    return MsgPtr(raw);
  }

  void Stop() override {
    stopped_ = true;
    if (sub_) natsSubscription_Unsubscribe(sub_.get());
  }

 private:
  NatsObjectStore* store_;
  std::string bucket_;
  WatchOptions options_;
  std::string stream_ = StreamName(bucket_), filter_ = "$O." + bucket_ + ".M.>";
  SubPtr sub_;
  MsgPtr held_;       // consumer message waiting while a skipped earlier one is delivered
  uint64_t last_ = 0;  // highest stream sequence delivered (or known at start)
  bool marker_pending_ = false;
  bool initial_done_ = false;
  bool initial_started_ = false;  // the initial list delivered its first message
  // Last-per-subject lists: the newest meta sequence the stream leader had at the start, and
  // the highest the initial list delivered; the list is complete only when it reached it.
  uint64_t leader_newest_ = 0;
  uint64_t initial_max_ = 0;
  int probe_finds_ = 0;  // probes in a row that found a message the consumer had not delivered
  std::chrono::steady_clock::time_point next_probe_ = std::chrono::steady_clock::now();
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
