// Watch contract: default (initial values, one end marker, live updates), include_history,
// updates_only, ignore_deletes, Stop().
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core_test_util.h"
#include "natss3/crash_point.h"
#include "natss3/listing_index.h"

namespace natss3 {
namespace {

using namespace coretest;
using Kind = WatchEvent::Kind;

std::string Describe(const WatchEvent& e);

class WatchTest : public BucketTest {
 protected:
  std::unique_ptr<Watcher> MustWatch(const WatchOptions& o = {}) {
    auto w = store_->Watch(bucket_, o);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }
  // A watch started while `point` is armed for its first `times` calls (disarmed after).
  Result<std::unique_ptr<Watcher>> WatchWithFault(const char* point, int times,
                                                  const WatchOptions& o = {}) {
    ArmFaultPoint(point, times);
    auto w = store_->Watch(bucket_, o);
    ArmFaultPoint(point, 0);
    return w;
  }
  // A watch whose first three consumer creates fail at `point` still lists the bucket.
  void ExpectCreateTriedAgain(const char* point) {
    MustPut(bucket_, "a", "1");
    auto w = WatchWithFault(point, 3);
    ASSERT_OK(w);
    EXPECT_EQ(Describe(MustNext(**w)), "a");
    EXPECT_EQ(Describe(MustNext(**w)), "<end>");
    (*w)->Stop();
  }
  // Next event within 5 s; a failure string on timeout/error.
  static WatchEvent MustNext(Watcher& w) {
    auto e = w.Next(5s);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : WatchEvent{Kind::kEndOfInitial, {}};
  }
};

std::string Describe(const WatchEvent& e) {
  if (e.kind == Kind::kEndOfInitial) return "<end>";
  return e.info.name() + (e.info.deleted ? "(deleted)" : "");
}

TEST_F(WatchTest, DefaultDeliversInitialValuesMarkerThenUpdates) {
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "22");
  MustPut(bucket_, "a", "111");  // overwritten: only the last value of "a" is initial
  auto w = MustWatch();
  ASSERT_NE(w, nullptr);
  std::vector<std::string> initial;
  for (int i = 0; i < 3; ++i) {
    WatchEvent e = MustNext(*w);
    initial.push_back(Describe(e));
    if (e.kind == Kind::kUpdate) {
      EXPECT_GT(e.info.mtime, TimePoint{});
      EXPECT_GT(e.info.revision, 0u);
      if (e.info.name() == "a") {
        EXPECT_EQ(e.info.size, 3u);
      }
    }
    if (e.kind == Kind::kEndOfInitial) break;
  }
  EXPECT_EQ(initial, (std::vector<std::string>{"b", "a", "<end>"}));

  MustPut(bucket_, "c", "333");
  WatchEvent c = MustNext(*w);
  EXPECT_EQ(Describe(c), "c");
  EXPECT_EQ(c.info.size, 3u);
  EXPECT_EQ(c.info.digest, ExpectedDigest("333"));
  ASSERT_OK(store_->Delete(bucket_, "b"));
  EXPECT_EQ(Describe(MustNext(*w)), "b(deleted)");
  ASSERT_OK(store_->UpdateMeta(bucket_, "c", Meta("c2")));
  // Rename: the old name is first marked moved (a delete marker), then the new name appears
  // (purging the marker afterwards is not an event).
  EXPECT_EQ(Describe(MustNext(*w)), "c(deleted)");
  EXPECT_EQ(Describe(MustNext(*w)), "c2");
  // No second end marker.
  MustPut(bucket_, "d", "4");
  EXPECT_EQ(Describe(MustNext(*w)), "d");
}

// A rename purges the old meta subject, and nats-server 2.9.10 can move the watch consumer
// past meta messages it has not delivered yet, including the newest one; with no later activity
// only the watcher's probe finds them. Concurrent renames make such jumps likely.
TEST_F(WatchTest, RenamesAreSeenWithoutLaterActivity) {
  const int threads = 4, per_thread = 10;
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; ++i) MustPut(bucket_, "x" + std::to_string(t * 100 + i), "v");
  auto w = MustWatch({});
  ASSERT_NE(w, nullptr);
  std::set<std::string> seen;
  for (;;) {
    WatchEvent e = MustNext(*w);
    if (e.kind == Kind::kEndOfInitial) break;
    seen.insert(e.info.name());
  }
  ASSERT_EQ(seen.size(), static_cast<size_t>(threads * per_thread));
  std::vector<std::thread> renamers;
  for (int t = 0; t < threads; ++t) {
    renamers.emplace_back([&, t] {
      auto other = ConnectTo(server_->url());  // an external writer
      ASSERT_OK(other);
      for (int i = 0; i < per_thread; ++i) {
        std::string n = std::to_string(t * 100 + i);
        ASSERT_OK((*other)->UpdateMeta(bucket_, "x" + n, Meta("y" + n)));
      }
    });
  }
  for (auto& r : renamers) r.join();
  std::set<std::string> renamed;
  while (renamed.size() < static_cast<size_t>(threads * per_thread)) {
    auto e = w->Next(3s);
    ASSERT_OK(e) << "saw " << renamed.size() << " renames";
    if (e->info.name()[0] == 'y') renamed.insert(e->info.name());
  }
}

