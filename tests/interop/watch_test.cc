// Interop: watch events across writers (core watches clients' changes and vice versa).
#include <chrono>
#include <string>
#include <vector>

#include "interop_support.h"

namespace natss3::interop {
namespace {

using namespace std::chrono_literals;

Json Line(const std::vector<std::string>& lines, size_t i) {
  if (i >= lines.size()) return Json();
  return Json::parse(lines[i], nullptr, false);
}

// Reads the next update, skipping nothing; records a failure on error.
WatchEvent NextEvent(Watcher& w) {
  auto e = w.Next(10s);
  EXPECT_TRUE(e.ok()) << StatusText(e);
  return e.ok() ? *e : WatchEvent{};
}

TEST_F(InteropTest, GoWatchSeesCoreChanges) {
  const std::string bucket = NewBucket();
  const std::string empty_bucket = NewBucket("empty");
  CorePut(bucket, "pre", "existing");

  // Empty bucket: the end-of-initial marker comes at once.
  BackgroundTool empty_watch(*go_, dir_->File("empty.out"), "watch",
                             {{"bucket", empty_bucket}, {"n", "1"}});
  EXPECT_EQ(empty_watch.WaitForLines(1, 15s), std::vector<std::string>{"null"});

  BackgroundTool watch(*go_, dir_->File("watch.out"), "watch", {{"bucket", bucket}, {"n", "4"}});
  auto initial = watch.WaitForLines(2, 15s);
  ASSERT_EQ(initial.size(), 2u);
  EXPECT_EQ(Line(initial, 0).value("name", ""), "pre");
  EXPECT_EQ(initial[1], "null");

  CorePut(bucket, "w1", "hello");
  // The put is seen before the delete is made: nats-server 2.9.10 can move a consumer past a
  // message it has not delivered yet when a rollup purges another subject right after it
  // (FINDINGS.md). A delete racing the put made the watch skip the put (1 run in CI).
  ASSERT_EQ(watch.WaitForLines(3, 15s).size(), 3u);
  INTEROP_ASSERT_OK(store_->Delete(bucket, "pre"));
  auto lines = watch.WaitForLines(4, 15s);
  EXPECT_EQ(watch.Wait(10s), 0) << watch.Stderr();
  Json put = Line(lines, 2);
  EXPECT_EQ(put.value("name", ""), "w1");
  EXPECT_EQ(put.value("size", 0), 5);
  EXPECT_EQ(put.value("digest", ""), ExpectedDigest("hello"));
  Json del = Line(lines, 3);
  EXPECT_EQ(del.value("name", ""), "pre");
  EXPECT_EQ(del.value("deleted", false), true);
}

TEST_F(InteropTest, JsWatchSeesCoreChanges) {
  const std::string bucket = NewBucket();
  // @nats-io/obj's default watch delivers updates only; READY is printed once it is subscribed.
  BackgroundTool watch(*js_, dir_->File("watch.out"), "watch", {{"bucket", bucket}, {"n", "3"}});
  ASSERT_EQ(watch.WaitForLines(1, 15s), std::vector<std::string>{"READY"});
  CorePut(bucket, "a", "first");
  ObjectMeta meta;
  meta.name = "a";
  meta.description = "described";
  auto r = store_->UpdateMeta(bucket, "a", meta);
  EXPECT_TRUE(r.ok()) << StatusText(r);
  INTEROP_ASSERT_OK(store_->Delete(bucket, "a"));
  auto lines = watch.WaitForLines(4, 15s);
  EXPECT_EQ(watch.Wait(10s), 0) << watch.Stderr();
  EXPECT_EQ(Line(lines, 1).value("name", ""), "a");
  EXPECT_EQ(Line(lines, 1).value("size", 0), 5);
  EXPECT_EQ(Line(lines, 1).value("isUpdate", false), true);
  EXPECT_EQ(Line(lines, 2).value("description", ""), "described");
  EXPECT_EQ(Line(lines, 3).value("deleted", false), true);
}

TEST_F(InteropTest, CoreWatchSeesClientChanges) {
  const std::string bucket = NewBucket();
  const std::string file = WriteScratch("pre", "existing");
  Json pre = go_->Ok("put", {{"bucket", bucket}, {"name", "pre"}, {"file", file}});

  auto watcher = store_->Watch(bucket);
  ASSERT_TRUE(watcher.ok()) << StatusText(watcher);
  WatchOptions updates_opts;
  updates_opts.updates_only = true;
  auto updates_only = store_->Watch(bucket, updates_opts);
  ASSERT_TRUE(updates_only.ok()) << StatusText(updates_only);
  WatchOptions no_deletes_opts;
  no_deletes_opts.ignore_deletes = true;
  auto no_deletes = store_->Watch(bucket, no_deletes_opts);
  ASSERT_TRUE(no_deletes.ok()) << StatusText(no_deletes);

  WatchEvent e = NextEvent(**watcher);
  EXPECT_EQ(e.kind, WatchEvent::Kind::kUpdate);
  EXPECT_EQ(e.info.name(), "pre");
  EXPECT_EQ(e.info.nuid, pre.value("nuid", "?"));
  EXPECT_EQ(e.info.size, 8u);
  EXPECT_GT(e.info.mtime.time_since_epoch(), std::chrono::hours(24 * 365 * 50))
      << "ModTime must come from the stream timestamp (Go writes the zero time)";
  EXPECT_EQ(NextEvent(**watcher).kind, WatchEvent::Kind::kEndOfInitial);
  EXPECT_EQ(NextEvent(**no_deletes).info.name(), "pre");
  EXPECT_EQ(NextEvent(**no_deletes).kind, WatchEvent::Kind::kEndOfInitial);

  const std::string g1 = WriteScratch("g1", test::RandomBytes(140000, 1));
  go_->Ok("put", {{"bucket", bucket}, {"name", "g1"}, {"file", g1}});
  js_->Ok("put", {{"bucket", bucket}, {"name", "j1"}, {"file", file}});
  go_->Ok("delete", {{"bucket", bucket}, {"name", "pre"}});
  js_->Ok("update-meta", {{"bucket", bucket}, {"name", "j1"}, {"new-name", "j2"}});

  for (Watcher* w : {watcher->get(), updates_only->get()}) {
    e = NextEvent(*w);
    EXPECT_EQ(e.kind, WatchEvent::Kind::kUpdate);
    EXPECT_EQ(e.info.name(), "g1");
    EXPECT_EQ(e.info.size, 140000u);
    EXPECT_EQ(e.info.chunks, 2u);
    e = NextEvent(*w);
    EXPECT_EQ(e.info.name(), "j1");
    EXPECT_EQ(e.info.digest, ExpectedDigest("existing"));
    EXPECT_GT(e.info.revision, 0u);
    e = NextEvent(*w);
    EXPECT_EQ(e.info.name(), "pre");
    EXPECT_TRUE(e.info.deleted);
    e = NextEvent(*w);
    EXPECT_EQ(e.info.name(), "j2");
  }
  EXPECT_EQ(NextEvent(**no_deletes).info.name(), "g1");
  EXPECT_EQ(NextEvent(**no_deletes).info.name(), "j1");
  EXPECT_EQ(NextEvent(**no_deletes).info.name(), "j2") << "the delete marker must be skipped";
  // Nothing else is pending.
  INTEROP_EXPECT_CODE((*watcher)->Next(300ms), Code::kDeadlineExceeded);
}

}  // namespace
}  // namespace natss3::interop
