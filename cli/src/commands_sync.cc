// sync: copies the files that differ between a local directory and a bucket (prefix), either
// way, with -j transfers in parallel. Equal sizes are settled by SHA-256: the object's stored
// digest against the local file hashed in slices. Never prompts; --delete is the opt-in.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "commands.h"
#include "format.h"
#include "header_template.h"
#include "natss3/names.h"
#include "sync_plan.h"
#include "transfer.h"
#include "views.h"

namespace natss3::cli {
namespace {

namespace fs = std::filesystem;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reader window per transfer (in 128 KiB units): 4 MiB, so -j 64 stays bounded.
constexpr int kSyncReadWindow = 32;
// Failed paths named in the final error message; the JSON summary lists them all.
constexpr size_t kFailuresNamed = 20;

// SHA-256 (32 raw bytes) of a local file, read in kSliceSize slices.
Result<std::string> FileSha256(const std::string& path, const ByteCallback& on_bytes) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return ErrnoStatus("open " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Internal("SHA-256 unavailable");
  }
  auto buffer = std::make_unique<char[]>(kSliceSize);
  while (true) {
    if (Interrupted()) return Cancelled("interrupted");
    ssize_t n = ::read(file.fd, buffer.get(), kSliceSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read " + path);
    if (n == 0) break;
    if (EVP_DigestUpdate(ctx.get(), buffer.get(), static_cast<size_t>(n)) != 1) {
      return Internal("SHA-256 failed");
    }
    if (on_bytes) on_bytes(static_cast<uint64_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) return Internal("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// Runs fn(0..count-1) on up to `jobs` threads; stops handing out work once interrupted.
void RunParallel(int jobs, size_t count, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = 0; !Interrupted() && (i = next.fetch_add(1)) < count;) fn(i);
  };
  size_t threads = std::min<size_t>(static_cast<size_t>(jobs), count);
  if (threads <= 1) {
    worker();
    return;
  }
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
}

class Sync {
 public:
  Sync(Session& s, SyncEndpoint src, SyncEndpoint dst)
      : s_(s),
        src_(std::move(src)),
        dst_(std::move(dst)),
        upload_(dst_.is_bucket),
        remote_(upload_ ? dst_ : src_),
        local_(upload_ ? src_ : dst_),
        progress_(s.console, s.inv.progress && !s.inv.quiet) {}

  Status Run();

 private:
  struct RemoteEntry {
    ObjectInfo info;
    std::string sha256;  // raw; empty when the object has none
  };

  void Warn(const std::string& message) {
    progress_.Print(s_.console.err, "natss3ctl: warning: " + message + "\n");
  }
  void Line(const std::string& line) {
    if (!s_.inv.quiet && !s_.inv.json) progress_.Print(s_.console.out, line + "\n");
  }
  void Fail(const std::string& relative, const std::string& what, const Status& status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      failures_.emplace_back(relative, status.message());
      if (first_failure_.ok()) first_failure_ = status;
    }
    progress_.Print(s_.console.err, "natss3ctl: error: " + what + ": " + status.message() + "\n");
  }

  std::string LocalPath(const std::string& relative) const {
    return (fs::path(local_.path) / relative).string();
  }
  std::string ObjectName(const std::string& relative) const { return remote_.prefix + relative; }
  std::string RemoteLabel(const std::string& relative) const {
    return remote_.bucket + " > " + ObjectName(relative);
  }

  Status WalkLocal(bool must_exist);
  Status ListRemote();
  void Transfer(const std::string& relative, bool compare_first);
  Status Upload(const std::string& relative, uint64_t* sent);
  Status Download(const std::string& relative, uint64_t* received);
  void Remove(const std::string& relative);
  Status Finish(size_t attempted);

  Session& s_;
  SyncEndpoint src_, dst_;
  bool upload_;
  const SyncEndpoint& remote_;
  const SyncEndpoint& local_;
  ObjectStore* store_ = nullptr;
  SyncProgress progress_;

  std::map<std::string, SyncSide> local_files_, remote_files_;
  std::map<std::string, RemoteEntry> remote_entries_;

  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> failures_;  // relative path, message
  Status first_failure_;
  std::atomic<uint64_t> copied_{0}, skipped_{0}, deleted_{0}, bytes_{0};
};

// Regular files below the local directory, by relative path. Symbolic links to files are
// followed (as put -r does); links to directories are not descended, dangling links and
// special files are skipped, with a warning when the directory is the source. A walk error fails
// the whole sync before anything changes: a partial listing of a source would make --delete remove
// too much.
Status Sync::WalkLocal(bool must_exist) {
  const std::string& root = local_.path;
  std::error_code ec;
  fs::file_status root_status = fs::status(root, ec);
  if (!fs::exists(root_status)) {
    if (!must_exist && (!ec || ec == std::errc::no_such_file_or_directory)) return Status::OK();
    return InvalidArgument(root + " is not a directory");
  }
  if (!fs::is_directory(root_status)) return InvalidArgument(root + " is not a directory");
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    // Lexically: fs::relative() would resolve symbolic links.
    std::string relative = it->path().lexically_relative(root).generic_string();
    std::error_code entry_ec;
    fs::file_status own = it->symlink_status(entry_ec);
    if (fs::is_directory(own)) continue;
    if (!SyncIncluded(s_.inv.filters, relative)) continue;
    fs::file_status followed = fs::is_symlink(own) ? it->status(entry_ec) : own;
    if (fs::is_regular_file(followed)) {
      uintmax_t size = fs::file_size(it->path(), entry_ec);
      if (entry_ec) return Internal("stat " + it->path().string() + ": " + entry_ec.message());
      local_files_[relative] = SyncSide{static_cast<uint64_t>(size), true};
    } else if (!upload_) {
      continue;  // in a destination, what is no file is no concern of sync
    } else if (fs::is_symlink(own)) {
      Warn("skipping " + it->path().string() +
           (fs::is_directory(followed) ? ": a symbolic link to a directory"
                                       : ": a symbolic link to no regular file"));
    } else {
      Warn("skipping " + it->path().string() + ": not a regular file");
    }
  }
  if (ec) return Internal("walk " + root + ": " + ec.message());
  return Status::OK();
}

// Live objects under the prefix, by name relative to it. Directory markers ("dir/", from
// mkdir on a mount or the S3 console) are directories, not files: sync leaves them alone in
// both directions. As a source, links are skipped with a warning (their data belongs to
// another name) and names that could escape the directory fail like in get -r; as a
// destination, links and objects without a digest are simply replaced.
Status Sync::ListRemote() {
  NATSS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_->List(remote_.bucket));
  const std::string& prefix = remote_.prefix;
  for (auto& object : objects) {
    const std::string& name = object.name();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string relative = name.substr(prefix.size());
    if (relative.back() == '/') continue;
    if (!SyncIncluded(s_.inv.filters, relative)) continue;
    if (!upload_ && object.is_link()) {
      Warn("skipping " + remote_.bucket + " > " + name + ": a link");
      continue;
    }
    if (!upload_ && !SafeRelativeName(relative)) {
      Fail(relative, "skipping " + remote_.bucket + " > " + name,
           FailedPrecondition("not a safe relative path"));
      continue;
    }
    RemoteEntry entry;
    auto digest = ParseDigest(object.digest);
    if (!object.is_link() && digest.ok()) entry.sha256 = *digest;
    remote_files_[relative] = SyncSide{object.size, !entry.sha256.empty()};
    entry.info = std::move(object);
    remote_entries_[relative] = std::move(entry);
  }
  return Status::OK();
}