// A last-per-subject list must reach the newest meta the stream leader had when the watch
// started. A consumer whose server lists less (a follower catching up after a failover; here
// the fault point makes the leader seem ahead) must not end its initial list: the watch
// reports itself broken, and List starts over with a fresh watch.
TEST_F(WatchTest, AnInitialListBehindTheLeaderIsNotTrusted) {
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "2");
  ArmFaultPoint("watch.leader_ahead", 1);
  auto w = store_->Watch(bucket_, {});
  ASSERT_OK(w);
  Status broke;
  for (int i = 0; i < 3 && broke.ok(); ++i) {
    auto ev = (*w)->Next(5s);
    if (!ev.ok()) {
      broke = ev.status();
    } else {
      ASSERT_NE(ev->kind, Kind::kEndOfInitial) << "a list behind the leader ended as complete";
    }
  }
  ArmFaultPoint("watch.leader_ahead", 0);
  EXPECT_EQ(broke.code(), Code::kUnavailable) << broke.ToString();
  (*w)->Stop();
  ArmFaultPoint("watch.leader_ahead", 1);
  auto listed = store_->List(bucket_);
  ArmFaultPoint("watch.leader_ahead", 0);
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 2u);
}

// During a failover a stream leader was seen to answer "no meta message" for a bucket full of
// objects; the watch then ended its initial list at once, empty, and a listing index loaded
// then showed an empty bucket. A replica's direct get contradicts such an answer (here the
// fault point fakes it): the watch is refused as unavailable, and a listing index starting at
// that moment tries again and loads every name.
TEST_F(WatchTest, AnEmptyAnswerAReplicaContradictsIsNotTrusted) {
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "2");
  auto w = WatchWithFault("watch.newest_not_found", 1);
  if (w.ok()) {
    auto ev = (*w)->Next(5s);
    ASSERT_OK(ev);
    FAIL() << "the watch of a full bucket started, first event: " << Describe(*ev);
  }
  EXPECT_EQ(w.status().code(), Code::kUnavailable) << w.status().ToString();

  ArmFaultPoint("watch.newest_not_found", 1);
  auto idx = ListingIndex::Start(store_.get(), bucket_, 20s);
  ArmFaultPoint("watch.newest_not_found", 0);
  ASSERT_OK(idx);
  EXPECT_EQ((*idx)->size(), 2u);
  EXPECT_TRUE((*idx)->Lookup("a").has_value());
  (*idx)->Stop();

  // Updates-only watches do not list, and ask no replica.
  WatchOptions updates;
  updates.updates_only = true;
  auto u = WatchWithFault("watch.newest_not_found", 1, updates);
  ASSERT_OK(u);
  (*u)->Stop();
}

// A last-per-subject list that holds nothing from before the watch started (the fault point
// makes the consumer deliver only live messages, as lists that lacked a whole bucket did in
// cluster_mixed) must not end as complete with the first live name: its first message comes
// after the newest meta the stream leader had, and the watch reports itself broken.
TEST_F(WatchTest, AnInitialListStartingAfterTheNewestMetaIsNotTrusted) {
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "2");
  auto w = WatchWithFault("watch.list_empty", 1);
  ASSERT_OK(w);
  MustPut(bucket_, "c", "3");
  std::vector<std::string> events;
  Status broke;
  while (broke.ok() && events.size() < 4) {
    auto ev = (*w)->Next(5s);
    if (!ev.ok()) {
      broke = ev.status();
    } else {
      events.push_back(Describe(*ev));
      ASSERT_NE(ev->kind, Kind::kEndOfInitial)
          << "a list without a and b ended as complete: " << testing::PrintToString(events);
    }
  }
  EXPECT_EQ(broke.code(), Code::kUnavailable) << broke.ToString();
  (*w)->Stop();
  // List starts over with a fresh watch.
  ArmFaultPoint("watch.list_empty", 1);
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    MustPut(bucket_, "d", "4");
  });
  auto listed = store_->List(bucket_);
  later.join();
  ArmFaultPoint("watch.list_empty", 0);
  ASSERT_OK(listed);
  EXPECT_EQ(listed->size(), 4u);
}

