// FakeEnv: an environment for code that reads its settings through an EnvLookup (connection
// flags, NATS_* variables, nats CLI contexts), so tests neither read nor change the process's.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "natss3/connect_config.h"
#include "support/temp_dir.h"

namespace natss3::test {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

// Writes the nats CLI context `name` (its JSON) below `config_dir`, which stands for
// $XDG_CONFIG_HOME (or $HOME/.config): <config_dir>/nats/context/<name>.json.
inline bool WriteNatsContext(const std::string& config_dir, const std::string& name,
                             const std::string& json) {
  std::error_code error;
  std::filesystem::create_directories(config_dir + "/nats/context", error);
  return WriteFile(config_dir + "/nats/context/" + name + ".json", json);
}

}  // namespace natss3::test
