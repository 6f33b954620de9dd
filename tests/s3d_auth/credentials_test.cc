// CredentialStore tests: file format, grants, anonymous access, dev credentials.
#include "auth/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace natss3::s3 {
namespace {

constexpr const char* kFile = R"({
  "credentials": [
    {"access_key": "ADMIN", "secret_key": "s1", "read": ["*"], "write": ["*"]},
    {"access_key": "READER", "secret_key": "s2", "read": ["photos"]},
    {"access_key": "WRITER", "secret_key": "s3", "read": [], "write": ["drop"]}
  ],
  "anonymous": {"read": ["public"]}
})";

class TempFile {
 public:
  TempFile() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "s3authXXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

TEST(CredentialsTest, ParsesGrants) {
  Result<CredentialStore> store = CredentialStore::Parse(kFile);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(store->size(), 3u);
  ASSERT_NE(store->Find("READER"), nullptr);
  EXPECT_EQ(store->Find("READER")->secret_key, "s2");
  EXPECT_EQ(store->Find("nobody"), nullptr);

  EXPECT_TRUE(store->CanRead("ADMIN", "anything"));
  EXPECT_TRUE(store->CanWrite("ADMIN", "anything"));
  EXPECT_TRUE(store->CanRead("READER", "photos"));
  EXPECT_FALSE(store->CanRead("READER", "photos2"));
  EXPECT_FALSE(store->CanWrite("READER", "photos"));
  EXPECT_TRUE(store->CanWrite("WRITER", "drop"));
  EXPECT_FALSE(store->CanRead("WRITER", "drop"));  // write does not imply read
  EXPECT_FALSE(store->CanRead("nobody", "photos"));

  EXPECT_TRUE(store->AnonymousEnabled());
  EXPECT_TRUE(store->CanRead("", "public"));
  EXPECT_FALSE(store->CanWrite("", "public"));
  EXPECT_FALSE(store->CanRead("", "photos"));
}

TEST(CredentialsTest, AnonymousIsOffByDefault) {
  Result<CredentialStore> store =
      CredentialStore::Parse(R"({"credentials":[{"access_key":"a","secret_key":"b"}]})");
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(store->AnonymousEnabled());
  EXPECT_FALSE(store->CanRead("", "x"));
  EXPECT_FALSE(store->CanRead("a", "x"));  // no grants listed
}

TEST(CredentialsTest, RejectsMalformedFiles) {
  for (const char* text : {
           "not json", "[]", R"({"credentials": {}})",
           R"({"credentials":[{"access_key":"","secret_key":"x"}]})",
           R"({"credentials":[{"access_key":"a","secret_key":""}]})",
           R"({"credentials":[{"access_key":"a","secret_key":"x","read":"*"}]})",
           R"({"credentials":[{"access_key":"a","secret_key":"x"},{"access_key":"a","secret_key":"y"}]})",
       }) {
    Result<CredentialStore> store = CredentialStore::Parse(text);
    EXPECT_FALSE(store.ok()) << text;
    if (!store.ok()) {
      EXPECT_EQ(store.status().code(), Code::kInvalidArgument) << text;
    }
  }
}

TEST(CredentialsTest, SaveAndLoadRoundTripWithPrivateMode) {
  TempFile dir;
  Result<CredentialStore> store = CredentialStore::Parse(kFile);
  ASSERT_TRUE(store.ok());
  std::string path = dir.path("creds.json");
  ASSERT_TRUE(store->SaveFile(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<CredentialStore> loaded = CredentialStore::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->ToJson(), store->ToJson());
  EXPECT_TRUE(loaded->CanRead("", "public"));
}

TEST(CredentialsTest, LoadFileErrors) {
  TempFile dir;
  EXPECT_EQ(CredentialStore::LoadFile(dir.path("missing.json")).status().code(), Code::kNotFound);
  std::ofstream(dir.path("bad.json")) << "{";
  EXPECT_EQ(CredentialStore::LoadFile(dir.path("bad.json")).status().code(),
            Code::kInvalidArgument);
}

TEST(CredentialsTest, DevCredentialsAreRandomAndPersisted) {
  Credentials a = GenerateDevCredentials();
  Credentials b = GenerateDevCredentials();
  EXPECT_EQ(a.access_key.size(), 20u);
  EXPECT_EQ(a.access_key.rfind("NATS", 0), 0u);
  EXPECT_EQ(a.secret_key.size(), 40u);
  EXPECT_NE(a.access_key, b.access_key);
  EXPECT_NE(a.secret_key, b.secret_key);

  TempFile dir;
  std::string path = dir.path("dev.json");
  bool created = false;
  Result<CredentialStore> first = LoadOrCreateDevCredentials(path, &created);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(created);
  ASSERT_EQ(first->size(), 1u);
  Result<CredentialStore> second = LoadOrCreateDevCredentials(path, &created);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(second->ToJson(), first->ToJson());  // the same keys, not new ones
}

}  // namespace
}  // namespace natss3::s3
