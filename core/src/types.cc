// ObjectInfo helpers.
#include <strings.h>

#include "natss3/types.h"

namespace natss3 {

std::string ObjectInfo::Header(std::string_view key) const {
  for (const auto& [k, v] : meta.headers) {
    if (k.size() == key.size() && ::strncasecmp(k.data(), key.data(), k.size()) == 0 &&
        !v.empty()) {
      return v.front();
    }
  }
  return {};
}

}  // namespace natss3
