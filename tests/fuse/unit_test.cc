// natss3fs pure logic: header attributes, inode table, command line, errno mapping.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "append_pipe.h"
#include "attrs.h"
#include "errno_map.h"
#include "extent_map.h"
#include "inode_table.h"
#include "natss3/names.h"
#include "options.h"
#include "read_stream.h"

namespace natss3::fs {
namespace {

TEST(AttrsTest, HeadersOverrideDefaults) {
  FsOptions options;
  options.uid = 10;
  options.gid = 20;
  options.umask = 022;
  options.trust_metadata_owner = true;
  Headers headers;
  Attr plain = MakeAttr(5, false, 42, headers, TimePoint(std::chrono::seconds(100)), options);
  EXPECT_EQ(plain.mode, static_cast<uint32_t>(S_IFREG | 0644));
  EXPECT_EQ(plain.uid, 10u);
  EXPECT_EQ(plain.size, 42u);
  EXPECT_EQ(plain.mtime.tv_sec, 100);
  headers["x-amz-meta-mode"] = {std::to_string(S_IFREG | 0600)};  // any case
  headers["X-Amz-Meta-Uid"] = {"7"};
  headers["X-Amz-Meta-Mtime"] = {"1600000000.25"};
  Attr with = MakeAttr(5, false, 1, headers, TimePoint{}, options);
  EXPECT_EQ(with.mode, static_cast<uint32_t>(S_IFREG | 0600));
  EXPECT_EQ(with.uid, 7u);
  EXPECT_EQ(with.gid, 20u);
  EXPECT_EQ(with.mtime.tv_sec, 1600000000);
  EXPECT_EQ(with.mtime.tv_nsec, 250000000);
  Attr dir = MakeAttr(6, true, 0, {}, TimePoint{}, options);
  EXPECT_EQ(dir.mode, static_cast<uint32_t>(S_IFDIR | 0755));
}

// Any S3 client sets these headers: by default the owner is the mount's and the setuid,
// setgid and sticky bits are dropped; trust_metadata_owner shows them.
TEST(AttrsTest, OwnerAndSpecialBitsNeedTrust) {
  FsOptions options;
  options.uid = 10;
  options.gid = 20;
  Headers headers;
  SetHeader(&headers, kModeHeader, std::to_string(S_IFREG | 07755));
  SetHeader(&headers, kUidHeader, "0");
  SetHeader(&headers, kGidHeader, "0");
  Attr plain = MakeAttr(5, false, 1, headers, TimePoint{}, options);
  EXPECT_EQ(plain.mode, static_cast<uint32_t>(S_IFREG | 0755));
  EXPECT_EQ(plain.uid, 10u);
  EXPECT_EQ(plain.gid, 20u);
  EXPECT_EQ(WritableModeBits(options), 0777u);
  options.trust_metadata_owner = true;
  Attr trusted = MakeAttr(5, false, 1, headers, TimePoint{}, options);
  EXPECT_EQ(trusted.mode, static_cast<uint32_t>(S_IFREG | 07755));
  EXPECT_EQ(trusted.uid, 0u);
  EXPECT_EQ(trusted.gid, 0u);
  EXPECT_EQ(WritableModeBits(options), 07777u);
  DropSpecialModeBits(&headers);
  EXPECT_EQ(GetHeader(headers, kModeHeader), std::to_string(S_IFREG | 0755));
}

TEST(AttrsTest, MtimeFormatRoundTrips) {
  EXPECT_EQ(FormatMtime({1600000000, 0}), "1600000000");
  EXPECT_EQ(FormatMtime({1, 5}), "1.000000005");
  auto ts = ParseMtime("1.000000005");
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->tv_nsec, 5);
  EXPECT_FALSE(ParseMtime("junk"));
  Headers headers;
  SetAttrIn in;
  in.mode = 0755;
  in.mtime = timespec{3, 0};
  ApplySetAttr(in, true, &headers);
  EXPECT_EQ(GetHeader(headers, "x-amz-meta-mode"), std::to_string(S_IFDIR | 0755));
  EXPECT_EQ(GetHeader(headers, kMtimeHeader), "3");
}

// Found by fuzz/fuse_paths (a parsed mtime formats and parses back to itself): seconds past
// time_t's range wrapped to a negative tv_sec, so X-Amz-Meta-Mtime: 18446744073709551615 showed
// as 1969 and FormatMtime wrote back "-1", which ParseMtime refuses.
TEST(AttrsTest, MtimePastTimeTIsIgnored) {
  EXPECT_FALSE(ParseMtime("18446744073709551615"));
  EXPECT_FALSE(ParseMtime("9223372036854775808.5"));
  auto max = ParseMtime("9223372036854775807");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->tv_sec, std::numeric_limits<time_t>::max());
  Headers headers;
  headers[std::string(kMtimeHeader)] = {"18446744073709551615"};
  Attr attr = MakeAttr(2, false, 0, headers, TimePoint(std::chrono::seconds(100)), FsOptions{});
  EXPECT_EQ(attr.mtime.tv_sec, 100);
}