// nats-server 2.9 places a watch's consumer on one of the stream's servers at random, a lost
// one too, and never answers that create: a third of the creates while one server of an R3
// bucket is down (LeaderChangeTest.WatchesStartWhileAServerIsDown has the real thing). Here
// the fault point leaves the first three creates unanswered: the watch tries again, and
// starts within the request budget.
TEST_F(WatchTest, AnUnansweredConsumerCreateIsTriedAgain) {
  ExpectCreateTriedAgain("watch.create_unanswered");
}

// During an election a consumer create can be answered "JetStream system temporarily
// unavailable" (cnats: an answer it could not unmarshal); the watch tries again.
TEST_F(WatchTest, AConsumerCreateAnsweredUnavailableIsTriedAgain) {
  ExpectCreateTriedAgain("watch.create_unavailable");
}

// During a JetStream meta election a server that knows no meta leader answers a consumer
// create "temporarily unavailable" ahead of the meta leader, and cnats's create keeps the
// first answer: a watch failed so after 14 to 16 s at a third leader kill within a minute,
// while the leader answered reads (LeaderChangeTest, three rounds). LeaderlessAnswers puts
// that answer ahead of every real one; the watch lists the bucket and follows a later put.
TEST_F(WatchTest, AConsumerCreateBehindATemporarilyUnavailableAnswerStarts) {
  MustPut(bucket_, "a", "1");
  LeaderlessAnswers answers(server_->url());
  ASSERT_TRUE(answers.ok());
  auto reader = ConnectWith(server_->url(), [](ConnectOptions& o) {
    o.js_api_prefix = LeaderlessAnswers::kPrefix;
  });
  ASSERT_OK(reader);
  auto t0 = std::chrono::steady_clock::now();
  auto w = (*reader)->Watch(bucket_, {});
  ASSERT_OK(w);
  EXPECT_EQ(Describe(MustNext(**w)), "a");
  EXPECT_EQ(Describe(MustNext(**w)), "<end>");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  MustPut(bucket_, "b", "2");
  EXPECT_EQ(Describe(MustNext(**w)), "b");
  (*w)->Stop();
  EXPECT_GE(answers.unavailable(), 2);  // the newest-meta read and the create at least
}

// A consumer's list can lack a name put well before it started (seen with nats-server 2.9.10
// on replicated buckets; here the fault point drops one name from the initial list). List
// checks its names against the ones the stream leader holds and adds what it lacks; deleted
// names stay out unless asked for.
TEST_F(WatchTest, ListAddsANameTheConsumerLeftOut) {
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "22");
  MustPut(bucket_, "c", "333");
  MustPut(bucket_, "gone", "4");
  ASSERT_OK(store_->Delete(bucket_, "gone"));
  auto list = [&](int dropped, bool show_deleted) {
    ArmFaultPoint("watch.drop_initial", dropped);
    auto listed = store_->List(bucket_, show_deleted);
    ArmFaultPoint("watch.drop_initial", 0);
    std::vector<std::string> names;
    EXPECT_OK(listed);
    if (listed.ok())
      for (const auto& info : *listed) names.push_back(info.name() + (info.deleted ? "(x)" : ""));
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> live{"a", "b", "c"}, all{"a", "b", "c", "gone(x)"};
  // The first name of the list ("a") left out; then every one, the last (deleted) one too.
  EXPECT_EQ(list(1, false), live);
  EXPECT_EQ(list(1, true), all);
  EXPECT_EQ(list(4, false), live);
  EXPECT_EQ(list(4, true), all);
  EXPECT_EQ(list(0, false), live);
}

