// natss3ctl: the NATS JetStream Object Store from the command line. All logic is in natss3_cli.
#include <iostream>
#include <string>
#include <vector>

#include "app.h"
#include "errors.h"

int main(int argc, char** argv) {
  try {
    natss3::cli::InstallSignalHandlers();
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args(argv, argv + argc);
    natss3::cli::Console console = natss3::cli::ProcessConsole();
    return natss3::cli::Run(args, console, natss3::ProcessEnv());
  } catch (...) {
    std::cerr << "natss3ctl: error: unexpected error\n";
    return natss3::cli::kExitFailure;
  }
}