// Metadata edits carry over only the attribute headers the mount owns.
TEST(AttrsTest, CopyOwnedHeadersLeavesOtherHeadersAlone) {
  Headers from;
  SetHeader(&from, kModeHeader, "33152");
  SetHeader(&from, kMd5Header, "stale");
  SetHeader(&from, "Content-Type", "text/old");
  Headers to;
  to["natss3-content-md5"] = {"current"};
  to["x-amz-meta-uid"] = {"7"};  // absent in `from`: removed
  to["Content-Type"] = {"text/new"};
  CopyOwnedHeaders(from, &to);
  EXPECT_EQ(GetHeader(to, kModeHeader), "33152");
  EXPECT_FALSE(GetHeader(to, kUidHeader));
  EXPECT_EQ(GetHeader(to, kMd5Header), "current");
  EXPECT_EQ(GetHeader(to, "Content-Type"), "text/new");
}

TEST(InodeTableTest, LookupCountsAndForget) {
  InodeTable table("b");
  uint64_t a = table.Acquire("b", "a", false, 1);
  EXPECT_EQ(table.Acquire("b", "a", false, 2), a);
  table.Forget(a, 2);
  EXPECT_TRUE(table.Get(a));
  table.Forget(a, 1);
  EXPECT_FALSE(table.Get(a));
  uint64_t again = table.Acquire("b", "a", false, 1);
  EXPECT_NE(again, a);  // numbers are never reused
  table.Forget(kRootIno, 100);
  EXPECT_TRUE(table.Get(kRootIno));
}

// Forgetting more lookups than were counted is a bookkeeping bug: counted and logged (and an
// assertion in debug builds), and the inode is dropped.
TEST(InodeTableTest, OverForgetIsCounted) {
#ifndef NDEBUG
  GTEST_SKIP() << "debug builds assert on an over-forget";
#endif
  InodeTable table("b");
  uint64_t a = table.Acquire("b", "a", false, 1);
  table.Forget(a, 1);
  EXPECT_EQ(table.over_forgets(), 0u);
  uint64_t c = table.Acquire("b", "c", false, 2);
  table.Forget(c, 3);
  EXPECT_EQ(table.over_forgets(), 1u);
  EXPECT_FALSE(table.Get(c));
}

TEST(InodeTableTest, TypeChangeAndOrphans) {
  InodeTable table("");
  uint64_t file = table.Acquire("b", "x", false, 1);
  uint64_t dir = table.Acquire("b", "x", true, 1);
  EXPECT_NE(file, dir);
  EXPECT_TRUE(table.Get(file)->orphan);
  EXPECT_EQ(table.Find("b", "x"), dir);
  table.Orphan("b", "x");
  EXPECT_FALSE(table.Find("b", "x"));
  EXPECT_TRUE(table.Get(dir));
}