Status Sync::Upload(const std::string& relative, uint64_t* sent) {
  const std::string path = LocalPath(relative);
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return ErrnoStatus("open " + path);
  ObjectMeta meta;
  meta.name = ObjectName(relative);
  if (s_.inv.description) meta.description = *s_.inv.description;
  TemplateValues values = CurrentTemplateValues();
  for (const auto& [key, value] : s_.inv.headers) {
    NATSS3_ASSIGN_OR_RETURN(std::string expanded, ExpandHeaderTemplate(value, values));
    meta.headers[key].push_back(std::move(expanded));
  }
  PutOptions options;
  options.chunk_size = s_.inv.chunk_size;
  options.md5 = s_.inv.md5;
  if (s_.inv.chunk_size != 0) meta.max_chunk_size = s_.inv.chunk_size;
  NATSS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer,
                          store_->NewWriter(remote_.bucket, meta, options));
  Status copied = CopyFdToWriter(file.fd, *writer, [&](uint64_t n) {
    *sent += n;
    progress_.AddDone(n, 0);
  });
  if (!copied.ok()) {
    writer->Abort();
    return copied;
  }
  return writer->Commit().status();
}

Status Sync::Download(const std::string& relative, uint64_t* received) {
  const ObjectInfo& info = remote_entries_.at(relative).info;
  const std::string path = LocalPath(relative);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Internal("create directory for " + path + ": " + ec.message());
  ReadOptions options;
  options.window = kSyncReadWindow;
  // Exactly the listed version: if it was replaced meanwhile, kDataLoss, never other bytes.
  NATSS3_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, store_->OpenInfo(info, options));
  AtomicFile file(path);
  NATSS3_RETURN_IF_ERROR(file.Open());
  NATSS3_ASSIGN_OR_RETURN(uint64_t written, CopyReaderToFd(*reader, file.fd(), [&](uint64_t n) {
                            *received += n;
                            progress_.AddDone(n, 0);
                          }));
  if (written != info.size) {
    return DataLoss("wrote " + std::to_string(written) + ", expected " + std::to_string(info.size));
  }
  return file.Commit();
}

