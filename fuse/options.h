// natss3fs command line: flags and -o mount options (fstab style) -> FsOptions + ConnectOptions.
#pragma once

#include <string>
#include <vector>

#include "fs_types.h"
#include "natss3/nats_store.h"
#include "natss3/status.h"

namespace natss3::fs {

struct CommandLine {
  FsOptions fs;
  ConnectOptions connect;
  std::string mountpoint;
  bool foreground = false;
  bool debug = false;          // libfuse request tracing (implies foreground)
  bool allow_other = false;
  bool default_permissions = false;
  bool help = false;
  bool version = false;
  bool dry_run = false;        // --dry-run (mount -f): validate everything offline, do not mount
  int max_threads = 16;        // FUSE worker threads
  // Kernel readahead of the mount (its BDI read_ahead_kb; needs root, else the kernel's
  // default of 128 KiB stays). Also bounds the size of read requests.
  uint32_t readahead_kb = 1024;
};

// Parses the arguments after argv[0]:
//   natss3fs [flags] [-o opt[,opt...]] [SOURCE] MOUNTPOINT
// SOURCE (what mount(8) passes for fstab lines) is a bucket name, or "all"/"natss3fs"/"none"
// for every bucket. Unknown flags or options are kInvalidArgument naming them; generic mount
// options that mean nothing here (dev, suid, _netdev, nofail, defaults, x-*, ...) are ignored.
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// "512M", "2G", "1048576" -> bytes.
Result<uint64_t> ParseByteSize(const std::string& text);

std::string UsageText();

}  // namespace natss3::fs
