// Crash points (see natss3/crash_point.h).
#include "natss3/crash_point.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <atomic>

namespace natss3 {
namespace {

struct Armed {
  std::string point;
  int nth = 1;
  std::atomic<int> hits{0};
};

Armed* Load() {
  const char* env = std::getenv("NATSS3_CRASH_AT");
  if (!env || !*env) return nullptr;
  auto* a = new Armed;  // lives for the whole process
  std::string spec = env;
  auto colon = spec.rfind(':');
  if (colon != std::string::npos) {
    a->nth = std::atoi(spec.c_str() + colon + 1);
    spec.resize(colon);
  }
  a->point = spec;
  return a;
}

}  // namespace

void CrashPoint(const char* point) {
  static Armed* armed = Load();
  if (!armed || armed->point != point) return;
  if (armed->hits.fetch_add(1) + 1 == armed->nth) ::raise(SIGKILL);
}

}  // namespace natss3
