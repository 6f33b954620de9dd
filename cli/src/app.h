// natss3ctl entry point as a library: parse, connect lazily, dispatch, map errors to exit codes.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "natss3/connect_config.h"
#include "natss3/object_store.h"
#include "terminal.h"

namespace natss3::cli {

// State shared by the commands of one invocation.
struct Session {
  const Invocation& inv;
  Console& console;
  EnvLookup env;
  int stdin_fd = 0;   // put without FILE reads here
  int stdout_fd = 1;  // get -O - writes here
  bool color = false;  // ANSI colours in watch output
  std::shared_ptr<ObjectStore> store;  // set by Connect()

  // Connects on first use (commands that need no server never connect).
  Result<ObjectStore*> Connect();
};

// Set by SIGINT/SIGTERM (see InstallSignalHandlers); long-running loops poll it and stop.
bool Interrupted();
void InstallSignalHandlers();

// Runs one invocation and returns the process exit code (errors.h). Never throws.
int Run(const std::vector<std::string>& argv, Console& console, const EnvLookup& env);

// Version string, from the CMake project version.
const char* Version();

}  // namespace natss3::cli