TEST(InodeTableTest, MoveRenamesDescendantsOnly) {
  InodeTable table("b");
  uint64_t d = table.Acquire("b", "d", true, 1);
  uint64_t child = table.Acquire("b", "d/x/y", false, 1);
  uint64_t sibling = table.Acquire("b", "d-other", false, 1);
  uint64_t target = table.Acquire("b", "e", true, 1);
  table.Move("b", "d", "e");
  EXPECT_EQ(table.Find("b", "e"), d);
  EXPECT_EQ(table.Find("b", "e/x/y"), child);
  EXPECT_EQ(table.Get(child)->path, "e/x/y");
  EXPECT_EQ(table.Find("b", "d-other"), sibling);
  EXPECT_TRUE(table.Get(target)->orphan);
  EXPECT_FALSE(table.Find("b", "d"));
}

// The table against a plain model, under random lookups, forgets, orphans and moves of long
// paths (each held once, as a key that the path index views): every inode's path, type and
// orphan flag, and every path's inode, agree after each step.
TEST(InodeTableTest, AgreesWithAModelUnderRandomOperations) {
  struct Model {
    std::string path;
    bool is_dir = false, orphan = false;
    uint64_t lookups = 0;
  };
  InodeTable table("b");
  std::map<uint64_t, Model> inodes;
  std::map<std::string, uint64_t> paths;
  auto orphan = [&](const std::string& path) {
    auto it = paths.find(path);
    if (it == paths.end()) return;
    inodes[it->second].orphan = true;
    paths.erase(it);
  };
  const std::vector<std::string> names = {"a-rather-long-directory-name", "b", "c-also-long-enough"};
  std::mt19937 rng(7);
  auto random_path = [&] {
    std::string path;
    for (int depth = 1 + static_cast<int>(rng() % 3); depth > 0; --depth)
      path += (path.empty() ? "" : "/") + names[rng() % names.size()];
    return path;
  };
  for (int step = 0; step < 5000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      std::string path = random_path();
      bool is_dir = rng() % 2 == 0;
      uint64_t ino = table.Acquire("b", path, is_dir, 1);
      auto it = paths.find(path);
      if (it != paths.end() && inodes[it->second].is_dir == is_dir) {
        ASSERT_EQ(ino, it->second) << path;
      } else {
        orphan(path);
        ASSERT_EQ(inodes.count(ino), 0u) << "inode number reused: " << ino;
        paths[path] = ino;
        inodes[ino] = Model{path, is_dir, false, 0};
      }
      ++inodes[ino].lookups;
    } else if (op < 8 && !inodes.empty()) {
      auto it = std::next(inodes.begin(), static_cast<long>(rng() % inodes.size()));
      table.Forget(it->first, 1);
      if (--it->second.lookups == 0) {
        if (!it->second.orphan) paths.erase(it->second.path);
        inodes.erase(it);
      }
    } else if (op < 9) {
      std::string path = random_path();
      table.Orphan("b", path);
      orphan(path);
    } else {
      std::string from = random_path(), to = random_path();
      if (from == to || to.compare(0, from.size() + 1, from + "/") == 0) continue;
      table.Move("b", from, to);
      orphan(to);
      std::vector<std::pair<std::string, uint64_t>> moved;
      for (auto it = paths.begin(); it != paths.end();) {
        if (it->first == from || it->first.compare(0, from.size() + 1, from + "/") == 0) {
          moved.emplace_back(to + it->first.substr(from.size()), it->second);
          it = paths.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& [path, ino] : moved) {
        orphan(path);
        paths[path] = ino;
        inodes[ino].path = path;
      }
    }
    ASSERT_EQ(table.size(), inodes.size() + 1) << "step " << step;  // + the root
    for (const auto& [ino, m] : inodes) {
      auto got = table.Get(ino);
      ASSERT_TRUE(got) << "step " << step << " ino " << ino;
      ASSERT_EQ(got->bucket, "b");
      ASSERT_EQ(got->path, m.path) << "step " << step;
      ASSERT_EQ(got->is_dir, m.is_dir);
      ASSERT_EQ(got->orphan, m.orphan) << "step " << step << " " << m.path;
    }
    for (const auto& [path, ino] : paths) ASSERT_EQ(table.Find("b", path), ino) << path;
  }
}

