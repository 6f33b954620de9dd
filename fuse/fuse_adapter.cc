// The only file of natss3fs that includes <fuse_lowlevel.h>: each operation calls the
// Filesystem, then replies exactly once; exceptions never cross into libfuse.
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <climits>
#include <csignal>
#include <cstdlib>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "attrs.h"
#include "fuse_adapter.h"
#include "natss3/service.h"

namespace natss3::fs {
namespace {

constexpr unsigned kMaxWrite = 1u << 20;

struct Adapter {
  Filesystem* fs = nullptr;
  double timeout = 1.0;
  unsigned max_readahead = kMaxWrite;
  unsigned max_read = 0;  // -o max_read: libfuse wants init to ask for the same
};

Adapter& Of(fuse_req_t req) { return *static_cast<Adapter*>(fuse_req_userdata(req)); }
Filesystem& Fs(fuse_req_t req) { return *Of(req).fs; }

// Who sent the request: new files record it (trust_metadata_owner) and setuid bits depend
// on it.
Caller CallerOf(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return Caller{static_cast<uint32_t>(ctx->uid), static_cast<uint32_t>(ctx->gid)};
}

// Runs body; anything it throws becomes EIO. Bodies reply as their last step, so a throw
// always happens before the reply (exactly one reply either way).
template <typename Body>
void Guard(fuse_req_t req, Body&& body, bool replies = true) {
  try {
    body();
  } catch (const std::exception& e) {
    fprintf(stderr, "natss3fs: internal error: %s\n", e.what());
    if (replies) fuse_reply_err(req, EIO);
  } catch (...) {
    if (replies) fuse_reply_err(req, EIO);
  }
}

struct stat ToStat(const Attr& attr) {
  struct stat st{};
  st.st_ino = attr.ino;
  st.st_mode = attr.mode;
  st.st_nlink = attr.nlink;
  st.st_uid = attr.uid;
  st.st_gid = attr.gid;
  st.st_size = static_cast<off_t>(attr.size);
  st.st_blksize = kMaxWrite;
  st.st_blocks = static_cast<blkcnt_t>((attr.size + 511) / 512);
  st.st_mtim = attr.mtime;
  st.st_ctim = attr.ctime;
  st.st_atim = attr.mtime;
  return st;
}

fuse_entry_param ToEntry(fuse_req_t req, const Attr& attr) {
  fuse_entry_param e{};
  e.ino = attr.ino;
  e.attr = ToStat(attr);
  e.attr_timeout = Of(req).timeout;
  e.entry_timeout = Of(req).timeout;
  return e;
}

void ReplyEntry(fuse_req_t req, int err, const Attr& attr) {
  if (err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  fuse_entry_param e = ToEntry(req, attr);
  if (fuse_reply_entry(req, &e) != 0) Fs(req).Forget(attr.ino, 1);  // kernel never saw it
}

void ReplyAttr(fuse_req_t req, int err, const Attr& attr) {
  if (err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  struct stat st = ToStat(attr);
  fuse_reply_attr(req, &st, Of(req).timeout);
}

void OpInit(void* userdata, fuse_conn_info* conn) {
  conn->max_write = kMaxWrite;
  const Adapter& adapter = *static_cast<Adapter*>(userdata);
  conn->max_readahead = adapter.max_readahead;
  if (adapter.max_read != 0) conn->max_read = adapter.max_read;
  conn->max_background = 64;
  conn->congestion_threshold = 48;
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  if (conn->capable & FUSE_CAP_ASYNC_READ) conn->want |= FUSE_CAP_ASYNC_READ;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  // writes must reach us in order, unbuffered
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, [&] {
    Attr attr;
    int err = Fs(req).Lookup(parent, name, &attr);
    ReplyEntry(req, err, attr);
  });
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Guard(req, [&] { Fs(req).Forget(ino, nlookup); }, false);
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  Guard(req, [&] {
    for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  }, false);
  fuse_reply_none(req);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guard(req, [&] {
    Attr attr;
    int err = Fs(req).GetAttr(ino, &attr);
    ReplyAttr(req, err, attr);
  });
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* st, int to_set, fuse_file_info*) {
  Guard(req, [&] {
    SetAttrIn in;
    if (to_set & FUSE_SET_ATTR_SIZE) in.size = static_cast<uint64_t>(st->st_size);
    if (to_set & FUSE_SET_ATTR_MODE) in.mode = st->st_mode;
    if (to_set & FUSE_SET_ATTR_UID) in.uid = st->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) in.gid = st->st_gid;
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) in.mtime = NowTimespec();
    else if (to_set & FUSE_SET_ATTR_MTIME) in.mtime = st->st_mtim;
    Attr attr;
    int err = Fs(req).SetAttr(ino, in, &attr, CallerOf(req));
    ReplyAttr(req, err, attr);
  });
}

void OpReadlink(fuse_req_t req, fuse_ino_t) { fuse_reply_err(req, EINVAL); }

void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
  Guard(req, [&] {
    Attr attr;
    int err = Fs(req).Mknod(parent, name, mode, &attr, CallerOf(req));
    ReplyEntry(req, err, attr);
  });
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Guard(req, [&] {
    Attr attr;
    int err = Fs(req).Mkdir(parent, name, mode, &attr, CallerOf(req));
    ReplyEntry(req, err, attr);
  });
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, [&] { fuse_reply_err(req, Fs(req).Unlink(parent, name)); });
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, [&] { fuse_reply_err(req, Fs(req).Rmdir(parent, name)); });
}

