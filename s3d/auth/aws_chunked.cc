// aws_chunked.cc: implementation in progress.
#include "auth/aws_chunked.h"
