// Crash points (see natss3/crash_point.h).
#include "natss3/crash_point.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <string>

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

namespace {
std::atomic<int> fault_left{0};
std::atomic<const char*> fault_point{nullptr};
}  // namespace

void ArmFaultPoint(const char* point, int times) {
  fault_left.store(0);
  fault_point.store(point);
  fault_left.store(times);
}

namespace {
// NATSS3_FAULT_AT="<point>" or "<point>:<n>" arms a fault point for the first n calls (default
// 1) from the start: the same seam for tests that run a binary.
const bool fault_from_env = [] {
  const char* env = std::getenv("NATSS3_FAULT_AT");
  if (!env || !*env) return false;
  static std::string point = env;
  int times = 1;
  if (auto colon = point.rfind(':'); colon != std::string::npos) {
    times = std::atoi(point.c_str() + colon + 1);
    point.resize(colon);
  }
  ArmFaultPoint(point.c_str(), times);
  return true;
}();
}  // namespace

bool FaultPoint(const char* point) {
  if (fault_left.load(std::memory_order_relaxed) <= 0) return false;
  const char* armed = fault_point.load();
  if (armed == nullptr || std::strcmp(armed, point) != 0) return false;
  return fault_left.fetch_sub(1) > 0;
}

namespace {
std::atomic<const char*> held_point{nullptr};
}  // namespace

void ArmFaultHold(const char* point) { held_point.store(point); }

bool FaultHeld(const char* point) {
  const char* held = held_point.load(std::memory_order_relaxed);
  return held != nullptr && std::strcmp(held, point) == 0;
}

}  // namespace natss3
