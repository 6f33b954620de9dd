// natss3d: S3-compatible daemon over the NATS JetStream Object Store.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "natss3/version.h"
#include "s3d/config.h"
#include "s3d/daemon.h"

extern char** environ;

int main(int argc, char** argv) {
  try {
    std::vector<std::string> environment;
    for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
    auto config = natss3::s3d::ParseConfig(argc, argv, environment);
    if (!config.ok()) {
      std::fprintf(stderr, "natss3d: %s\n", config.status().message().c_str());
      return 2;
    }
    if (config->version) {
      std::printf("natss3d %s\n", natss3::kVersion);
      return 0;
    }
    if (config->help) {
      std::printf("%s", config->help_text.c_str());
      return 0;
    }
    return natss3::s3d::RunDaemon(*config, [&] {
      return natss3::s3d::ParseConfig(argc, argv, environment);
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "natss3d: fatal: %s\n", e.what());
    return 1;
  }
}
