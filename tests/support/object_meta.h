// Meta(name): an ObjectMeta with just a name, for tests that put objects through the store.
#pragma once

#include <string>

#include "natss3/types.h"

namespace natss3::test {

inline ObjectMeta Meta(const std::string& name) {
  ObjectMeta meta;
  meta.name = name;
  return meta;
}

}  // namespace natss3::test
