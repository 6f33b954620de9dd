// TempDir: a unique temporary directory removed (recursively) on destruction.
#pragma once

#include <string>

namespace natss3::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "natss3-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes bytes to a file; returns false on error.
bool WriteFile(const std::string& path, const std::string& data);
// Reads a whole file; empty on error.
std::string ReadFile(const std::string& path);
// Deterministic pseudo-random bytes.
std::string RandomBytes(size_t n, uint64_t seed = 42);
// Lower-case hex SHA-256 of data / of a file.
std::string Sha256Hex(const std::string& data);
std::string FileSha256Hex(const std::string& path);

}  // namespace natss3::test
