// ListingBlocks (the packed storage of a ListingIndex) against a std::map model: random puts,
// replacements and erases over names that force block splits and removals; every entry must
// come back field for field, in order, and be found by its nuid.
#include "listing_blocks.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "natss3/names.h"

namespace natss3 {
namespace {

using Entry = ListingIndex::Entry;

std::string HeaderOf(const Headers& h, const std::string& key) {
  auto it = h.find(key);
  return it == h.end() || it->second.empty() ? std::string() : it->second.front();
}

// What the blocks give back for `e`: the derived fields filled in, the digest only when
// neither an MD5 nor a multipart ETag header is there.
Entry Expected(Entry e) {
  e.md5_hex = HeaderOf(e.headers, kMd5Header);
  e.etag = HeaderOf(e.headers, "Natss3-Etag");
  e.content_type = HeaderOf(e.headers, "Content-Type");
  if (!e.md5_hex.empty() || !e.etag.empty()) e.digest.clear();
  return e;
}

void ExpectSame(const Entry& want, const Entry& got) {
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.size, got.size);
  EXPECT_EQ(want.mtime, got.mtime);
  EXPECT_EQ(want.digest, got.digest);
  EXPECT_EQ(want.md5_hex, got.md5_hex);
  EXPECT_EQ(want.etag, got.etag);
  EXPECT_EQ(want.content_type, got.content_type);
  EXPECT_EQ(want.is_link, got.is_link);
  EXPECT_EQ(want.revision, got.revision);
  EXPECT_EQ(want.headers, got.headers) << want.name;
  EXPECT_EQ(want.nuid, got.nuid);
}

Entry RandomEntry(std::mt19937_64& rng, const std::string& name, uint64_t revision) {
  Entry e;
  e.name = name;
  e.revision = revision;
  e.size = rng() % 4 == 0 ? 0 : rng() % (1ull << 40);
  e.mtime = TimePoint(std::chrono::nanoseconds(1700000000000000000LL +
                                               static_cast<int64_t>(rng() % 1000000000000ULL)));
  switch (rng() % 5) {
    case 0:
      break;  // no nuid (a link)
    case 1:
      e.nuid = "not-a-base62-nuid-" + std::to_string(rng() % 100);
      break;
    default:
      e.nuid = NewNuid();
  }
  e.is_link = e.nuid.empty();
  std::string raw(32, '\0');
  for (auto& c : raw) c = static_cast<char>(rng());
  std::string b64 = Base64Encode(raw);
  for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  switch (rng() % 4) {
    case 0:
      break;
    case 1:
      e.digest = "SHA-256=" + b64;
      break;
    case 2:
      e.digest = "SHA-256=" + b64.substr(0, 43);
      break;  // unpadded: kept as text
    default:
      e.digest = "odd digest";
  }
  switch (rng() % 4) {
    case 0:
      break;
    case 1:
      e.headers[kMd5Header] = {HexEncode(raw.substr(0, 16))};
      break;
    case 2:
      e.headers[kMd5Header] = {"NOT-HEX"};
      break;
    default:
      e.headers[kMd5Header] = {HexEncode(raw.substr(16, 16))};
      e.headers["Content-Type"] = {rng() % 2 ? "text/plain" : "image/png"};
  }
  if (rng() % 5 == 0) e.headers["Natss3-Etag"] = {"\"abc-" + std::to_string(rng() % 9) + "\""};
  if (rng() % 7 == 0) e.headers["Natss3-Mtime"] = {std::to_string(rng()), "second value"};
  return e;
}

TEST(ListingBlocksTest, MatchesAMapThroughSplitsReplacementsAndErases) {
  std::mt19937_64 rng(42);
  listing::Blocks blocks;
  std::map<std::string, Entry> model;
  uint64_t revision = 0;
  for (int step = 0; step < 60000; ++step) {
    char name[64];
    // Names of varied length and shared prefixes; a pool small enough for replacements.
    std::snprintf(name, sizeof(name), "%s/%05d%s", rng() % 2 ? "dir" : "other/deeper",
                  static_cast<int>(rng() % 6000), rng() % 3 ? "" : ".with-a-longer-suffix.txt");
    if (rng() % 4 == 0) {
      bool erased = blocks.Erase(name);
      EXPECT_EQ(erased, model.erase(name) == 1) << name;
    } else {
      Entry e = RandomEntry(rng, name, ++revision);
      blocks.Put(e);
      model[name] = e;
    }
    ASSERT_EQ(blocks.size(), model.size());
    if (step % 10000 == 0) blocks.Compact();
  }
  auto it = model.begin();
  for (auto c = blocks.LowerBound(""); !blocks.AtEnd(c); blocks.Next(&c), ++it) {
    ASSERT_NE(it, model.end());
    Entry got;
    blocks.Decode(c, &got);
    ExpectSame(Expected(it->second), got);
    EXPECT_EQ(blocks.NuidAt(c), it->second.nuid);
  }
  EXPECT_EQ(it, model.end());
  for (const auto& [name, e] : model) {
    Entry got;
    ASSERT_TRUE(blocks.Find(name, &got));
    ExpectSame(Expected(e), got);
    uint64_t rev = 0;
    std::string nuid;
    ASSERT_TRUE(blocks.Peek(name, &rev, &nuid));
    EXPECT_EQ(rev, e.revision);
    EXPECT_EQ(nuid, e.nuid);
    if (!e.nuid.empty()) {
      auto names = blocks.NamesOfNuid(e.nuid);
      EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
      for (const auto& n : names) EXPECT_EQ(model[n].nuid, e.nuid);
    }
  }
  EXPECT_FALSE(blocks.Find("dir/zzzzz", nullptr));
  // Bounds: the first entry at or after a key, and strictly after it.
  auto lb = blocks.LowerBound("dir/03000");
  ASSERT_FALSE(blocks.AtEnd(lb));
  EXPECT_EQ(blocks.KeyAt(lb), model.lower_bound("dir/03000")->first);
  auto ub = blocks.UpperBound(model.begin()->first);
  EXPECT_EQ(blocks.KeyAt(ub), std::next(model.begin())->first);
}

TEST(ListingBlocksTest, ErasingEverythingLeavesNothingBehind) {
  std::mt19937_64 rng(7);
  listing::Blocks blocks;
  std::vector<Entry> entries;
  for (int i = 0; i < 5000; ++i) {
    entries.push_back(RandomEntry(rng, "k" + std::to_string(i), static_cast<uint64_t>(i + 1)));
    blocks.Put(entries.back());
  }
  blocks.Compact();
  size_t full = blocks.MemoryBytes();
  std::shuffle(entries.begin(), entries.end(), rng);
  for (const auto& e : entries) ASSERT_TRUE(blocks.Erase(e.name));
  EXPECT_EQ(blocks.size(), 0u);
  EXPECT_TRUE(blocks.AtEnd(blocks.LowerBound("")));
  for (const auto& e : entries) {
    if (!e.nuid.empty()) {
      EXPECT_TRUE(blocks.NamesOfNuid(e.nuid).empty());
    }
  }
  // Nothing leaks: the same entries again take no more room than the first time.
  for (const auto& e : entries) blocks.Put(e);
  blocks.Compact();
  EXPECT_LE(blocks.MemoryBytes(), full + full / 10);
  EXPECT_EQ(blocks.size(), entries.size());
}

TEST(ListingBlocksTest, ZeroByteObjectsTakeUnderSixtyFourBytesPlusTheName) {
  listing::Blocks blocks;
  for (int i = 0; i < 100000; ++i) {
    Entry e;
    char name[16];
    std::snprintf(name, sizeof(name), "%09d", i);
    e.name = name;
    e.revision = 1000000 + static_cast<uint64_t>(i);
    e.mtime = TimePoint(std::chrono::nanoseconds(1765000000000000000LL + i));
    e.nuid = NewNuid();
    e.digest = "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=";
    e.headers[kMd5Header] = {"d41d8cd98f00b204e9800998ecf8427e"};
    blocks.Put(e);
  }
  blocks.Compact();
  double per_key = static_cast<double>(blocks.MemoryBytes()) / 100000.0;
  EXPECT_LT(per_key, 64.0 + 9.0);
  std::printf("packed: %.1f bytes per key (9-byte names)\n", per_key);
}

}  // namespace
}  // namespace natss3
