// checksums.cc: implementation in progress.
#include "auth/checksums.h"