void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char*) {
  fuse_reply_err(req, EPERM);  // the object store has no symlinks
}

void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  fuse_reply_err(req, EPERM);  // nor hard links
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
              const char* new_name, unsigned int flags) {
  Guard(req, [&] { fuse_reply_err(req, Fs(req).Rename(parent, name, new_parent, new_name, flags)); });
}

void ReplyOpen(fuse_req_t req, int err, const OpenOut& out, fuse_file_info* fi) {
  if (err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  fi->fh = out.fh;
  fi->keep_cache = out.keep_cache;
  if (fuse_reply_open(req, fi) != 0) Fs(req).Release(out.fh);
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, [&] {
    OpenOut out;
    int err = Fs(req).Open(ino, fi->flags, &out);
    ReplyOpen(req, err, out, fi);
  });
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  Guard(req, [&] {
    Attr attr;
    OpenOut out;
    int err = Fs(req).Create(parent, name, mode, fi->flags, &attr, &out, CallerOf(req));
    if (err != 0) {
      fuse_reply_err(req, err);
      return;
    }
    fi->fh = out.fh;
    fuse_entry_param e = ToEntry(req, attr);
    if (fuse_reply_create(req, &e, fi) != 0) {
      Fs(req).Release(out.fh);
      Fs(req).Forget(attr.ino, 1);
    }
  });
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, [&] {
    thread_local std::vector<char> buf;
    if (buf.size() < size) buf.resize(size);
    size_t got = 0;
    int err = Fs(req).Read(fi->fh, static_cast<uint64_t>(off), size, buf.data(), &got);
    if (err != 0) fuse_reply_err(req, err);
    else fuse_reply_buf(req, buf.data(), got);
  });
}

void OpWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
             fuse_file_info* fi) {
  Guard(req, [&] {
    int err = Fs(req).Write(fi->fh, static_cast<uint64_t>(off), data, size);
    if (err != 0) fuse_reply_err(req, err);
    else fuse_reply_write(req, size);
  });
}

void OpFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, [&] { fuse_reply_err(req, Fs(req).Flush(fi->fh)); });
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, [&] { fuse_reply_err(req, Fs(req).Release(fi->fh)); });
}

void OpFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  Guard(req, [&] { fuse_reply_err(req, Fs(req).Fsync(fi->fh)); });
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, [&] {
    uint64_t fh = 0;
    int err = Fs(req).OpenDir(ino, &fh);
    if (err != 0) {
      fuse_reply_err(req, err);
      return;
    }
    fi->fh = fh;
    if (fuse_reply_open(req, fi) != 0) Fs(req).ReleaseDir(fh);
  });
}

void DoReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
               bool plus) {
  std::vector<char> buf(size);
  size_t used = 0;
  int err = Fs(req).ReadDir(ino, fi->fh, off, plus, [&](const DirEntryOut& d) {
    size_t need;
    if (plus) {
      fuse_entry_param e = ToEntry(req, d.attr);
      if (d.name == "." || d.name == "..") {
        e = fuse_entry_param{};  // the kernel takes no reference for these
        e.attr.st_mode = d.attr.mode;
        e.attr.st_ino = d.attr.ino;
      }
      need = fuse_add_direntry_plus(req, buf.data() + used, size - used, d.name.c_str(), &e,
                                    d.next_offset);
    } else {
      struct stat st{};
      st.st_ino = d.attr.ino;
      st.st_mode = d.attr.mode;
      need = fuse_add_direntry(req, buf.data() + used, size - used, d.name.c_str(), &st,
                               d.next_offset);
    }
    if (need > size - used) return false;
    used += need;
    return true;
  });
  if (err != 0) fuse_reply_err(req, err);
  else fuse_reply_buf(req, buf.data(), used);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, [&] { DoReaddir(req, ino, size, off, fi, false); });
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, [&] { DoReaddir(req, ino, size, off, fi, true); });
}

void OpReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, [&] {
    Fs(req).ReleaseDir(fi->fh);
    fuse_reply_err(req, 0);
  });
}

void OpFsyncdir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); }

void OpStatfs(fuse_req_t req, fuse_ino_t ino) {
  Guard(req, [&] {
    StatFsOut out;
    int err = Fs(req).StatFs(ino, &out);
    if (err != 0) {
      fuse_reply_err(req, err);
      return;
    }
    struct statvfs st{};
    st.f_bsize = out.block_size;
    st.f_frsize = out.block_size;
    st.f_blocks = out.blocks;
    st.f_bfree = out.blocks_free;
    st.f_bavail = out.blocks_free;
    st.f_files = out.files;
    st.f_ffree = out.files_free;
    st.f_favail = out.files_free;
    st.f_namemax = out.name_max;
    fuse_reply_statfs(req, &st);
  });
}

fuse_lowlevel_ops MakeOps() {
  fuse_lowlevel_ops ops{};
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.setattr = OpSetattr;
  ops.readlink = OpReadlink;
  ops.mknod = OpMknod;
  ops.mkdir = OpMkdir;
  ops.unlink = OpUnlink;
  ops.rmdir = OpRmdir;
  ops.symlink = OpSymlink;
  ops.link = OpLink;
  ops.rename = OpRename;
  ops.open = OpOpen;
  ops.create = OpCreate;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.flush = OpFlush;
  ops.release = OpRelease;
  ops.fsync = OpFsync;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.releasedir = OpReleasedir;
  ops.fsyncdir = OpFsyncdir;
  ops.statfs = OpStatfs;
  return ops;
}

// libfuse cannot raise readahead above the kernel's default BDI setting (128 KiB); root can,
// through sysfs. Runs before the INIT reply, which then keeps min(this, max_readahead).
// The device comes from mountinfo: a stat() of the mount point would wait for ourselves.
// Failure leaves the default: slower sequential reads, nothing else.
void SetReadahead(const std::string& mountpoint, uint32_t kb) {
  if (kb == 0) return;
  char resolved[PATH_MAX];
  if (!realpath(mountpoint.c_str(), resolved)) return;
  FILE* info = fopen("/proc/self/mountinfo", "r");
  if (!info) return;
  std::string device;
  char line[4096];
  while (fgets(line, sizeof(line), info)) {
    unsigned id, parent;
    char dev[64], root[PATH_MAX], point[PATH_MAX];
    if (sscanf(line, "%u %u %63s %4095s %4095s", &id, &parent, dev, root, point) == 5 &&
        std::string(point) == resolved && strstr(line, " fuse") != nullptr) {
      device = dev;  // the last match is the newest mount
    }
  }
  fclose(info);
  if (device.empty()) return;
  if (FILE* f = fopen(("/sys/class/bdi/" + device + "/read_ahead_kb").c_str(), "w")) {
    fprintf(f, "%u\n", kb);
    fclose(f);
  }
}

