// The FUSE low-level adapter: mounts, runs the multithreaded session loop over a Filesystem.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "filesystem.h"
#include "options.h"

namespace natss3::fs {

// Makes the Filesystem after the mount exists and the process has daemonized (threads and
// NATS connections do not survive fork). Returns nullptr and sets *error on failure.
using FilesystemFactory = std::function<std::unique_ptr<Filesystem>(std::string* error)>;

// Mounts at command_line.mountpoint, daemonizes unless foreground, serves until unmounted or
// signalled (SIGINT/SIGTERM/SIGHUP), flushes open files, unmounts. Returns the exit code.
int RunFuseMount(const CommandLine& command_line, const FilesystemFactory& make_filesystem);

}  // namespace natss3::fs