TEST(OptionsTest, FlagsAndMountOptions) {
  auto cl = ParseCommandLine({"-f", "--bucket", "photos", "-s", "nats://h:1", "-o",
                              "ro,allow_other,uid=5,gid=6,umask=027,cache_size=2G,_netdev,nofail",
                              "--cache-dir=/var/tmp/x", "/mnt/p"});
  ASSERT_TRUE(cl.ok()) << cl.status().ToString();
  EXPECT_TRUE(cl->foreground);
  EXPECT_EQ(cl->fs.bucket, "photos");
  EXPECT_EQ(cl->connect.servers, "nats://h:1");
  EXPECT_TRUE(cl->fs.read_only);
  EXPECT_TRUE(cl->allow_other);
  EXPECT_EQ(cl->fs.uid, 5u);
  EXPECT_EQ(cl->fs.gid, 6u);
  EXPECT_EQ(cl->fs.umask, 027u);
  EXPECT_EQ(cl->fs.cache_limit, 2ull << 30);
  EXPECT_EQ(cl->fs.cache_dir, "/var/tmp/x");
  EXPECT_EQ(cl->mountpoint, "/mnt/p");
  EXPECT_TRUE(cl->connect.retry_on_failed_connect);
}

TEST(OptionsTest, ChunkSize) {
  auto cl = ParseCommandLine({"-o", "chunk_size=512K", "/m"});
  ASSERT_TRUE(cl.ok()) << cl.status().ToString();
  EXPECT_EQ(cl->fs.chunk_size, 512u << 10);
  EXPECT_EQ(ParseCommandLine({"/m"})->fs.chunk_size, 0u);  // the core's default
  EXPECT_FALSE(ParseCommandLine({"-o", "chunk_size=100", "/m"}).ok());
  EXPECT_FALSE(ParseCommandLine({"-o", "chunk_size=64M", "/m"}).ok());
}