class KernelNotifier : public Notifier {
 public:
  explicit KernelNotifier(fuse_session* se) : se_(se) {}
  void InvalInode(uint64_t ino) override { fuse_lowlevel_notify_inval_inode(se_, ino, 0, 0); }
  void InvalEntry(uint64_t parent, const std::string& name) override {
    fuse_lowlevel_notify_inval_entry(se_, parent, name.c_str(), name.size());
  }

 private:
  fuse_session* se_;
};

// Runs the session loop, raising the filesystem's stop flag as soon as the session ends
// (SIGTERM/SIGINT/SIGHUP, or the kernel's unmount). libfuse returns from the loop only after
// the requests in progress finish, and one of them may be a long upload (a close): with the
// flag it gives up within a second instead of finishing. Nothing in libfuse reports the end
// of the session other than fuse_session_exited(), hence the short poll.
int LoopUntilStopped(fuse_session* se, fuse_loop_config* config, Filesystem* fs) {
  // config null: FUSE's -s, one request at a time.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watcher([&] {
    std::unique_lock lock(mu);
    while (!done && !fuse_session_exited(se)) {
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
    fs->Stop();
  });
  int rc = config ? fuse_session_loop_mt(se, config) : fuse_session_loop(se);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_all();
  watcher.join();
  return rc;
}

}  // namespace

int RunFuseMount(const CommandLine& cl, const FilesystemFactory& make_filesystem) {
  std::vector<std::string> argv_storage = {"natss3fs", "-o", FuseMountOptions(cl)};
  if (cl.debug) argv_storage.push_back("-d");
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());

  Adapter adapter;
  adapter.timeout = cl.fs.attr_timeout;
  adapter.max_readahead = std::max(kMaxWrite, cl.readahead_kb * 1024u);
  adapter.max_read = cl.max_read;
  fuse_lowlevel_ops ops = MakeOps();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), &adapter);
  if (!se) return 1;
  int code = 1;
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, cl.mountpoint.c_str()) == 0) {
      SetReadahead(cl.mountpoint, cl.readahead_kb);
      fuse_daemonize(cl.foreground ? 1 : 0);
      // Daemonized, stderr is /dev/null: log lines go to the journal (with priorities). In the
      // foreground they stay on stderr unless that is the journal's stream (systemd).
      SetUpLogging("natss3fs", cl.debug ? "debug" : "info",
                   cl.foreground ? LogTarget::kAuto : LogTarget::kJournal);
      std::string error;
      std::unique_ptr<Filesystem> fs = make_filesystem(&error);
      if (fs) {
        adapter.fs = fs.get();
        KernelNotifier notifier(se);
        fs->SetNotifier(&notifier);
        fuse_loop_config* config = cl.single_thread ? nullptr : fuse_loop_cfg_create();
        if (config) {
          fuse_loop_cfg_set_max_threads(config, static_cast<unsigned>(cl.max_threads));
          fuse_loop_cfg_set_idle_threads(config, static_cast<unsigned>(cl.max_threads / 2 + 1));
        }
        int rc = LoopUntilStopped(se, config, fs.get());
        // libfuse reports the signal that ended the loop; a requested stop is a clean exit.
        code = (rc == 0 || rc == SIGTERM || rc == SIGINT || rc == SIGHUP) ? 0 : 1;
        if (config) fuse_loop_cfg_destroy(config);
        // Abandons files still open (never published); stops notifications before the
        // session goes.
        fs->Shutdown();
      } else {
        spdlog::error("natss3fs: {}", error);
      }
      fuse_session_unmount(se);
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  fuse_opt_free_args(&args);
  return code;
}

}  // namespace natss3::fs
