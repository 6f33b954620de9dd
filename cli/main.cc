// natss3ctl: the NATS JetStream Object Store from the command line. All logic is in natss3_cli.
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
    natss3::SetUpLogging("natss3ctl", "warn", natss3::LogTarget::kStderr);
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args(argv, argv + argc);
    natss3::cli::Console console = natss3::cli::ProcessConsole();
    return natss3::cli::Run(args, console, natss3::ProcessEnv());
  } catch (...) {
    std::cerr << "natss3ctl: error: unexpected error\n";
    return natss3::cli::kExitFailure;
  }
}
