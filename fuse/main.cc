// natss3fs: mount NATS JetStream object-store buckets as a filesystem.
#include <malloc.h>
#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <filesystem>

#include "fuse_adapter.h"
#include "natss3/nats_store.h"
#include "natss3/version.h"
#include "options.h"
#include "secrets.h"

namespace {

// Fails fast, before daemonizing, when the server or the bucket is not there.
int CheckConnection(const natss3::fs::CommandLine& cl) {
  natss3::ConnectOptions once = cl.connect;
  once.retry_on_failed_connect = false;
  once.gc_interval = std::chrono::milliseconds(0);  // a look, not the mount's collector
  auto store = natss3::ConnectNats(once);
  if (!store.ok()) {
    fprintf(stderr, "natss3fs: %s\n", store.status().ToString().c_str());
    return 1;
  }
  if (!cl.fs.bucket.empty()) {
    auto status = (*store)->GetBucketStatus(cl.fs.bucket);
    if (!status.ok()) {
      fprintf(stderr, "natss3fs: bucket %s: %s\n", cl.fs.bucket.c_str(),
              status.status().ToString().c_str());
      return 1;
    }
  }
  return 0;
}

int Run(int argc, char** argv) {
  auto parsed = natss3::fs::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  // At once, parsed or not: every local user can read /proc/PID/cmdline for as long as the
  // mount lives.
  natss3::fs::ScrubSecrets(argc, argv);
  if (!parsed.ok()) {
    fprintf(stderr, "natss3fs: %s\n%s", parsed.status().message().c_str(),
            natss3::fs::UsageText().c_str());
    return 2;
  }
  natss3::fs::CommandLine cl = std::move(parsed).value();
  for (const auto& warning : cl.warnings) fprintf(stderr, "natss3fs: warning: %s\n", warning.c_str());
  if (cl.help) {
    printf("%s", natss3::fs::UsageText().c_str());
    return 0;
  }
  if (cl.version) {
    printf("natss3fs %s\n", natss3::kVersion);
    return 0;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(cl.mountpoint, ec)) {
    fprintf(stderr, "natss3fs: mount point %s is not a directory\n", cl.mountpoint.c_str());
    return 1;
  }
  if (cl.dry_run) return 0;  // mount -f: everything but connecting and mounting
  std::filesystem::create_directories(cl.fs.cache_dir, ec);
  if (ec) {
    fprintf(stderr, "natss3fs: cache dir %s: %s\n", cl.fs.cache_dir.c_str(), ec.message().c_str());
    return 1;
  }
  if (int code = CheckConnection(cl); code != 0) return code;
  return natss3::fs::RunFuseMount(cl, [&cl](std::string* error)
                                          -> std::unique_ptr<natss3::fs::Filesystem> {
    auto store = natss3::ConnectNats(cl.connect);
    if (!store.ok()) {
      *error = store.status().ToString();
      return nullptr;
    }
    return std::make_unique<natss3::fs::Filesystem>(std::move(store).value(), cl.fs);
  });
}

}  // namespace

int main(int argc, char** argv) {
  // Transfers allocate and free 128 KiB chunk buffers at a high rate from many threads; glibc's
  // defaults hand that memory back (trim, madvise) and fault it in again each time, which
  // showed as ~20% of the CPU of a sequential read. Keep it: fewer arenas, no trimming below
  // 16 MiB, no mmap for chunk-sized blocks.
  mallopt(M_ARENA_MAX, 4);
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    fprintf(stderr, "natss3fs: fatal: %s\n", e.what());
  } catch (...) {
    fprintf(stderr, "natss3fs: fatal error\n");
  }
  return 1;
}
