// Object contract: put/get, digests, meta, overwrite, abort, delete, update/rename, links, list,
// optimistic concurrency, name limits and concurrency over one store.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;
using nlohmann::json;

class ObjectTest : public BucketTest {};

void ExpectWellFormedInfo(const ObjectInfo& info, const std::string& bucket,
                          const std::string& name, std::string_view data, uint32_t chunk_size) {
  EXPECT_EQ(info.name(), name);
  EXPECT_EQ(info.bucket, bucket);
  EXPECT_EQ(info.size, data.size());
  EXPECT_EQ(info.chunks, (data.size() + chunk_size - 1) / chunk_size) << "size " << data.size();
  EXPECT_EQ(info.digest, ExpectedDigest(data));
  EXPECT_EQ(info.nuid.size(), 22u);
  EXPECT_FALSE(info.deleted);
  EXPECT_FALSE(info.is_link());
  EXPECT_EQ(info.meta.max_chunk_size, chunk_size);
  EXPECT_EQ(info.Header(kMd5Header), Md5Hex(data));
  EXPECT_GT(info.mtime, Clock::now() - std::chrono::minutes(1));
  EXPECT_LT(info.mtime, Clock::now() + std::chrono::minutes(1));
}

TEST_F(ObjectTest, RoundTripBoundarySizes) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{131071}, size_t{131072}, size_t{131073},
                      size_t{5 * 1024 * 1024}}) {
    std::string name = "obj-" + std::to_string(size);
    std::string data = test::RandomBytes(size, size + 7);
    ObjectInfo put = MustPut(bucket_, name, data);
    ExpectWellFormedInfo(put, bucket_, name, data, kDefaultChunkSize);
    EXPECT_GT(put.revision, 0u);
    auto info = store_->GetInfo(bucket_, name);
    ASSERT_OK(info);
    ExpectWellFormedInfo(*info, bucket_, name, data, kDefaultChunkSize);
    EXPECT_EQ(info->nuid, put.nuid);
    EXPECT_EQ(info->revision, put.revision);
    std::string got = MustGet(bucket_, name);
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data) << "content differs for size " << size;
  }
}

