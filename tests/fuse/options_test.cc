// natss3fs command line: FUSE's standard options, the connection as natss3ctl resolves it,
// secrets from files and scrubbed from argv.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "options.h"
#include "secrets.h"
#include "support/fake_env.h"
#include "support/temp_dir.h"

namespace natss3::fs {
namespace {

using natss3::test::FakeEnv;
using natss3::test::TempDir;
using natss3::test::WriteFile;
using natss3::test::WriteNatsContext;

// An environment with nothing in it but an empty home: no NATS_*, no contexts.
class CommandLineTest : public ::testing::Test {
 protected:
  Result<CommandLine> Parse(const std::vector<std::string>& args) {
    return ParseCommandLine(args, env_.lookup());
  }
  TempDir home_;
  FakeEnv env_{{{"HOME", home_.path()}}};
};

TEST_F(CommandLineTest, AcceptsFuseStandardOptions) {
  auto cl = Parse({"-f", "-d", "-o", "auto_unmount,allow_root,max_read=131072,noexec",
                   "-o", "fsname=store\\,one,subtype=s3", "/m"});
  ASSERT_TRUE(cl.ok()) << cl.status().ToString();
  EXPECT_TRUE(cl->foreground);
  EXPECT_TRUE(cl->debug);
  EXPECT_TRUE(cl->allow_root);
  EXPECT_FALSE(cl->single_thread);
  EXPECT_EQ(cl->fuse_options, (std::vector<std::string>{"auto_unmount", "max_read=131072",
                                                          "noexec", "fsname=store,one",
                                                          "subtype=s3"}));
  // What libfuse gets: natss3fs's defaults first (the later fsname= wins), escaped.
  EXPECT_EQ(FuseMountOptions(*cl),
            "fsname=natss3fs:all,subtype=natss3fs,allow_root,default_permissions,"
            "auto_unmount,max_read=131072,noexec,fsname=store\\,one,subtype=s3");
  EXPECT_FALSE(Parse({"-o", "max_read=lots", "/m"}).ok());
  EXPECT_FALSE(Parse({"-o", "allow_other,allow_root", "/m"}).ok());
  // The kernel's setuid and device files stay off whatever fstab says.
  auto suid = Parse({"-o", "suid,dev", "/m"});
  ASSERT_TRUE(suid.ok());
  EXPECT_TRUE(suid->fuse_options.empty());
}

// -s is FUSE's single-thread flag; followed by a server (has "://", or is host:port) it is
// still the old --server.
TEST_F(CommandLineTest, DashSIsSingleThreadUnlessAServerFollows) {
  auto alone = Parse({"-s", "/m"});
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  EXPECT_TRUE(alone->single_thread);
  EXPECT_EQ(alone->mountpoint, "/m");
  EXPECT_EQ(alone->connect.servers, "nats://127.0.0.1:4222");
  auto bucket = Parse({"-s", "photos", "/m"});
  ASSERT_TRUE(bucket.ok());
  EXPECT_TRUE(bucket->single_thread);
  EXPECT_EQ(bucket->fs.bucket, "photos");
  for (const std::string url : {"nats://h:1", "localhost:4222", "tls://a:1,b:2"}) {
    auto old = Parse({"-s", url, "/m"});
    ASSERT_TRUE(old.ok()) << url;
    EXPECT_FALSE(old->single_thread) << url;
    EXPECT_EQ(old->connect.servers, url);
    ASSERT_EQ(old->warnings.size(), 1u) << url;
    EXPECT_NE(old->warnings[0].find("deprecated"), std::string::npos);
  }
  auto last = Parse({"/m", "-s"});
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->single_thread);
}

// A close has no caller that would try again: writes wait 30 s for an acknowledgement by
// default (a stream leader election of more than one round), and write_budget= changes it.
TEST_F(CommandLineTest, WritesWaitLongerThanTheRequestBudget) {
  auto plain = Parse({"/m"});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->connect.write_budget, std::chrono::seconds(30));
  auto set = Parse({"-o", "write_budget=45s", "/m"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->connect.write_budget, std::chrono::seconds(45));
  EXPECT_FALSE(Parse({"-o", "write_budget=soon", "/m"}).ok());
}

TEST_F(CommandLineTest, AllowOtherImpliesDefaultPermissions) {
  EXPECT_FALSE(Parse({"/m"})->default_permissions);
  EXPECT_TRUE(Parse({"-o", "allow_other", "/m"})->default_permissions);
  EXPECT_TRUE(Parse({"--allow-other", "/m"})->default_permissions);
  EXPECT_TRUE(Parse({"-o", "allow_root", "/m"})->default_permissions);
  EXPECT_FALSE(Parse({"-o", "allow_other,no_default_permissions", "/m"})->default_permissions);
  EXPECT_FALSE(Parse({"-o", "no_default_permissions,allow_other", "/m"})->default_permissions);
  EXPECT_TRUE(Parse({"-o", "default_permissions", "/m"})->default_permissions);
}

TEST_F(CommandLineTest, TrustMetadataOwnerIsOptIn) {
  EXPECT_FALSE(Parse({"/m"})->fs.trust_metadata_owner);
  EXPECT_TRUE(Parse({"-o", "trust_metadata_owner", "/m"})->fs.trust_metadata_owner);
  EXPECT_TRUE(Parse({"--trust-metadata-owner", "/m"})->fs.trust_metadata_owner);
}

// The same sources, in the same order, as natss3ctl: flag, environment, nats CLI context.
TEST_F(CommandLineTest, ConnectionResolvesLikeNatss3ctl) {
  TempDir config;
  ASSERT_TRUE(WriteNatsContext(
      config.path(), "dev",
      R"({"url":"nats://ctx:4","user":"cu","creds":"/ctx.creds","ca":"/ctx-ca.pem"})"));
  env_.vars["XDG_CONFIG_HOME"] = config.path();
  auto ctx = Parse({"--context", "dev", "/m"});
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->connect.servers, "nats://ctx:4");
  EXPECT_EQ(ctx->connect.user, "cu");
  EXPECT_EQ(ctx->connect.creds_file, "/ctx.creds");
  EXPECT_EQ(ctx->connect.tls_ca, "/ctx-ca.pem");
  EXPECT_TRUE(ctx->connect.retry_on_failed_connect);
  EXPECT_EQ(ctx->connect.name, "natss3fs");
  EXPECT_EQ(Parse({"-o", "context=dev", "/m"})->connect.servers, "nats://ctx:4");
  EXPECT_FALSE(Parse({"--context", "nope", "/m"}).ok());

  env_.vars["NATS_CONTEXT"] = "dev";
  env_.vars["NATS_USER"] = "eu";
  auto env = Parse({"/m"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->connect.servers, "nats://ctx:4");
  EXPECT_EQ(env->connect.user, "eu");

  auto flags = Parse({"--server", "nats://f:1", "--user=fu", "--creds", "/f.creds", "--nkey",
                      "/f.nk", "--tlscert", "/c", "--tlskey", "/k", "--tlsca", "/ca",
                      "--timeout", "2s", "/m"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->connect.servers, "nats://f:1");
  EXPECT_EQ(flags->connect.user, "fu");
  EXPECT_EQ(flags->connect.creds_file, "/f.creds");
  EXPECT_EQ(flags->connect.nkey_seed_file, "/f.nk");
  EXPECT_EQ(flags->connect.tls_cert, "/c");
  EXPECT_EQ(flags->connect.tls_key, "/k");
  EXPECT_EQ(flags->connect.tls_ca, "/ca");
  EXPECT_EQ(flags->connect.timeout, std::chrono::milliseconds(2000));
  EXPECT_TRUE(flags->warnings.empty());

  // The old spellings still work, with a warning each.
  auto old = Parse({"--tls-ca", "/old", "--timeout", "1500", "/m"});
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->connect.tls_ca, "/old");
  EXPECT_EQ(old->connect.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(old->warnings.size(), 2u);
  EXPECT_FALSE(Parse({"--timeout", "soon", "/m"}).ok());

  // fstab lines: -o names, and server lists whose commas are not escaped.
  auto fstab = Parse({"b", "/m", "-o", "server=nats://a:1,nats://b:2,ro,creds=/x,timeout=3s"});
  ASSERT_TRUE(fstab.ok()) << fstab.status().ToString();
  EXPECT_EQ(fstab->connect.servers, "nats://a:1,nats://b:2");
  EXPECT_TRUE(fstab->fs.read_only);
  EXPECT_EQ(fstab->connect.creds_file, "/x");
  EXPECT_EQ(fstab->connect.timeout, std::chrono::milliseconds(3000));
}

TEST_F(CommandLineTest, SecretsFromFilesAndEnvironment) {
  TempDir dir;
  WriteFile(dir.File("pw"), "s3cret\n");
  WriteFile(dir.File("tok"), "t0ken");
  WriteFile(dir.File("empty"), "\n");
  auto files = Parse({"-o", "user=u,password_file=" + dir.File("pw"), "/m"});
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->connect.password, "s3cret");
  EXPECT_TRUE(files->warnings.empty());
  EXPECT_EQ(Parse({"--token-file", dir.File("tok"), "/m"})->connect.token, "t0ken");
  EXPECT_FALSE(Parse({"-o", "password_file=" + dir.File("missing"), "/m"}).ok());
  EXPECT_FALSE(Parse({"-o", "token_file=" + dir.File("empty"), "/m"}).ok());
  env_.vars["NATS_PASSWORD"] = "fromenv";
  env_.vars["NATS_TOKEN"] = "tokenenv";
  auto env = Parse({"/m"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->connect.password, "fromenv");
  EXPECT_EQ(env->connect.token, "tokenenv");
  // On the command line: works, with a warning.
  auto plain = Parse({"-o", "password=pw", "/m"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->connect.password, "pw");
  EXPECT_EQ(plain->warnings.size(), 1u);
}

// argv as the kernel shows it in /proc/PID/cmdline: each argument's own memory.
TEST(ScrubSecretsTest, OverwritesSecretsInPlace) {
  std::vector<std::string> args = {
      "natss3fs", "-o", "allow_other,password=hunter2,ro", "-otoken=abc\\,def,x",
      "--password", "pw1", "--token=tk2", "--server",
      "nats://alice:pa55@h:1,nats://tok3n@h2:2/", "-o", "server=tls://bob:pw9@h:4,password_file=/f",
      "/mnt"};
  std::vector<std::string> storage = args;
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  ScrubSecrets(static_cast<int>(argv.size()), argv.data());
  std::vector<std::string> want = {
      "natss3fs", "-o", "allow_other,password=*******,ro", "-otoken=********,x",
      "--password", "***", "--token=***", "--server",
      "nats://alice:****@h:1,nats://*****@h2:2/", "-o", "server=tls://bob:***@h:4,password_file=/f",
      "/mnt"};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(std::string(argv[i]), want[i]) << i;
    EXPECT_EQ(strlen(argv[i]), args[i].size()) << i;
  }
}

}  // namespace
}  // namespace natss3::fs