void Sync::Transfer(const std::string& relative, bool compare_first) {
  const uint64_t size = upload_ ? local_files_.at(relative).size : remote_files_.at(relative).size;
  const std::string label =
      upload_ ? RemoteLabel(relative) : RemoteLabel(relative) + " to " + LocalPath(relative);
  if (compare_first) {
    uint64_t hashed = 0;
    auto local = FileSha256(LocalPath(relative), [&](uint64_t n) {
      hashed += n;
      progress_.AddDone(n, 0);
    });
    if (!local.ok()) {
      progress_.AddDone(size - std::min(size, hashed), 1);
      Fail(relative, "hash " + LocalPath(relative), local.status());
      return;
    }
    if (*local == remote_entries_.at(relative).sha256) {
      ++skipped_;
      progress_.AddDone(0, 1);
      return;
    }
    progress_.AddTotal(size, 0);  // differs: it is copied after all
  }
  if (s_.inv.dry_run) {
    ++copied_;
    bytes_ += size;
    progress_.AddDone(size, 1);
    Line(std::string(upload_ ? "Would put " : "Would write ") + label + " (" + IBytes(size) + ")");
    return;
  }
  uint64_t moved = 0;
  Status status = upload_ ? Upload(relative, &moved) : Download(relative, &moved);
  progress_.AddDone(size - std::min(size, moved), 1);
  if (!status.ok()) {
    Fail(relative, (upload_ ? "put " : "get ") + label, status);
    return;
  }
  ++copied_;
  bytes_ += moved;
  Line(std::string(upload_ ? "Put " : "Wrote ") + label + " (" + IBytes(moved) + ")");
}

void Sync::Remove(const std::string& relative) {
  const std::string label = upload_ ? RemoteLabel(relative) : LocalPath(relative);
  if (s_.inv.dry_run) {
    ++deleted_;
    Line("Would delete " + label);
    return;
  }
  Status status;
  if (upload_) {
    status = store_->Delete(remote_.bucket, ObjectName(relative));
    if (status.code() == Code::kNotFound) status = Status::OK();  // gone meanwhile: as wanted
  } else if (::unlink(LocalPath(relative).c_str()) != 0 && errno != ENOENT) {
    status = ErrnoStatus("delete " + LocalPath(relative));
  }
  if (!status.ok()) {
    Fail(relative, "delete " + label, status);
    return;
  }
  ++deleted_;
  Line("Deleted " + label);
}

