// The one place where natss3ctl turns a Status into stderr text and a process exit code.
#pragma once

#include <ostream>

#include "natss3/status.h"

namespace natss3::cli {

// Documented in `natss3ctl --help` and cli/README.md.
enum ExitCode : int {
  kExitOk = 0,       // success, including a prompt answered "no"
  kExitFailure = 1,  // anything that went wrong while running a valid command
  kExitUsage = 2,    // the command line itself is wrong (detected before contacting NATS)
};

// Prints "natss3ctl: error: <message>" (plus a hint where one helps) and returns the exit code.
int ReportUsageError(const Status& status, std::ostream& err);
int ReportFailure(const Status& status, std::ostream& err);

}  // namespace natss3::cli
