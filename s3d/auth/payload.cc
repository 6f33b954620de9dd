// payload.cc: implementation in progress.
#include "auth/payload.h"
