// natss3fs command line: flags and -o mount options (fstab style) -> FsOptions + ConnectOptions.
#pragma once

#include <string>
#include <vector>

#include "fs_types.h"
#include "natss3/connect_config.h"
#include "natss3/nats_store.h"
#include "natss3/status.h"

namespace natss3::fs {

struct CommandLine {
  FsOptions fs;
  // Resolved like natss3ctl's (natss3/connect_config.h): flags, then NATS_* variables, then
  // the nats CLI context, then a local natss3d's context.
  ConnectOptions connect;
  std::string mountpoint;
  bool foreground = false;
  bool debug = false;          // libfuse request tracing (implies foreground)
  bool single_thread = false;  // FUSE's -s: one request at a time
  bool allow_other = false;
  bool allow_root = false;
  // On with allow_other or allow_root unless -o no_default_permissions: the kernel then checks
  // the modes and owners natss3fs shows, as for a local file system.
  bool default_permissions = false;
  // Further options for libfuse and the kernel, in -o syntax (auto_unmount, max_read=N,
  // noexec, fsname=, subtype=, ...): libfuse parses them again when mounting.
  std::vector<std::string> fuse_options;
  uint32_t max_read = 0;       // -o max_read=N (0: libfuse's default); init must say it too
  bool help = false;
  bool version = false;
  bool dry_run = false;        // --dry-run (mount -f): validate everything offline, do not mount
  int max_threads = 16;        // FUSE worker threads
  // Kernel readahead of the mount (its BDI read_ahead_kb; needs root, else the kernel's
  // default of 128 KiB stays). Also bounds the size of read requests.
  uint32_t readahead_kb = 1024;
  // Deprecated spellings and unsafe choices met while parsing, for stderr.
  std::vector<std::string> warnings;
};

// Parses the arguments after argv[0] with libfuse's fuse_opt:
//   natss3fs [flags] [-o opt[,opt...]] [SOURCE] MOUNTPOINT
// SOURCE (what mount(8) passes for fstab lines) is a bucket name, or "all"/"natss3fs"/"none"
// for every bucket. Every flag "--name VALUE" is also "-o name=VALUE" (dashes as
// underscores). Unknown flags or options are kInvalidArgument naming them; generic mount
// options that mean nothing here (dev, suid, _netdev, nofail, defaults, x-*, ...) are ignored.
// `-s` is FUSE's single-thread flag, unless the next argument looks like a NATS server
// (it has "://" or is host:port): then it is the deprecated spelling of --server.
// The NATS connection is resolved with `env` (ResolveConnectOptions), secrets files are read.
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args,
                                     const EnvLookup& env = ProcessEnv());

// The -o list libfuse mounts with (fsname, subtype, allow_other, default_permissions, then
// fuse_options), escaped for libfuse's parser.
std::string FuseMountOptions(const CommandLine& command_line);

// "512M", "2G", "1048576" -> bytes.
Result<uint64_t> ParseByteSize(const std::string& text);

std::string UsageText();

}  // namespace natss3::fs
