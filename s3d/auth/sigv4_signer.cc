// sigv4_signer.cc: implementation in progress.
#include "auth/sigv4_signer.h"
