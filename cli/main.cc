// natss3ctl: the NATS JetStream Object Store from the command line. All logic is in natss3_cli.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app.h"
#include "errors.h"
#include "natss3/service.h"

int main(int argc, char** argv) {
  try {
    natss3::cli::InstallSignalHandlers();
    // The library's warnings go to stderr: stdout carries only what the command prints.
    // NATSS3_LOG_LEVEL (as for natss3d) shows more of what the core does, e.g. debug while a
    // cluster fails over; an unknown level keeps "warn" and says so.
    const char* env_level = std::getenv("NATSS3_LOG_LEVEL");
    const std::string wanted = env_level ? env_level : "";
    const bool unknown_level = !wanted.empty() && !natss3::IsLogLevel(wanted);
    natss3::SetUpLogging("natss3ctl", wanted.empty() || unknown_level ? "warn" : wanted,
                         natss3::LogTarget::kStderr);
    if (unknown_level)
      std::cerr << "natss3ctl: warning: NATSS3_LOG_LEVEL=" << wanted << " is not one of "
                << natss3::kLogLevels << "; using warn\n";
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args(argv, argv + argc);
    natss3::cli::Console console = natss3::cli::ProcessConsole();
    return natss3::cli::Run(args, console, natss3::ProcessEnv());
  } catch (...) {
    std::cerr << "natss3ctl: error: unexpected error\n";
    return natss3::cli::kExitFailure;
  }
}
