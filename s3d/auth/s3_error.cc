// s3_error.cc: implementation in progress.
#include "auth/s3_error.h"
