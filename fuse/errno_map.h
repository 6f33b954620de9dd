// The one place where natss3::Status becomes an errno for natss3fs.
#pragma once

#include "natss3/status.h"

namespace natss3::fs {

// What the failing call was doing: the same Status code means different things to FUSE
// depending on context (kFailedPrecondition is a sealed bucket for a write, a non-empty
// bucket for rmdir).
enum class OpKind { kRead, kWrite, kNamespace, kRmdir, kMkdir };

// Returns a positive errno; 0 for OK.
int ErrnoFor(const Status& status, OpKind op);

}  // namespace natss3::fs
