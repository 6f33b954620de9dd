// sigv4.cc: implementation in progress.
#include "auth/sigv4.h"
