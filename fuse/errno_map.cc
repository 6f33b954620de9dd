// Status -> errno for natss3fs (the only such mapping; see errno_map.h).
#include "errno_map.h"

#include <cerrno>

namespace natss3::fs {

int ErrnoFor(const Status& status, OpKind op) {
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kInvalidArgument:
      // The core rejects names whose meta subject is too long with this code.
      if (status.detail() == Detail::kNameTooLong) return ENAMETOOLONG;
      return EINVAL;
    case Code::kNotFound:
      return ENOENT;
    case Code::kAlreadyExists:
      return EEXIST;
    case Code::kFailedPrecondition:
      if (status.detail() == Detail::kObjectLocked) return EPERM;
      // A conditional write that kept losing to other writers (ModifyMeta gives up after a
      // bounded number of attempts): busy, not a sealed bucket.
      if (status.detail() == Detail::kWrongLastSequence) return EBUSY;
      if (op == OpKind::kRmdir) return ENOTEMPTY;
      if (op == OpKind::kRead) return EIO;
      return EROFS;  // sealed bucket
    case Code::kPermissionDenied:
      // Object lock forbids the change whoever asks (POSIX: an immutable file).
      if (status.detail() == Detail::kObjectLocked) return EPERM;
      return EACCES;
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
    case Code::kDataLoss:
    case Code::kCancelled:
    case Code::kInternal:
      return EIO;
    case Code::kResourceExhausted:
      return op == OpKind::kRead ? EIO : ENOSPC;
    case Code::kUnimplemented:
      return ENOTSUP;
  }
  return EIO;
}

}  // namespace natss3::fs
