// NATS secrets of natss3fs: read from files, and scrubbed from the process's own argv.
#pragma once

#include <string>

#include "natss3/status.h"

namespace natss3::fs {

// The secret a file holds (password_file=, token_file=): its text less trailing line breaks
// and spaces. kInvalidArgument when it cannot be read or is empty.
Result<std::string> ReadSecretFile(const std::string& path);

// Overwrites with '*', in place, what argv says after password= and token= (in -o lists,
// also escaped ones), after --password and --token (either form), and the password of a
// URL's user:password@ (or a token@) in server lists: /proc/PID/cmdline, and so ps, show the
// argv memory itself. Arguments keep their lengths; argv[0] is left alone.
void ScrubSecrets(int argc, char** argv);

}  // namespace natss3::fs
