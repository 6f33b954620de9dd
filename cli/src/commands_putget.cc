// put and get: single objects and whole directory trees, streamed with bounded memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "commands.h"
#include "format.h"
#include "header_template.h"
#include "sync_plan.h"
#include "transfer.h"
#include "views.h"

namespace natss3::cli {
namespace {

namespace fs = std::filesystem;

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd > 2) ::close(fd);
  }
};

// Streams `fd` into bucket/name; `size_hint` (or -1) sizes the progress bar.
Result<ObjectInfo> PutStream(Session& s, const std::string& bucket, const std::string& name,
                             int fd, int64_t size_hint) {
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  ObjectMeta meta;
  meta.name = name;
  if (s.inv.description) meta.description = *s.inv.description;
  TemplateValues values = CurrentTemplateValues();
  for (const auto& [key, value] : s.inv.headers) {
    NATSS3_ASSIGN_OR_RETURN(std::string expanded, ExpandHeaderTemplate(value, values));
    meta.headers[key].push_back(std::move(expanded));
  }
  PutOptions options;
  options.chunk_size = s.inv.chunk_size;
  options.md5 = s.inv.md5;
  if (s.inv.chunk_size != 0) meta.max_chunk_size = s.inv.chunk_size;
  NATSS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, store->NewWriter(bucket, meta, options));
  ProgressBar progress(s.console, size_hint < 0 ? 0 : static_cast<uint64_t>(size_hint),
                       s.inv.progress && size_hint >= 0);
  Status copied = CopyFdToWriter(fd, *writer, &progress);
  if (!copied.ok()) {
    writer->Abort();
    return copied;
  }
  auto committed = writer->Commit();
  progress.Finish();
  return committed;
}

// natscli's replace check: prompt when a live object exists, unless -f. False: user said no.
Result<bool> ConfirmReplaceObject(Session& s, const std::string& bucket, const std::string& name) {
  if (s.inv.force) return true;
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  auto existing = store->GetInfo(bucket, name);
  if (!existing.ok()) {
    if (existing.status().code() == Code::kNotFound) return true;
    return existing.status();
  }
  if (!s.console.interactive) {
    return FailedPrecondition("object " + bucket + " > " + name +
                              " exists; cannot ask for confirmation without a terminal, use -f to replace it");
  }
  s.console.out << ObjectInfoText(*existing) << "\n";
  s.console.out.flush();
  return s.console.Confirm("Replace existing file " + bucket + " > " + name);
}

Status PutOne(Session& s, const std::string& bucket) {
  bool from_stdin = s.inv.args.size() < 2 || s.inv.args[1] == "-";
  std::string name = s.inv.name.value_or(from_stdin ? "" : s.inv.args[1]);
  int fd = s.stdin_fd;
  int64_t size_hint = -1;  // natscli: no progress bar for stdin
  if (!from_stdin) {
    fd = ::open(s.inv.args[1].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open " + s.inv.args[1]);
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return InvalidArgument(s.inv.args[1] + " is a directory, use --recursive");
      }
      if (S_ISREG(st.st_mode)) size_hint = st.st_size;
    }
  }
  FdCloser closer{fd};
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, RequireBucket(s, bucket));
  if (status.sealed) return FailedPrecondition("bucket \"" + bucket + "\" is sealed");
  // The name stored is the cleaned one, so the overwrite check must ask for that one too
  // ("put B ./a.txt" replaces "a.txt").
  name = CleanPath(name);
  NATSS3_ASSIGN_OR_RETURN(bool replace, ConfirmReplaceObject(s, bucket, name));
  if (!replace) return Status::OK();
  NATSS3_ASSIGN_OR_RETURN(ObjectInfo info, PutStream(s, bucket, name, fd, size_hint));
  if (!s.inv.json) s.console.out << "\n";
  PrintObject(s, info);
  return Status::OK();
}

Status PutTree(Session& s, const std::string& bucket) {
  const std::string& root = s.inv.args[1];
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return InvalidArgument(root + " is not a directory");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return Internal("walk " + root + ": " + ec.message());
  std::sort(files.begin(), files.end());
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, RequireBucket(s, bucket));
  if (status.sealed) return FailedPrecondition("bucket \"" + bucket + "\" is sealed");
  // Joined like Go's path.Join: "--name ./" adds no prefix, "--name /" gives "/a".
  std::string prefix = s.inv.name ? CleanPath(*s.inv.name) : ".";
  if (prefix == ".") prefix.clear();
  else if (prefix.back() != '/') prefix += "/";
  nlohmann::json list = nlohmann::json::array();
  uint64_t total = 0;
  size_t count = 0;
  for (const auto& file : files) {
    // Lexically: fs::relative() would resolve symbolic links and name a linked file after its
    // target.
    std::string name = prefix + file.lexically_relative(root).generic_string();
    NATSS3_ASSIGN_OR_RETURN(bool replace, ConfirmReplaceObject(s, bucket, name));
    if (!replace) continue;
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open " + file.string());
    FdCloser closer{fd};
    struct stat st {};
    int64_t size_hint = ::fstat(fd, &st) == 0 ? st.st_size : -1;
    auto info = PutStream(s, bucket, name, fd, size_hint);
    if (!info.ok()) return info.status().Annotate("put " + file.string());
    total += info->size;
    ++count;
    if (s.inv.json) {
      list.push_back(ObjectJson(*info));
    } else {
      s.console.out << "Put " << bucket << " > " << name << " (" << IBytes(info->size) << ")\n";
      s.console.out.flush();
    }
  }
  if (s.inv.json) {
    s.console.out << JsonText(list);
  } else {
    s.console.out << "Put " << count << " files (" << IBytes(total) << ") into " << bucket << "\n";
  }
  return Status::OK();
}