TEST_F(ObjectTest, EmptyObjectHasEmptyDigestAndNoChunks) {
  ObjectInfo put = MustPut(bucket_, "empty", "");
  EXPECT_EQ(put.chunks, 0u);
  EXPECT_EQ(put.digest, "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(MustStatus(bucket_).messages, 1u);  // the meta only
}

TEST_F(ObjectTest, HelloWorldDigest) {
  ObjectInfo put = MustPut(bucket_, "hello.txt", "hello world");
  EXPECT_EQ(put.digest, "SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek=");
  EXPECT_EQ(put.Header(kMd5Header), "5eb63bbbe01eeed093cb22bb8f5acdc3");
}

TEST_F(ObjectTest, RawMetaMessageMatchesFormatDoc) {
  ObjectMeta meta = Meta("hello.txt");
  meta.description = "greeting";
  meta.headers["X-Multi"] = {"a", "b"};
  meta.headers["content-type"] = {"text/plain"};
  ObjectInfo put = MustPut(bucket_, meta, "hello world");
  RawNats raw(server_->url());
  auto msg = raw.GetLast("OBJ_" + bucket_, "$O." + bucket_ + ".M.aGVsbG8udHh0");
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(msg->headers["Nats-Rollup"], "sub");
  json j = json::parse(msg->data, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << msg->data;
  EXPECT_EQ(j["name"], "hello.txt");
  EXPECT_EQ(j["description"], "greeting");
  EXPECT_EQ(j["headers"]["X-Multi"], json({"a", "b"}));
  EXPECT_EQ(j["headers"]["content-type"], json({"text/plain"}));
  EXPECT_EQ(j["options"]["max_chunk_size"], 131072);
  EXPECT_EQ(j["bucket"], bucket_);
  EXPECT_EQ(j["nuid"], put.nuid);
  EXPECT_EQ(j["size"], 11);
  EXPECT_EQ(j["chunks"], 1);
  EXPECT_EQ(j["mtime"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(j["digest"], "SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek=");
  EXPECT_FALSE(j.contains("deleted"));
  EXPECT_FALSE(j.contains("link"));
  // Go's key order (docs/object-store-format.md §3.1).
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  auto pos = [&](const std::string& k) { return msg->data.find("\"" + k + "\":"); };
  std::vector<std::string> order = {"name", "description", "headers", "options", "bucket",
                                    "nuid", "size", "mtime", "chunks", "digest"};
  for (size_t i = 1; i < order.size(); ++i)
    EXPECT_LT(pos(order[i - 1]), pos(order[i])) << order[i - 1] << " before " << order[i];
  // Chunk landed on $O.<b>.C.<nuid>.
  auto counts = raw.SubjectCounts("OBJ_" + bucket_, "$O." + bucket_ + ".C.>");
  EXPECT_EQ(counts["$O." + bucket_ + ".C." + put.nuid], 1u);
}

TEST_F(ObjectTest, CustomChunkSizes) {
  std::string data = test::RandomBytes(5001);
  PutOptions po;
  po.chunk_size = 1000;
  ObjectInfo a = MustPut(bucket_, "opt-chunk", data, po);
  ExpectWellFormedInfo(a, bucket_, "opt-chunk", data, 1000);
  EXPECT_EQ(a.chunks, 6u);
  EXPECT_EQ(MustGet(bucket_, "opt-chunk"), data);

  ObjectMeta meta = Meta("meta-chunk");
  meta.max_chunk_size = 4096;
  ObjectInfo b = MustPut(bucket_, meta, data);
  ExpectWellFormedInfo(b, bucket_, "meta-chunk", data, 4096);
  EXPECT_EQ(b.chunks, 2u);
  EXPECT_EQ(MustGet(bucket_, "meta-chunk"), data);

  RawNats raw(server_->url());
  auto counts = raw.SubjectCounts("OBJ_" + bucket_, "$O." + bucket_ + ".C.>");
  EXPECT_EQ(counts["$O." + bucket_ + ".C." + a.nuid], 6u);
  EXPECT_EQ(counts["$O." + bucket_ + ".C." + b.nuid], 2u);
}

TEST_F(ObjectTest, ChunkSizeCappedAtMaxPayload) {
  std::string data = test::RandomBytes(3 * 1024 * 1024 + 5);
  PutOptions po;
  po.chunk_size = 4 * 1024 * 1024;  // above the default 1 MiB max_payload
  auto r = store_->PutBytes(bucket_, Meta("big-chunks"), data, po);
  ASSERT_OK(r);
  EXPECT_LE(r->meta.max_chunk_size, store_->MaxPayload());
  EXPECT_GT(r->meta.max_chunk_size, 0u);
  EXPECT_EQ(r->chunks, (data.size() + r->meta.max_chunk_size - 1) / r->meta.max_chunk_size);
  EXPECT_EQ(MustGet(bucket_, "big-chunks"), data);
}

TEST_F(ObjectTest, StreamingWriterSmallWritesAndRunningDigests) {
  std::string data = test::RandomBytes(300 * 1024 + 3);
  auto w = store_->NewWriter(bucket_, Meta("streamed"));
  ASSERT_OK(w);
  size_t half = data.size() / 2;
  for (size_t i = 0; i < data.size(); i += 7) {
    ASSERT_OK((*w)->Write(std::string_view(data).substr(i, 7)));
    if (i + 7 >= half && i < half) {
      size_t written = std::min(data.size(), i + 7);
      EXPECT_EQ((*w)->size(), written);
      EXPECT_EQ((*w)->Md5Hex(), Md5Hex(std::string_view(data).substr(0, written)));
      EXPECT_EQ((*w)->Sha256Raw(), Sha256Raw(std::string_view(data).substr(0, written)));
    }
  }
  EXPECT_EQ((*w)->size(), data.size());
  EXPECT_EQ((*w)->Md5Hex(), Md5Hex(data));
  auto info = (*w)->Commit();
  ASSERT_OK(info);
  EXPECT_EQ(info->chunks, 3u);  // full chunks despite 7-byte writes
  ExpectWellFormedInfo(*info, bucket_, "streamed", data, kDefaultChunkSize);
  EXPECT_FALSE((*w)->Commit().ok());  // may be called once
  EXPECT_EQ(MustGet(bucket_, "streamed"), data);
}

TEST_F(ObjectTest, NothingVisibleBeforeCommit) {
  auto w = store_->NewWriter(bucket_, Meta("pending"));
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(test::RandomBytes(400 * 1024)));
  EXPECT_CODE(store_->GetInfo(bucket_, "pending", true), Code::kNotFound);
  auto list = store_->List(bucket_, true);
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  ASSERT_OK((*w)->Commit());
  EXPECT_OK(store_->GetInfo(bucket_, "pending"));
}

TEST_F(ObjectTest, HeadersDescriptionMetadataPreserved) {
  ObjectMeta meta = Meta("dir/\xC3\xBCn\xC3\xAF code.bin");
  meta.description = "a \"quoted\" <desc> & more";
  meta.headers["Content-Type"] = {"application/octet-stream"};
  meta.headers["X-Multi"] = {"a", "b"};
  meta.metadata["owner"] = "infra";
  meta.metadata["k"] = "v=1";
  MustPut(bucket_, meta, "payload");
  auto info = store_->GetInfo(bucket_, meta.name);
  ASSERT_OK(info);
  EXPECT_EQ(info->meta.description, meta.description);
  EXPECT_EQ(info->meta.headers.at("Content-Type"), meta.headers.at("Content-Type"));
  EXPECT_EQ(info->meta.headers.at("X-Multi"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(info->Header("content-type"), "application/octet-stream");
  EXPECT_EQ(info->meta.metadata, meta.metadata);
  EXPECT_EQ(MustGet(bucket_, meta.name), "payload");
}

TEST_F(ObjectTest, SpecialNamesRoundTripOnDocumentedSubjects) {
  RawNats raw(server_->url());
  struct V {
    std::string name, encoded;
  };
  for (const V& v : {V{"a>b*c.d", "YT5iKmMuZA=="}, V{"~~~", "fn5-"},
                     V{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt", "5pel5pys6KqeLnR4dA=="},
                     V{"dir/\xC3\xBCn\xC3\xAF code.bin", "ZGlyL8O8bsOvIGNvZGUuYmlu"}}) {
    MustPut(bucket_, v.name, "data of " + v.name);
    EXPECT_EQ(MustGet(bucket_, v.name), "data of " + v.name);
    EXPECT_TRUE(raw.GetLast("OBJ_" + bucket_, "$O." + bucket_ + ".M." + v.encoded).has_value())
        << v.name;
  }
}

TEST_F(ObjectTest, OverwritePurgesOldChunks) {
  std::string v1 = test::RandomBytes(1024 * 1024, 1);
  ObjectInfo first = MustPut(bucket_, "obj", v1);
  auto s1 = MustStatus(bucket_);
  std::string v2 = test::RandomBytes(1024 * 1024, 2);
  ObjectInfo second = MustPut(bucket_, "obj", v2);
  EXPECT_NE(second.nuid, first.nuid);
  auto s2 = MustStatus(bucket_);
  EXPECT_EQ(s2.messages, s1.messages);  // 8 chunks + 1 meta, not 17 + 1
  EXPECT_LT(s2.size, s1.size + 512) << "old chunks not purged";
  EXPECT_GT(s2.size + 512, s1.size);
  RawNats raw(server_->url());
  auto counts = raw.SubjectCounts("OBJ_" + bucket_, "$O." + bucket_ + ".C.>");
  EXPECT_EQ(counts.count("$O." + bucket_ + ".C." + first.nuid), 0u);
  EXPECT_EQ(counts["$O." + bucket_ + ".C." + second.nuid], 8u);
  EXPECT_EQ(MustGet(bucket_, "obj"), v2);
}

TEST_F(ObjectTest, AbortLeavesNothing) {
  auto baseline = MustStatus(bucket_);
  auto w = store_->NewWriter(bucket_, Meta("aborted"));
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(test::RandomBytes(1024 * 1024)));
  (*w)->Abort();
  (*w)->Abort();  // idempotent
  EXPECT_FALSE((*w)->Write("more").ok());
  EXPECT_FALSE((*w)->Commit().ok());
  EXPECT_CODE(store_->GetInfo(bucket_, "aborted", true), Code::kNotFound);
  auto after = MustStatus(bucket_);
  EXPECT_EQ(after.messages, baseline.messages);
  EXPECT_EQ(after.size, baseline.size);
}

TEST_F(ObjectTest, DestroyingUncommittedWriterAborts) {
  MustPut(bucket_, "existing", "keep me");
  auto baseline = MustStatus(bucket_);
  {
    auto w = store_->NewWriter(bucket_, Meta("dropped"));
    ASSERT_OK(w);
    ASSERT_OK((*w)->Write(test::RandomBytes(700 * 1024)));
  }
  {
    auto w = store_->NewWriter(bucket_, Meta("existing"));  // overwrite attempt, abandoned
    ASSERT_OK(w);
    ASSERT_OK((*w)->Write(test::RandomBytes(700 * 1024)));
  }
  EXPECT_CODE(store_->GetInfo(bucket_, "dropped", true), Code::kNotFound);
  EXPECT_EQ(MustGet(bucket_, "existing"), "keep me");
  auto after = MustStatus(bucket_);
  EXPECT_EQ(after.messages, baseline.messages);
  EXPECT_EQ(after.size, baseline.size);
}

TEST_F(ObjectTest, PutRejectsEmptyNameAndLink) {
  auto baseline = MustStatus(bucket_);
  EXPECT_CODE(store_->NewWriter(bucket_, Meta("")), Code::kInvalidArgument);
  ObjectMeta link = Meta("l");
  link.link = ObjectLink{bucket_, "target"};
  EXPECT_CODE(store_->NewWriter(bucket_, link), Code::kInvalidArgument);
  EXPECT_CODE(store_->PutBytes(bucket_, link, "x"), Code::kInvalidArgument);
  EXPECT_EQ(MustStatus(bucket_).messages, baseline.messages);
}

TEST_F(ObjectTest, NameTooLongRejectedBeforeAnyChunk) {
  size_t max = MaxObjectNameLength(bucket_);
  auto baseline = MustStatus(bucket_);
  std::string data = test::RandomBytes(300 * 1024);
  auto w = store_->NewWriter(bucket_, Meta(std::string(max + 1, 'n')));
  EXPECT_CODE(w, Code::kInvalidArgument);
  EXPECT_CODE(store_->PutBytes(bucket_, Meta(std::string(max + 1, 'n')), data),
              Code::kInvalidArgument);
  EXPECT_CODE(store_->PutBytes(bucket_, Meta(std::string(4000, 'n')), data),
              Code::kInvalidArgument);
  auto after = MustStatus(bucket_);
  EXPECT_EQ(after.messages, baseline.messages);
  EXPECT_EQ(after.size, baseline.size);
  // The longest accepted name works end to end: server accepts the meta and direct gets.
  std::string longest(max, 'n');
  MustPut(bucket_, longest, data);
  EXPECT_EQ(MustGet(bucket_, longest), data);
  auto list = store_->List(bucket_);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name(), longest);
  EXPECT_OK(store_->Health());  // connection not closed by a control-line violation
}

TEST_F(ObjectTest, GetInfoAndOpenOfMissingAreNotFound) {
  EXPECT_CODE(store_->GetInfo(bucket_, "missing"), Code::kNotFound);
  EXPECT_CODE(store_->GetInfo(bucket_, "missing", true), Code::kNotFound);
  EXPECT_CODE(store_->Open(bucket_, "missing"), Code::kNotFound);
  EXPECT_CODE(store_->GetBytes(bucket_, "missing"), Code::kNotFound);
}

TEST_F(ObjectTest, DeleteSemantics) {
  ObjectMeta meta = Meta("doomed");
  meta.description = "bye";
  ObjectInfo put = MustPut(bucket_, meta, test::RandomBytes(300 * 1024));
  ASSERT_OK(store_->Delete(bucket_, "doomed"));
  EXPECT_CODE(store_->GetInfo(bucket_, "doomed"), Code::kNotFound);
  EXPECT_CODE(store_->Open(bucket_, "doomed"), Code::kNotFound);
  auto shown = store_->GetInfo(bucket_, "doomed", true);
  ASSERT_OK(shown);
  EXPECT_TRUE(shown->deleted);
  EXPECT_EQ(shown->size, 0u);
  EXPECT_EQ(shown->chunks, 0u);
  EXPECT_EQ(shown->digest, "");
  EXPECT_EQ(shown->nuid, put.nuid);
  EXPECT_EQ(shown->meta.description, "bye");
  // Chunks purged: only the delete marker remains.
  auto s = MustStatus(bucket_);
  EXPECT_EQ(s.messages, 1u);
  EXPECT_LT(s.size, 1024u);
  // Deleting again is OK (Go), deleting a never-existing name is kNotFound.
  EXPECT_OK(store_->Delete(bucket_, "doomed"));
  EXPECT_CODE(store_->Delete(bucket_, "never-existed"), Code::kNotFound);
  // The name can be reused.
  MustPut(bucket_, "doomed", "again");
  EXPECT_EQ(MustGet(bucket_, "doomed"), "again");
}

TEST_F(ObjectTest, RawDeleteMarkerMatchesGo) {
  ObjectInfo put = MustPut(bucket_, "nilreader", "x");
  ASSERT_OK(store_->Delete(bucket_, "nilreader"));
  RawNats raw(server_->url());
  auto msg = raw.GetLast("OBJ_" + bucket_, MetaSubject(bucket_, "nilreader"));
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(msg->headers["Nats-Rollup"], "sub");
  json j = json::parse(msg->data, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["deleted"], true);
  EXPECT_EQ(j["size"], 0);
  EXPECT_EQ(j["chunks"], 0);
  EXPECT_EQ(j["nuid"], put.nuid);
  EXPECT_TRUE(!j.contains("digest") || j["digest"] == "");
}

TEST_F(ObjectTest, UpdateMetaKeepsData) {
  std::string data = test::RandomBytes(200 * 1024);
  ObjectMeta meta = Meta("doc");
  meta.description = "v1";
  meta.headers["Content-Type"] = {"text/plain"};
  ObjectInfo put = MustPut(bucket_, meta, data);
  ObjectMeta upd = Meta("doc");
  upd.description = "v2";
  upd.headers["X-New"] = {"1"};
  upd.metadata["m"] = "n";
  auto r = store_->UpdateMeta(bucket_, "doc", upd);
  ASSERT_OK(r);
  auto info = store_->GetInfo(bucket_, "doc");
  ASSERT_OK(info);
  EXPECT_EQ(info->meta.description, "v2");
  EXPECT_EQ(info->Header("X-New"), "1");
  EXPECT_EQ(info->Header("Content-Type"), "");  // replaced wholesale
  EXPECT_EQ(info->meta.metadata.at("m"), "n");
  EXPECT_EQ(info->nuid, put.nuid);
  EXPECT_EQ(info->digest, put.digest);
  EXPECT_EQ(info->size, put.size);
  EXPECT_EQ(info->chunks, put.chunks);
  EXPECT_EQ(info->meta.max_chunk_size, put.meta.max_chunk_size);
  EXPECT_GT(info->revision, put.revision);
  EXPECT_EQ(MustGet(bucket_, "doc"), data);
  EXPECT_EQ(MustStatus(bucket_).messages, 3u);  // 2 chunks + 1 meta (rollup)
}

TEST_F(ObjectTest, RenameMovesObject) {
  std::string data = test::RandomBytes(150 * 1024);
  ObjectInfo put = MustPut(bucket_, "old", data);
  auto r = store_->UpdateMeta(bucket_, "old", Meta("new"));
  ASSERT_OK(r);
  EXPECT_EQ(r->name(), "new");
  EXPECT_CODE(store_->GetInfo(bucket_, "old"), Code::kNotFound);
  EXPECT_CODE(store_->GetInfo(bucket_, "old", true), Code::kNotFound);  // old subject purged
  auto info = store_->GetInfo(bucket_, "new");
  ASSERT_OK(info);
  EXPECT_EQ(info->nuid, put.nuid);
  EXPECT_EQ(MustGet(bucket_, "new"), data);
  auto list = store_->List(bucket_, true);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name(), "new");
}

TEST_F(ObjectTest, RenameOntoLiveObjectIsAlreadyExists) {
  MustPut(bucket_, "a", "A");
  MustPut(bucket_, "b", "B");
  EXPECT_CODE(store_->UpdateMeta(bucket_, "a", Meta("b")), Code::kAlreadyExists);
  EXPECT_EQ(MustGet(bucket_, "a"), "A");
  EXPECT_EQ(MustGet(bucket_, "b"), "B");
  // Onto a deleted name is fine.
  ASSERT_OK(store_->Delete(bucket_, "b"));
  ASSERT_OK(store_->UpdateMeta(bucket_, "a", Meta("b")));
  EXPECT_EQ(MustGet(bucket_, "b"), "A");
  EXPECT_CODE(store_->GetInfo(bucket_, "a"), Code::kNotFound);
}

TEST_F(ObjectTest, UpdateMetaOfMissingOrDeletedIsNotFound) {
  EXPECT_CODE(store_->UpdateMeta(bucket_, "missing", Meta("missing")), Code::kNotFound);
  MustPut(bucket_, "gone", "x");
  ASSERT_OK(store_->Delete(bucket_, "gone"));
  EXPECT_CODE(store_->UpdateMeta(bucket_, "gone", Meta("gone")), Code::kNotFound);
}

TEST_F(ObjectTest, LinksFollowOneLevel) {
  std::string data = test::RandomBytes(200 * 1024);
  ObjectInfo target = MustPut(bucket_, "target", data);
  auto link = store_->AddLink(bucket_, "ln", target);
  ASSERT_OK(link);
  EXPECT_TRUE(link->is_link());
  auto info = store_->GetInfo(bucket_, "ln");  // not followed
  ASSERT_OK(info);
  ASSERT_TRUE(info->is_link());
  EXPECT_EQ(info->meta.link->bucket, bucket_);
  EXPECT_EQ(info->meta.link->name, "target");
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->nuid.size(), 22u);  // Go's form carries a nuid
  auto reader = store_->Open(bucket_, "ln");
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->info().name(), "target");
  EXPECT_EQ((*reader)->info().digest, target.digest);
  auto bytes = ReadAll(**reader);
  ASSERT_OK(bytes);
  EXPECT_TRUE(*bytes == data);
  EXPECT_EQ(MustGet(bucket_, "ln"), data);
  // The link follows overwrites of the target.
  MustPut(bucket_, "target", "v2");
  EXPECT_EQ(MustGet(bucket_, "ln"), "v2");
}

TEST_F(ObjectTest, RawLinkRecordMatchesGo) {
  ObjectInfo target = MustPut(bucket_, "t", "x");
  ASSERT_OK(store_->AddLink(bucket_, "link", target));
  RawNats raw(server_->url());
  auto msg = raw.GetLast("OBJ_" + bucket_, "$O." + bucket_ + ".M.bGluaw==");
  ASSERT_TRUE(msg.has_value());
  EXPECT_EQ(msg->headers["Nats-Rollup"], "sub");
  json j = json::parse(msg->data, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["name"], "link");
  EXPECT_EQ(j["options"]["link"]["bucket"], bucket_);
  EXPECT_EQ(j["options"]["link"]["name"], "t");
  EXPECT_EQ(j["bucket"], bucket_);
  EXPECT_EQ(j["size"], 0);
  EXPECT_EQ(j["chunks"], 0);
  EXPECT_TRUE(j.contains("nuid") && j["nuid"].get<std::string>().size() == 22);
}

TEST_F(ObjectTest, CrossBucketLink) {
  std::string other = NewBucket();
  ObjectInfo target = MustPut(other, "remote", "remote data");
  ASSERT_OK(store_->AddLink(bucket_, "to-remote", target));
  EXPECT_EQ(MustGet(bucket_, "to-remote"), "remote data");
}

TEST_F(ObjectTest, LinkErrors) {
  ObjectInfo target = MustPut(bucket_, "target", "t");
  auto link = store_->AddLink(bucket_, "ln", target);
  ASSERT_OK(link);
  // Link to a link.
  EXPECT_CODE(store_->AddLink(bucket_, "ln2", *link), Code::kFailedPrecondition);
  // Link over an existing non-link object.
  MustPut(bucket_, "plain", "p");
  EXPECT_CODE(store_->AddLink(bucket_, "plain", target), Code::kAlreadyExists);
  EXPECT_EQ(MustGet(bucket_, "plain"), "p");
  // Replacing a link is fine.
  ObjectInfo target2 = MustPut(bucket_, "target2", "t2");
  ASSERT_OK(store_->AddLink(bucket_, "ln", target2));
  EXPECT_EQ(MustGet(bucket_, "ln"), "t2");
  // Link to a deleted object.
  ASSERT_OK(store_->Delete(bucket_, "target"));
  auto deleted = store_->GetInfo(bucket_, "target", true);
  ASSERT_OK(deleted);
  EXPECT_CODE(store_->AddLink(bucket_, "ln3", *deleted), Code::kFailedPrecondition);
  EXPECT_CODE(store_->GetInfo(bucket_, "ln3", true), Code::kNotFound);
  // Empty link name / empty target name.
  EXPECT_CODE(store_->AddLink(bucket_, "", target2), Code::kInvalidArgument);
  ObjectInfo nameless;
  nameless.bucket = bucket_;
  EXPECT_FALSE(store_->AddLink(bucket_, "ln4", nameless).ok());
}

TEST_F(ObjectTest, LinkToDeletedTargetReadsNotFound) {
  ObjectInfo target = MustPut(bucket_, "target", "t");
  ASSERT_OK(store_->AddLink(bucket_, "ln", target));
  ASSERT_OK(store_->Delete(bucket_, "target"));
  EXPECT_CODE(store_->Open(bucket_, "ln"), Code::kNotFound);
}

TEST_F(ObjectTest, BucketLink) {
  std::string other = NewBucket();
  auto bl = store_->AddBucketLink(bucket_, "bl", other);
  ASSERT_OK(bl);
  auto info = store_->GetInfo(bucket_, "bl");
  ASSERT_OK(info);
  ASSERT_TRUE(info->is_link());
  EXPECT_TRUE(info->meta.link->is_bucket_link());
  EXPECT_EQ(info->meta.link->bucket, other);
  EXPECT_CODE(store_->Open(bucket_, "bl"), Code::kFailedPrecondition);
  RawNats raw(server_->url());
  auto msg = raw.GetLast("OBJ_" + bucket_, MetaSubject(bucket_, "bl"));
  ASSERT_TRUE(msg.has_value());
  json j = json::parse(msg->data, nullptr, false);
  EXPECT_EQ(j["options"]["link"]["bucket"], other);
  EXPECT_FALSE(j["options"]["link"].contains("name"));
}

TEST_F(ObjectTest, ListWithAndWithoutDeletedInStreamOrder) {
  auto empty = store_->List(bucket_);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  MustPut(bucket_, "a", "1");
  MustPut(bucket_, "b", "22");
  MustPut(bucket_, "c", "333");
  MustPut(bucket_, "d", "4444");
  ASSERT_OK(store_->Delete(bucket_, "c"));
  MustPut(bucket_, "a", "111");  // overwrite moves "a" to the end of the stream
  auto live = store_->List(bucket_);
  ASSERT_OK(live);
  std::vector<std::string> names;
  for (auto& i : *live) names.push_back(i.name());
  EXPECT_EQ(names, (std::vector<std::string>{"b", "d", "a"}));
  for (auto& i : *live) {
    EXPECT_FALSE(i.deleted);
    if (i.name() == "a") {
      EXPECT_EQ(i.size, 3u);
    }
    EXPECT_GT(i.mtime, TimePoint{});
  }
  auto all = store_->List(bucket_, true);
  ASSERT_OK(all);
  names.clear();
  for (auto& i : *all) names.push_back(i.name());
  // The delete marker of "c" is a newer meta message than "d".
  EXPECT_EQ(names, (std::vector<std::string>{"b", "d", "c", "a"}));
  if (all->size() == 4) {
    EXPECT_TRUE((*all)[2].deleted);
  }
}

TEST_F(ObjectTest, ExpectedRevisionOptimisticConcurrency) {
  PutOptions must_not_exist;
  must_not_exist.expected_revision = 0;
  auto created = store_->PutBytes(bucket_, Meta("occ"), "v1", must_not_exist);
  ASSERT_OK(created);
  auto baseline = MustStatus(bucket_);
  EXPECT_CODE(store_->PutBytes(bucket_, Meta("occ"), test::RandomBytes(300 * 1024),
                               must_not_exist),
              Code::kFailedPrecondition);
  EXPECT_EQ(MustGet(bucket_, "occ"), "v1");

  PutOptions at_v1;
  at_v1.expected_revision = created->revision;
  auto updated = store_->PutBytes(bucket_, Meta("occ"), "v2", at_v1);
  ASSERT_OK(updated);
  EXPECT_GT(updated->revision, created->revision);
  auto before_stale = MustStatus(bucket_);
  // A stale revision fails; the failed put leaves no chunks and the current version intact.
  EXPECT_CODE(store_->PutBytes(bucket_, Meta("occ"), test::RandomBytes(300 * 1024), at_v1),
              Code::kFailedPrecondition);
  EXPECT_EQ(MustGet(bucket_, "occ"), "v2");
  EXPECT_TRUE(PollUntil([&] { return MustStatus(bucket_).messages == before_stale.messages; },
                        5s));
  EXPECT_EQ(MustStatus(bucket_).size, before_stale.size);
  (void)baseline;
}

TEST_F(ObjectTest, ConcurrentPutsAndGetsFromEightThreads) {
  std::string shared = test::RandomBytes(400 * 1024, 99);
  MustPut(bucket_, "shared", shared);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::mutex err_mu;
  std::vector<std::string> errors;
  auto fail = [&](std::string e) {
    failures++;
    std::lock_guard<std::mutex> l(err_mu);
    if (errors.size() < 10) errors.push_back(std::move(e));
  };
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        std::string name = "t" + std::to_string(t) + "/o" + std::to_string(i);
        std::string data = test::RandomBytes(static_cast<size_t>((t * 37 + i * 53) % 7) * 70000 + i,
                                             static_cast<uint64_t>(t * 100 + i));
        auto p = store_->PutBytes(bucket_, Meta(name), data);
        if (!p.ok()) { fail("put " + name + ": " + p.status().ToString()); continue; }
        auto g = store_->GetBytes(bucket_, name);
        if (!g.ok()) fail("get " + name + ": " + g.status().ToString());
        else if (*g != data) fail("content mismatch " + name);
        auto s = store_->GetBytes(bucket_, "shared");
        if (!s.ok()) fail("get shared: " + s.status().ToString());
        else if (*s != shared) fail("shared mismatch");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors[0]);
  auto list = store_->List(bucket_);
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 65u);
}

}  // namespace
}  // namespace natss3
