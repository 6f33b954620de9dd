// credentials.cc: implementation in progress.
#include "auth/credentials.h"
