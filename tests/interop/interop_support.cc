// Interop test support: reference-tool runner and the per-test fixture.
#include "interop_support.h"

#include <atomic>
#include <thread>

namespace natss3::interop {

namespace {
std::atomic<int> g_run_counter{0};

Json ParseLastJsonLine(const std::string& out) {
  auto lines = SplitLines(out);
  if (lines.empty()) return Json();
  return Json::parse(lines.back(), nullptr, /*allow_exceptions=*/false);
}
}  // namespace

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;  // an unterminated last line is still being written
    if (nl > start) lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

RefTool::RefTool(Kind kind, std::string url, std::string work_dir)
    : kind_(kind), url_(std::move(url)), work_dir_(std::move(work_dir)) {}

std::vector<std::string> RefTool::Argv(const std::string& cmd, const Flags& flags,
                                       const std::vector<std::string>& bool_flags) const {
  std::vector<std::string> argv;
  if (kind_ == Kind::kGo) {
    argv = {NATSS3_GO_OSTOOL, cmd};
  } else {
    argv = {NATSS3_NODE, NATSS3_JS_OSTOOL, cmd};
  }
  for (const auto& [k, v] : flags) {
    argv.push_back("--" + k);
    argv.push_back(v);
  }
  for (const auto& b : bool_flags) argv.push_back("--" + b);
  return argv;
}

ToolResult RefTool::Run(const std::string& cmd, const Flags& flags,
                        const std::vector<std::string>& bool_flags,
                        std::chrono::milliseconds timeout) const {
  int n = g_run_counter++;
  std::string out_file = work_dir_ + "/run" + std::to_string(n) + ".out";
  std::string err_file = work_dir_ + "/run" + std::to_string(n) + ".err";
  test::Subprocess::Options o;
  o.argv = Argv(cmd, flags, bool_flags);
  o.env = {{"NATS_URL", url_}};
  o.stdout_file = out_file;
  o.stderr_file = err_file;
  test::Subprocess p(o);
  ToolResult r;
  if (!p.Start()) {
    r.err = "cannot start " + o.argv[0];
    return r;
  }
  r.rc = p.Wait(timeout);
  if (r.rc < 0) p.Stop(std::chrono::milliseconds(1000));
  r.out = test::ReadFile(out_file);
  r.err = test::ReadFile(err_file);
  if (r.rc < 0) r.err += "\n(timed out)";
  r.json = ParseLastJsonLine(r.out);
  return r;
}

Json RefTool::Ok(const std::string& cmd, const Flags& flags,
                 const std::vector<std::string>& bool_flags) const {
  ToolResult r = Run(cmd, flags, bool_flags);
  if (r.rc != 0 || r.json.is_discarded() || r.json.is_null()) {
    std::string args;
    for (const auto& [k, v] : flags) args += " --" + k + " '" + v + "'";
    ADD_FAILURE() << name() << " " << cmd << args << " failed (rc " << r.rc << "): " << r.err
                  << "\nstdout: " << r.out.substr(0, 2000);
    return Json();
  }
  return r.json;
}

BackgroundTool::BackgroundTool(const RefTool& tool, const std::string& out_file,
                               const std::string& cmd, const Flags& flags,
                               const std::vector<std::string>& bool_flags)
    : out_file_(out_file), err_file_(out_file + ".err") {
  test::Subprocess::Options o;
  o.argv = tool.Argv(cmd, flags, bool_flags);
  o.env = {{"NATS_URL", tool.url()}};
  o.stdout_file = out_file_;
  o.stderr_file = err_file_;
  process_ = test::Subprocess(o);
  if (!process_.Start()) ADD_FAILURE() << "cannot start " << o.argv[0];
}

std::vector<std::string> BackgroundTool::WaitForLines(size_t lines,
                                                      std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto got = SplitLines(test::ReadFile(out_file_));
    if (got.size() >= lines) return got;
    if (std::chrono::steady_clock::now() > deadline || !process_.running()) {
      got = SplitLines(test::ReadFile(out_file_));
      if (got.size() >= lines) return got;
      ADD_FAILURE() << "background tool: wanted " << lines << " lines, got " << got.size()
                    << "\nstdout:\n" << Stdout() << "\nstderr:\n" << Stderr();
      return got;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string BackgroundTool::Stdout() const { return test::ReadFile(out_file_); }
std::string BackgroundTool::Stderr() const { return test::ReadFile(err_file_); }

std::unique_ptr<test::NatsServer> InteropTest::server_;

void InteropTest::SetUpTestSuite() {
  if (!server_) server_ = test::NatsServer::Start();
}

void InteropTest::TearDownTestSuite() { server_.reset(); }

void InteropTest::SetUp() {
  ASSERT_NE(server_, nullptr) << "nats-server did not start";
  ConnectOptions options;
  options.servers = server_->url();
  options.timeout = std::chrono::milliseconds(10000);
  auto store = ConnectNats(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = *store;
  dir_ = std::make_unique<test::TempDir>("natss3-interop");
  go_ = std::make_unique<RefTool>(RefTool::Kind::kGo, server_->url(), dir_->path());
  js_ = std::make_unique<RefTool>(RefTool::Kind::kJs, server_->url(), dir_->path());
}

std::string InteropTest::Bucket(const std::string& suffix) const {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string raw = std::string(info->test_suite_name()) + "_" + info->name();
  if (!suffix.empty()) raw += "_" + suffix;
  std::string out;
  for (char c : raw) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  if (out.size() > 60) out = out.substr(out.size() - 60);
  return out;
}

std::string InteropTest::NewBucket(const std::string& suffix) {
  BucketConfig config;
  config.bucket = Bucket(suffix);
  auto st = store_->CreateBucket(config);
  EXPECT_TRUE(st.ok()) << "CreateBucket " << config.bucket << ": " << StatusText(st);
  return config.bucket;
}

std::string InteropTest::WriteScratch(const std::string& file, const std::string& data) {
  std::string path = dir_->File(file);
  EXPECT_TRUE(test::WriteFile(path, data)) << path;
  return path;
}

ObjectInfo InteropTest::CorePut(const std::string& bucket, const std::string& name,
                                const std::string& data, const ObjectMeta& extra,
                                const PutOptions& options) {
  ObjectMeta meta = extra;
  meta.name = name;
  auto r = store_->PutBytes(bucket, meta, data, options);
  EXPECT_TRUE(r.ok()) << "core put " << bucket << " > " << name << ": " << StatusText(r);
  return r.ok() ? *r : ObjectInfo{};
}

std::string InteropTest::CoreGet(const std::string& bucket, const std::string& name) {
  auto r = store_->GetBytes(bucket, name);
  EXPECT_TRUE(r.ok()) << "core get " << bucket << " > " << name << ": " << StatusText(r);
  return r.ok() ? *r : std::string();
}

BucketStatus InteropTest::CoreStatus(const std::string& bucket) {
  auto r = store_->GetBucketStatus(bucket);
  EXPECT_TRUE(r.ok()) << "core status " << bucket << ": " << StatusText(r);
  return r.ok() ? *r : BucketStatus{};
}

Json InteropTest::RawMeta(const std::string& bucket, const std::string& name) {
  return go_->Ok("raw", {{"bucket", bucket}, {"name", name}});
}

bool InteropTest::SubjectEmpty(const std::string& bucket, const std::string& subject) {
  ToolResult r = go_->Run("raw", {{"bucket", bucket}, {"subject", subject}});
  if (r.rc == 0) return false;
  EXPECT_NE(r.err.find("message not found"), std::string::npos) << r.err;
  return true;
}

}  // namespace natss3::interop

namespace natss3::interop {

std::string ExpectedDigest(const std::string& data) {
  std::string hex = test::Sha256Hex(data);
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    uint32_t v = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8) | uint8_t(raw[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (raw.size() - i == 2) {
    uint32_t v = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8);
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  } else if (raw.size() - i == 1) {
    uint32_t v = uint8_t(raw[i]) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  }
  return "SHA-256=" + out;
}

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  if (!object.is_object()) return keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

}  // namespace natss3::interop