Status Sync::Finish(size_t attempted) {
  progress_.Finish();
  std::sort(failures_.begin(), failures_.end());
  if (s_.inv.json) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& [path, message] : failures_)
      errors.push_back({{"path", path}, {"error", message}});
    s_.console.out << JsonText({{"copied", copied_.load()},
                                {"skipped", skipped_.load()},
                                {"deleted", deleted_.load()},
                                {"bytes", bytes_.load()},
                                {"dry_run", s_.inv.dry_run},
                                {"errors", errors}});
  } else if (!s_.inv.quiet) {
    std::string counts = std::to_string(copied_.load()) + " copied (" + IBytes(bytes_.load()) +
                         "), " + std::to_string(skipped_.load()) + " unchanged, " +
                         std::to_string(deleted_.load()) + " deleted";
    if (!failures_.empty()) counts += ", " + std::to_string(failures_.size()) + " failed";
    s_.console.out << (s_.inv.dry_run ? "Dry run, nothing changed: " : "Synced: ") << counts
                   << "\n";
  }
  if (Interrupted()) return Cancelled("interrupted");
  if (failures_.empty()) return Status::OK();
  std::string names;
  for (size_t i = 0; i < failures_.size() && i < kFailuresNamed; ++i) {
    names += (i == 0 ? "" : ", ") + failures_[i].first;
  }
  if (failures_.size() > kFailuresNamed) {
    names += " and " + std::to_string(failures_.size() - kFailuresNamed) + " more";
  }
  return Status(first_failure_.code(), std::to_string(failures_.size()) + " of " +
                                           std::to_string(attempted) + " files failed: " + names);
}

Status Sync::Run() {
  NATSS3_ASSIGN_OR_RETURN(BucketStatus bucket, RequireBucket(s_, remote_.bucket));
  if (upload_ && bucket.sealed)
    return FailedPrecondition("bucket \"" + remote_.bucket + "\" is sealed");
  NATSS3_ASSIGN_OR_RETURN(store_, s_.Connect());
  NATSS3_RETURN_IF_ERROR(WalkLocal(/*must_exist=*/upload_));
  NATSS3_RETURN_IF_ERROR(ListRemote());
  const size_t unsafe_names = failures_.size();
  const auto& source = upload_ ? local_files_ : remote_files_;
  const auto& destination = upload_ ? remote_files_ : local_files_;
  SyncPlan plan = PlanSync(source, destination, s_.inv.delete_extraneous);

  std::vector<std::pair<std::string, bool>> transfers;  // relative path, compare first
  uint64_t total = 0;
  for (const auto& path : plan.copy) transfers.emplace_back(path, false);
  for (const auto& path : plan.compare) transfers.emplace_back(path, true);
  std::sort(transfers.begin(), transfers.end());
  for (const auto& [path, compare] : transfers) total += source.at(path).size;
  progress_.AddTotal(total, transfers.size());

  RunParallel(s_.inv.jobs, transfers.size(),
              [&](size_t i) { Transfer(transfers[i].first, transfers[i].second); });
  // Deletions come after the copies (an interrupted sync has deleted nothing yet).
  if (!Interrupted()) {
    RunParallel(s_.inv.jobs, plan.remove.size(), [&](size_t i) { Remove(plan.remove[i]); });
  }
  return Finish(transfers.size() + plan.remove.size() + unsafe_names);
}

}  // namespace

Status RunSync(Session& s) {
  NATSS3_ASSIGN_OR_RETURN(SyncEndpoint src, ParseSyncEndpoint(s.inv.args[0]));
  NATSS3_ASSIGN_OR_RETURN(SyncEndpoint dst, ParseSyncEndpoint(s.inv.args[1]));
  Sync sync(s, std::move(src), std::move(dst));
  return sync.Run();
}

}  // namespace natss3::cli