// Writes one object to `path` (or stdout for "-"); returns bytes written.
Result<uint64_t> GetToPath(Session& s, ObjectReader& reader, const std::string& path) {
  const ObjectInfo& info = reader.info();
  // No bar while the data itself goes to the terminal.
  ProgressBar progress(s.console, info.size, s.inv.progress && path != "-");
  uint64_t written = 0;
  if (path == "-") {
    NATSS3_ASSIGN_OR_RETURN(written, CopyReaderToFd(reader, s.stdout_fd, &progress));
  } else {
    AtomicFile file(path);
    NATSS3_RETURN_IF_ERROR(file.Open());
    NATSS3_ASSIGN_OR_RETURN(written, CopyReaderToFd(reader, file.fd(), &progress));
    if (written != info.size) {
      return DataLoss("wrote " + std::to_string(written) + ", expected " + std::to_string(info.size));
    }
    NATSS3_RETURN_IF_ERROR(file.Commit());
  }
  progress.Finish();
  if (written != info.size) {
    return DataLoss("wrote " + std::to_string(written) + ", expected " + std::to_string(info.size));
  }
  return written;
}

Result<std::unique_ptr<ObjectReader>> OpenObject(Session& s, const std::string& bucket,
                                                 const std::string& name) {
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  auto reader = store->Open(bucket, name);
  if (!reader.ok() && reader.status().code() == Code::kNotFound) {
    return NotFound("object " + bucket + " > " + name + " not found");
  }
  return reader;
}

Result<bool> ConfirmReplaceFile(Session& s, const std::string& path) {
  struct stat st {};
  if (s.inv.force || path == "-" || ::stat(path.c_str(), &st) != 0) return true;
  return s.console.Confirm("Replace existing target file " + path);
}

Status GetOne(Session& s, const std::string& bucket) {
  NATSS3_RETURN_IF_ERROR(RequireBucket(s, bucket).status());
  NATSS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, OpenObject(s, bucket, s.inv.args[1]));
  // Only "-O -" means stdout: an object whose base name is "-" becomes a file ./-.
  const bool to_stdout = s.inv.output && *s.inv.output == "-";
  std::string path = s.inv.output.value_or(BasePath(reader->info().name()));
  if (!to_stdout) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      path += "/" + BasePath(reader->info().name());
    }
    path = AbsolutePath(path);
  }
  NATSS3_ASSIGN_OR_RETURN(bool replace, ConfirmReplaceFile(s, path));
  if (!replace) return Status::OK();
  auto start = std::chrono::steady_clock::now();
  NATSS3_ASSIGN_OR_RETURN(uint64_t written, GetToPath(s, *reader, path));
  if (to_stdout) return Status::OK();
  auto elapsed = std::chrono::steady_clock::now() - start;
  if (s.inv.json) {
    s.console.out << JsonText({{"path", path}, {"bytes", written}, {"object", ObjectJson(reader->info())}});
    return Status::OK();
  }
  s.console.out << "Wrote: " << IBytes(written) << " to " << path << " in " << HumanizeDuration(elapsed);
  double seconds = std::chrono::duration<double>(elapsed).count();
  if (seconds > 2) s.console.out << " average " << IBytes(static_cast<uint64_t>(written / seconds)) << "/s";
  s.console.out << "\n";
  return Status::OK();
}

Status GetTree(Session& s, const std::string& bucket) {
  NATSS3_RETURN_IF_ERROR(RequireBucket(s, bucket).status());
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  std::string prefix = s.inv.args.size() > 1 ? s.inv.args[1] : "";
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) prefix += "/";
  std::string root = s.inv.output.value_or(".");
  if (root == "-") return InvalidArgument("--recursive cannot write to stdout");
  NATSS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(bucket));
  size_t count = 0, skipped = 0;
  uint64_t total = 0;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& object : objects) {
    const std::string& name = object.name();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string relative = name.substr(prefix.size());
    if (!SafeRelativeName(relative)) {
      s.console.err << "natss3ctl: warning: skipping " << bucket << " > " << name
                    << ": not a safe relative path\n";
      ++skipped;
      continue;
    }
    std::string path = AbsolutePath(root + "/" + relative);
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec) return Internal("create directory for " + path + ": " + ec.message());
    NATSS3_ASSIGN_OR_RETURN(bool replace, ConfirmReplaceFile(s, path));
    if (!replace) continue;
    NATSS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, OpenObject(s, bucket, name));
    auto written = GetToPath(s, *reader, path);
    if (!written.ok()) return written.status().Annotate("get " + bucket + " > " + name);
    total += *written;
    ++count;
    if (s.inv.json) {
      list.push_back({{"path", path}, {"bytes", *written}, {"object", ObjectJson(reader->info())}});
    } else {
      s.console.out << "Wrote " << bucket << " > " << name << " to " << path << " (" << IBytes(*written) << ")\n";
      s.console.out.flush();
    }
  }
  if (s.inv.json) {
    s.console.out << JsonText(list);
  } else {
    s.console.out << "Wrote " << count << " files (" << IBytes(total) << ") to " << AbsolutePath(root) << "\n";
  }
  if (skipped > 0) return FailedPrecondition(std::to_string(skipped) + " objects skipped (unsafe names)");
  return Status::OK();
}

}  // namespace

Status RunPut(Session& s) {
  return s.inv.recursive ? PutTree(s, s.inv.args[0]) : PutOne(s, s.inv.args[0]);
}

Status RunGet(Session& s) {
  return s.inv.recursive ? GetTree(s, s.inv.args[0]) : GetOne(s, s.inv.args[0]);
}

}  // namespace natss3::cli
