// MountFixture implementation.
#include "mount_fixture.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace natss3::test {

bool IsMounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

bool PollUntil(const std::function<bool()>& check, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return check();
}

std::string BytesOf(ObjectStore& store, const std::string& bucket, const std::string& name) {
  auto bytes = store.GetBytes(bucket, name);
  return bytes.ok() ? *bytes : "<error: " + bytes.status().ToString() + ">";
}

std::string Md5Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_md5(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

int WriteThrough(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return errno;
  int err = 0;
  for (size_t done = 0; err == 0 && done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) err = errno;
    else done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 && err == 0) err = errno;
  return err;
}

std::string Natss3fsBinary() {
  const char* other = getenv("NATSS3FS_TEST_BIN");
  return other && *other ? other : NATSS3FS_BIN;
}

void MountFixture::SetUp() {
  if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/fuse not available";
  server_ = NatsServer::Start(server_options_);
  ASSERT_NE(server_, nullptr);
  ConnectOptions options;
  options.servers = server_->url();
  auto store = ConnectNats(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
  BucketConfig config;
  config.bucket = "b";
  ASSERT_TRUE(store_->CreateBucket(config).ok());
  mnt_ = std::make_unique<TempDir>("natss3fs-mnt");
  work_ = std::make_unique<TempDir>("natss3fs-work");
}

bool MountFixture::Mount(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"-f", "--server", server_->url(), "--cache-dir",
                                   work_->File("cache")};
  args.insert(args.end(), extra.begin(), extra.end());
  return MountWith(args);
}

bool MountFixture::MountWith(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env) {
  Subprocess::Options o;
  o.argv = {Natss3fsBinary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.argv.push_back(mnt_->path());
  o.env = env;
  o.stderr_file = work_->File("natss3fs.log");
  o.stdout_file = work_->File("natss3fs.log");
  fs_ = std::make_unique<Subprocess>(o);
  if (!fs_->Start()) return false;
  return PollUntil([&] { return IsMounted(mnt_->path()) || !fs_->running(); },
                   std::chrono::seconds(10)) && IsMounted(mnt_->path());
}

void MountFixture::Unmount() {
  if (mnt_ && IsMounted(mnt_->path())) {
    if (RunCommand({"fusermount3", "-u", mnt_->path()}) != 0) {
      RunCommand({"fusermount3", "-u", "-z", mnt_->path()});
    }
  }
  if (fs_) {
    if (fs_->Wait(std::chrono::seconds(10)) < 0) fs_->Stop();
    fs_.reset();
  }
}

void MountFixture::TearDown() {
  Unmount();
  if (HasFailure() && work_) {
    std::string log = ReadFile(work_->File("natss3fs.log"));
    if (!log.empty()) std::cerr << "natss3fs log:\n" << log.substr(0, 4000) << "\n";
  }
}

}  // namespace natss3::test
