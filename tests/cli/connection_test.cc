// Unit tests of connection-setting resolution: flags, environment and nats CLI contexts.
#include "natss3/connect_config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/fake_env.h"
#include "support/temp_dir.h"

namespace natss3::cli {
namespace {

using natss3::test::FakeEnv;
using natss3::test::TempDir;
using natss3::test::WriteFile;
using natss3::test::WriteNatsContext;

TEST(ConnectionTest, DefaultsWithoutAnything) {
  TempDir home;
  FakeEnv env{{{"HOME", home.path()}}};
  auto options = ResolveConnectOptions({}, env.lookup());
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->servers, "nats://127.0.0.1:4222");
  EXPECT_EQ(options->timeout, std::chrono::milliseconds(5000));
}

// A natss3d on this host leaves its embedded server's address and credentials in its data
// directory: with nothing else naming a server, they are used; anything explicit wins.
TEST(ConnectionTest, LocalNatss3dContextIsTheFallback) {
  TempDir home, data;
  WriteFile(data.File("nats-context.json"),
            R"({"url":"nats://127.0.0.1:4999","user":"natss3","password":"pw"})");
  FakeEnv env{{{"HOME", home.path()}, {"NATSS3_DATA_DIR", data.path()}}};
  auto options = ResolveConnectOptions({}, env.lookup());
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->servers, "nats://127.0.0.1:4999");
  EXPECT_EQ(options->user, "natss3");
  EXPECT_EQ(options->password, "pw");

  env.vars["NATS_URL"] = "nats://elsewhere:4222";
  options = ResolveConnectOptions({}, env.lookup());
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->servers, "nats://elsewhere:4222");
  EXPECT_EQ(options->password, "") << "the local context's secret must not go elsewhere";

  env.vars.erase("NATS_URL");
  ConnectionFlags flags;
  flags.server = "nats://flag:4222";
  options = ResolveConnectOptions(flags, env.lookup());
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->servers, "nats://flag:4222");
  EXPECT_EQ(options->password, "");

  // The user's default data directory is a candidate too.
  FakeEnv plain{{{"HOME", home.path()}}};
  std::filesystem::create_directories(home.path() + "/.local/share/natss3");
  WriteFile(home.path() + "/.local/share/natss3/nats-context.json",
            R"({"url":"nats://127.0.0.1:5000","user":"u","password":"q"})");
  options = ResolveConnectOptions({}, plain.lookup());
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->servers, "nats://127.0.0.1:5000");
}

TEST(ConnectionTest, ParsesContextFile) {
  FakeEnv env{{{"HOME", "/home/u"}}};
  auto ctx = ParseNatsContext(
      R"({"description":"d","url":"nats://x:4222","user":"u","password":"p","creds":"~/c.creds",
          "nkey":"","cert":"/c.pem","key":"/k.pem","ca":"/ca.pem","jetstream_domain":"hub",
          "jetstream_api_prefix":"","color_scheme":"","unknown":{"a":1}})",
      "prod", env.lookup());
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->url, "nats://x:4222");
  EXPECT_EQ(ctx->user, "u");
  EXPECT_EQ(ctx->creds, "/home/u/c.creds");
  EXPECT_EQ(ctx->ca, "/ca.pem");
  EXPECT_EQ(ctx->js_domain, "hub");
  EXPECT_FALSE(ParseNatsContext("{not json", "bad", env.lookup()).ok());
}

TEST(ConnectionTest, SelectedContextFromContextTxt) {
  TempDir home;
  ASSERT_TRUE(WriteNatsContext(home.File(".config"), "prod", R"({"url":"nats://ctx:1","token":"t"})"));
  ASSERT_TRUE(WriteFile(home.File(".config/nats/context.txt"), "prod\n"));
  FakeEnv env{{{"HOME", home.path()}}};
  auto options = ResolveConnectOptions({}, env.lookup());
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->servers, "nats://ctx:1");
  EXPECT_EQ(options->token, "t");

  // Precedence: NATS_URL over the context; the flag over both.
  env.vars["NATS_URL"] = "nats://env:2";
  EXPECT_EQ(ResolveConnectOptions({}, env.lookup())->servers, "nats://env:2");
  ConnectionFlags flags;
  flags.server = "nats://flag:3";
  flags.token = "ft";
  EXPECT_EQ(ResolveConnectOptions(flags, env.lookup())->servers, "nats://flag:3");
  EXPECT_EQ(ResolveConnectOptions(flags, env.lookup())->token, "ft");
}

TEST(ConnectionTest, ExplicitContextAndXdg) {
  TempDir xdg;
  ASSERT_TRUE(WriteNatsContext(xdg.path(), "dev", R"({"url":"nats://dev:4"})"));
  FakeEnv env{{{"XDG_CONFIG_HOME", xdg.path()}, {"HOME", "/nonexistent"}}};
  ConnectionFlags flags;
  flags.context = "dev";
  EXPECT_EQ(ResolveConnectOptions(flags, env.lookup())->servers, "nats://dev:4");
  env.vars["NATS_CONTEXT"] = "dev";
  EXPECT_EQ(ResolveConnectOptions({}, env.lookup())->servers, "nats://dev:4");

  flags.context = "missing";
  auto missing = ResolveConnectOptions(flags, env.lookup());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("unknown context \"missing\""), std::string::npos);
  flags.context = "../etc/passwd";
  EXPECT_EQ(ResolveConnectOptions(flags, env.lookup()).status().code(), Code::kInvalidArgument);
}

TEST(ConnectionTest, TimeoutFromEnvAndFlag) {
  TempDir home;
  FakeEnv env{{{"HOME", home.path()}, {"NATS_TIMEOUT", "10s"}}};
  EXPECT_EQ(ResolveConnectOptions({}, env.lookup())->timeout, std::chrono::milliseconds(10000));
  ConnectionFlags flags;
  flags.timeout = std::chrono::milliseconds(300);
  auto options = ResolveConnectOptions(flags, env.lookup());
  EXPECT_EQ(options->timeout, std::chrono::milliseconds(300));
  EXPECT_LE(options->connect_timeout, std::chrono::milliseconds(300));
  env.vars["NATS_TIMEOUT"] = "soon";
  EXPECT_FALSE(ResolveConnectOptions({}, env.lookup()).ok());
}

}  // namespace
}  // namespace natss3::cli