TEST(OptionsTest, FstabSourceNamesTheBucket) {
  auto one = ParseCommandLine({"photos", "/mnt/p", "-o", "server=nats://x:4222,creds=/c"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->fs.bucket, "photos");
  EXPECT_EQ(one->connect.creds_file, "/c");
  auto all = ParseCommandLine({"all", "/mnt/n"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->fs.bucket, "");
}

TEST(OptionsTest, RejectsUnknownAndMissing) {
  EXPECT_FALSE(ParseCommandLine({"-o", "bogus", "/m"}).ok());
  EXPECT_FALSE(ParseCommandLine({"--nope", "/m"}).ok());
  EXPECT_FALSE(ParseCommandLine({}).ok());
  EXPECT_FALSE(ParseCommandLine({"-o", "uid=abc", "/m"}).ok());
  EXPECT_EQ(ParseByteSize("512M").value(), 512ull << 20);
}

// A mount collects garbage and keeps replaced versions for other readers by default; both,
// and the file size limit, can be set.
TEST(OptionsTest, GarbageCollectionAndFileSizeLimit) {
  auto plain = ParseCommandLine({"/m"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->connect.gc_interval, std::chrono::seconds(60));
  EXPECT_EQ(plain->connect.gc_grace, std::chrono::seconds(60));
  EXPECT_EQ(plain->connect.release_grace, std::chrono::seconds(30));
  EXPECT_EQ(plain->fs.max_file_size, 0u);  // automatic: the bucket's max_bytes, else 1 TiB
  auto set = ParseCommandLine(
      {"-o", "gc_interval=5000,gc_grace=120000,release_grace=0,max_file_size=2G", "/m"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->connect.gc_interval, std::chrono::milliseconds(5000));
  EXPECT_EQ(set->connect.gc_grace, std::chrono::milliseconds(120000));
  EXPECT_EQ(set->connect.release_grace, std::chrono::milliseconds(0));
  EXPECT_EQ(set->fs.max_file_size, 2ull << 30);
  auto flags = ParseCommandLine({"--gc-interval", "0", "--release-grace=1500", "/m"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->connect.gc_interval, std::chrono::milliseconds(0));
  EXPECT_EQ(flags->connect.release_grace, std::chrono::milliseconds(1500));
  EXPECT_FALSE(ParseCommandLine({"-o", "gc_interval=soon", "/m"}).ok());
  EXPECT_FALSE(ParseCommandLine({"-o", "max_file_size=big", "/m"}).ok());
}

TEST(OptionsTest, DryRunFlag) {
  auto cl = ParseCommandLine({"--dry-run", "photos", "/mnt/p"});
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->dry_run);
  EXPECT_FALSE(ParseCommandLine({"photos", "/mnt/p"})->dry_run);
}

TEST(ExtentMapTest, AddMergesAndCounts) {
  ExtentMap map;
  map.Add(10, 20);
  map.Add(30, 40);
  EXPECT_EQ(map.covered(), 20u);
  EXPECT_EQ(map.Uncovered(15, 35), 10u);
  map.Add(20, 30);  // touching both: one range
  EXPECT_EQ(map.covered(), 30u);
  bool covered = false;
  EXPECT_EQ(map.RunAt(10, &covered), 40u);
  EXPECT_TRUE(covered);
  EXPECT_EQ(map.RunAt(5, &covered), 10u);
  EXPECT_FALSE(covered);
  EXPECT_EQ(map.RunAt(40, &covered), UINT64_MAX);
  EXPECT_FALSE(covered);
  map.Add(0, 100);
  EXPECT_EQ(map.covered(), 100u);
  map.Add(5, 6);
  EXPECT_EQ(map.covered(), 100u);
}

TEST(ExtentMapTest, ClipDropsTheTail) {
  ExtentMap map;
  map.Add(0, 10);
  map.Add(20, 30);
  map.Add(40, 50);
  map.Clip(25);
  EXPECT_EQ(map.covered(), 15u);
  bool covered = false;
  EXPECT_EQ(map.RunAt(20, &covered), 25u);
  EXPECT_TRUE(covered);
  EXPECT_EQ(map.RunAt(25, &covered), UINT64_MAX);
  EXPECT_FALSE(covered);
  map.Clip(20);
  EXPECT_EQ(map.covered(), 10u);
  map.Clip(0);
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.covered(), 0u);
}

// An in-memory ObjectReader that counts the bytes it hands out sequentially.
class FakeReader : public ObjectReader {
 public:
  FakeReader(const std::string* data, uint64_t offset, uint64_t* read_total)
      : data_(data), pos_(offset), read_total_(read_total) {}
  const ObjectInfo& info() const override { return info_; }
  Result<size_t> Read(char* buf, size_t n) override {
    n = std::min<size_t>({n, data_->size() - pos_, 100000});  // short reads, like chunks
    std::memcpy(buf, data_->data() + pos_, n);
    pos_ += n;
    *read_total_ += n;
    return n;
  }
  Result<size_t> ReadAt(uint64_t, char*, size_t) override { return Internal("not used"); }

 private:
  ObjectInfo info_;
  const std::string* data_;
  uint64_t pos_;
  uint64_t* read_total_;
};

TEST(ReadStreamTest, OutOfOrderReadaheadIsReadOnce) {
  std::string data(24 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
  uint64_t transferred = 0;
  int opens = 0;
  ReadStream::Opener open = [&](uint64_t offset, std::unique_ptr<ObjectReader>* out) {
    ++opens;
    *out = std::make_unique<FakeReader>(&data, offset, &transferred);
    return 0;
  };
  ReadStream stream;
  const size_t mib = 1 << 20;
  std::string buf(mib, '\0');
  size_t got = 0;
  // The kernel's readahead pairs arrive swapped: 0, 2, 1, 4, 3, 6, 5, 7 (MiB).
  for (uint64_t m : {0, 2, 1, 4, 3, 6, 5, 7}) {
    ASSERT_TRUE(m == 0 || stream.Near(m * mib)) << m;
    ASSERT_EQ(stream.Read(m * mib, buf.data(), mib, &got, open), 0) << m;
    ASSERT_EQ(got, mib);
    ASSERT_EQ(buf, data.substr(m * mib, mib)) << m;
  }
  EXPECT_EQ(opens, 1);
  EXPECT_EQ(transferred, 8 * mib);  // every byte fetched exactly once
  // Behind the stream (delivered and dropped): the caller reads positionally.
  EXPECT_EQ(stream.Read(mib, buf.data(), mib, &got, open), ReadStream::kBehind);
  EXPECT_FALSE(stream.Near(mib));
  // A little ahead: read through, no reopen.
  ASSERT_EQ(stream.Read(12 * mib, buf.data(), mib, &got, open), 0);
  EXPECT_EQ(buf, data.substr(12 * mib, mib));
  EXPECT_EQ(opens, 1);
  // Far ahead: reopens there.
  ReadStream fresh;
  ASSERT_EQ(fresh.Read(0, buf.data(), 10, &got, open), 0);
  ASSERT_EQ(fresh.Read(20 * mib, buf.data(), mib, &got, open), 0);
  EXPECT_EQ(buf, data.substr(20 * mib, mib));
  EXPECT_EQ(opens, 3);
  // The end of the object.
  ASSERT_EQ(fresh.Read(data.size() - 5, buf.data(), mib, &got, open), 0);
  EXPECT_EQ(got, 5u);
}

TEST(AppendPipeTest, AppliesInOrderAndKeepsTheFirstError) {
  std::string applied;
  int calls = 0;
  AppendPipe pipe([&](const std::string& bytes) {
    applied += bytes;
    return ++calls == 3 ? EIO : (calls == 5 ? ENOSPC : 0);
  });
  std::string want;
  for (int i = 0; i < 50; ++i) {
    std::string piece(100000 + i, static_cast<char>('a' + i % 26));
    pipe.Push(piece.data(), piece.size());
    want += piece;
  }
  EXPECT_EQ(pipe.Drain(), EIO);
  EXPECT_TRUE(pipe.failed());
  EXPECT_EQ(applied, want);  // every byte, in order, even after a failure
}

TEST(ErrnoMapTest, ContextDecides) {
  EXPECT_EQ(ErrnoFor(Status(), OpKind::kRead), 0);
  EXPECT_EQ(ErrnoFor(NotFound("x"), OpKind::kRead), ENOENT);
  EXPECT_EQ(ErrnoFor(FailedPrecondition("sealed"), OpKind::kWrite), EROFS);
  EXPECT_EQ(ErrnoFor(FailedPrecondition("not empty"), OpKind::kRmdir), ENOTEMPTY);
  // A metadata write that lost every conditional attempt to concurrent writers.
  EXPECT_EQ(ErrnoFor(FailedPrecondition("kept changing", Detail::kWrongLastSequence),
                     OpKind::kNamespace),
            EBUSY);
  EXPECT_EQ(ErrnoFor(Unavailable("down"), OpKind::kRead), EIO);
  EXPECT_EQ(ErrnoFor(InvalidArgument("name", Detail::kNameTooLong), OpKind::kWrite), ENAMETOOLONG);
  EXPECT_EQ(ErrnoFor(ResourceExhausted("full"), OpKind::kWrite), ENOSPC);
}

// The errno follows the Status's code and detail, never its message text.
TEST(ErrnoMapTest, DetailNotMessageDecides) {
  EXPECT_EQ(ErrnoFor(InvalidArgument("object name too long"), OpKind::kWrite), EINVAL);
  EXPECT_EQ(ErrnoFor(InvalidArgument("bad", Detail::kNameTooLong), OpKind::kWrite), ENAMETOOLONG);
  // What the core itself returns for an over-long name.
  Status too_long = ValidateObjectName("b", std::string(MaxObjectNameLength("b") + 1, 'k'));
  EXPECT_EQ(too_long.detail(), Detail::kNameTooLong);
  EXPECT_EQ(ErrnoFor(too_long, OpKind::kWrite), ENAMETOOLONG);
}

}  // namespace
}  // namespace natss3::fs