TEST_F(WatchTest, EmptyBucketSendsMarkerImmediately) {
  auto w = MustWatch();
  ASSERT_NE(w, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  WatchEvent e = MustNext(*w);
  EXPECT_EQ(e.kind, Kind::kEndOfInitial);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  MustPut(bucket_, "first", "x");
  EXPECT_EQ(Describe(MustNext(*w)), "first");
}

TEST_F(WatchTest, NextTimesOutWithDeadlineExceeded) {
  auto w = MustWatch();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(MustNext(*w).kind, Kind::kEndOfInitial);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_CODE(w->Next(300ms), Code::kDeadlineExceeded);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(WatchTest, IncludeHistoryDeliversMessagesWithoutRollup) {
  MustPut(bucket_, "a", "1");
  // A JS-style update: same subject, no rollup header, so the stream keeps both messages.
  auto info = store_->GetInfo(bucket_, "a");
  ASSERT_OK(info);
  RawNats raw(server_->url());
  nlohmann::json j = {{"name", "a"},           {"description", "js update"},
                      {"bucket", bucket_},     {"nuid", info->nuid},
                      {"size", info->size},    {"chunks", info->chunks},
                      {"digest", info->digest}, {"mtime", "0001-01-01T00:00:00Z"},
                      {"options", {{"max_chunk_size", 131072}}}};
  ASSERT_TRUE(raw.Publish(MetaSubject(bucket_, "a"), j.dump(), /*rollup=*/false));
  MustPut(bucket_, "b", "2");

  WatchOptions history;
  history.include_history = true;
  auto h = MustWatch(history);
  ASSERT_NE(h, nullptr);
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    WatchEvent e = MustNext(*h);
    got.push_back(Describe(e) + (e.kind == Kind::kUpdate ? ":" + e.info.meta.description : ""));
    if (e.kind == Kind::kEndOfInitial) break;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a:", "a:js update", "b:", "<end>"}));

  auto d = MustWatch();  // default: last per subject only
  ASSERT_NE(d, nullptr);
  got.clear();
  for (int i = 0; i < 4; ++i) {
    WatchEvent e = MustNext(*d);
    got.push_back(Describe(e) + (e.kind == Kind::kUpdate ? ":" + e.info.meta.description : ""));
    if (e.kind == Kind::kEndOfInitial) break;
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a:js update", "b:", "<end>"}));
}

TEST_F(WatchTest, UpdatesOnlyHasNoInitialValuesAndNoMarker) {
  MustPut(bucket_, "old", "x");
  WatchOptions o;
  o.updates_only = true;
  auto w = MustWatch(o);
  ASSERT_NE(w, nullptr);
  MustPut(bucket_, "new", "y");
  WatchEvent e = MustNext(*w);
  EXPECT_EQ(Describe(e), "new");  // neither "old" nor a marker came first
  ASSERT_OK(store_->Delete(bucket_, "old"));
  EXPECT_EQ(Describe(MustNext(*w)), "old(deleted)");
}

TEST_F(WatchTest, UpdatesOnlyOnEmptyBucket) {
  WatchOptions o;
  o.updates_only = true;
  auto w = MustWatch(o);
  ASSERT_NE(w, nullptr);
  MustPut(bucket_, "x", "1");
  EXPECT_EQ(Describe(MustNext(*w)), "x");
}

TEST_F(WatchTest, IgnoreDeletesDropsMarkersKeepsEndMarker) {
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "2");
  ASSERT_OK(store_->Delete(bucket_, "a"));
  WatchOptions o;
  o.ignore_deletes = true;
  auto w = MustWatch(o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Describe(MustNext(*w)), "b");
  EXPECT_EQ(Describe(MustNext(*w)), "<end>");
  ASSERT_OK(store_->Delete(bucket_, "b"));
  MustPut(bucket_, "c", "3");
  EXPECT_EQ(Describe(MustNext(*w)), "c");  // the delete of b was dropped
}

TEST_F(WatchTest, IgnoreDeletesWhenOnlyDeletesExist) {
  MustPut(bucket_, "a", "1");
  ASSERT_OK(store_->Delete(bucket_, "a"));
  WatchOptions o;
  o.ignore_deletes = true;
  auto w = MustWatch(o);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Describe(MustNext(*w)), "<end>");
}

TEST_F(WatchTest, IncludeHistoryWithUpdatesOnlyIsInvalid) {
  WatchOptions o;
  o.include_history = true;
  o.updates_only = true;
  EXPECT_CODE(store_->Watch(bucket_, o), Code::kInvalidArgument);
}

TEST_F(WatchTest, StopUnblocksNext) {
  auto w = MustWatch();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(MustNext(*w).kind, Kind::kEndOfInitial);
  std::thread stopper([&] {
    // Either order is valid: Next() after Stop() must also return kCancelled.
    std::this_thread::sleep_for(200ms);
    w->Stop();
  });
  auto t0 = std::chrono::steady_clock::now();
  auto e = w->Next(30s);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  stopper.join();
  EXPECT_CODE(e, Code::kCancelled);
  EXPECT_LT(elapsed, 5s);
  EXPECT_CODE(w->Next(1s), Code::kCancelled);
  w->Stop();  // idempotent
}

TEST_F(WatchTest, WatchersAreIndependent) {
  auto w1 = MustWatch();
  auto w2 = MustWatch();
  ASSERT_NE(w1, nullptr);
  ASSERT_NE(w2, nullptr);
  EXPECT_EQ(MustNext(*w1).kind, Kind::kEndOfInitial);
  EXPECT_EQ(MustNext(*w2).kind, Kind::kEndOfInitial);
  w1->Stop();
  MustPut(bucket_, "x", "1");
  EXPECT_EQ(Describe(MustNext(*w2)), "x");
}

}  // namespace
}  // namespace natss3
