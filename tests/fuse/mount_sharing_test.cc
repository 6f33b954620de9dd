// natss3fs end to end on a shared host: other users meet permission checks, object headers
// written by any S3 client make no owners or setuid files, odd object names show once.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>

#include "mount_fixture.h"
#include "support/object_meta.h"

namespace natss3::test {
namespace {

using namespace std::string_literals;
using std::chrono::seconds;

constexpr uid_t kNobody = 65534;

// Runs `body` in a child process as uid = gid = `id`, without supplementary groups (it makes
// system calls only: the parent has threads). Returns what body returned, an errno or 0.
int AsUser(uid_t id, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(id, id, id) != 0 || setresuid(id, id, id) != 0) {
      _exit(250);
    }
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 251;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 252;
}

// open(flags) then close: 0 or errno.
int TryOpen(const std::string& path, int flags, mode_t mode = 0644) {
  int fd = open(path.c_str(), flags, mode);
  if (fd < 0) return errno;
  return close(fd) == 0 ? 0 : errno;
}

int TryChmod(const std::string& path, mode_t mode) {
  return chmod(path.c_str(), mode) == 0 ? 0 : errno;
}

// The mode the store holds for `name` (its X-Amz-Meta-Mode header), 0 when none.
uint32_t StoredMode(ObjectStore& store, const std::string& name) {
  auto info = store.GetInfo("b", name);
  if (!info.ok()) return 0;
  std::string mode = info->Header("X-Amz-Meta-Mode");
  return mode.empty() ? 0 : static_cast<uint32_t>(std::stoul(mode));
}

std::vector<std::string> Sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ListNames(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  return Sorted(std::move(names));
}

class MountSharingTest : public MountFixture {};

// allow_other lets every local user in: without the kernel's checks, a 0600 file of root
// was readable and writable by anyone.
TEST_F(MountSharingTest, AllowOtherChecksModesAndOwners) {
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "allow_other"}));
  ASSERT_EQ(WriteThrough(Path("secret"), "root only"), 0);
  ASSERT_EQ(chmod(Path("secret").c_str(), 0600), 0);
  ASSERT_EQ(WriteThrough(Path("public"), "everyone reads"), 0);
  ASSERT_EQ(chmod(Path("public").c_str(), 0644), 0);
  struct stat st{};
  ASSERT_EQ(stat(Path("secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getuid());
  EXPECT_EQ(AsUser(kNobody, [&] { return TryOpen(Path("secret"), O_RDONLY); }), EACCES);
  EXPECT_EQ(AsUser(kNobody, [&] { return TryOpen(Path("public"), O_RDONLY); }), 0);
  EXPECT_EQ(AsUser(kNobody, [&] { return TryOpen(Path("public"), O_WRONLY); }), EACCES);
  EXPECT_EQ(AsUser(kNobody, [&] { return unlink(Path("public").c_str()) == 0 ? 0 : errno; }),
            EACCES);
  EXPECT_EQ(AsUser(kNobody, [&] { return TryOpen(Path("new"), O_CREAT | O_WRONLY); }), EACCES);
  // The same through setpriv, as an administrator would try it.
  std::string out;
  EXPECT_NE(RunCommand({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat",
                        Path("secret")}, &out), 0) << out;
  EXPECT_EQ(BytesOf(*store_, "b", "public"), "everyone reads");
  EXPECT_EQ(BytesOf(*store_, "b", "new").rfind("<error", 0), 0u);
}

// -o no_default_permissions is the explicit way back to no checks at all.
TEST_F(MountSharingTest, NoDefaultPermissionsTurnsTheChecksOff) {
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "allow_other,no_default_permissions"}));
  ASSERT_EQ(WriteThrough(Path("secret"), "root only"), 0);
  ASSERT_EQ(chmod(Path("secret").c_str(), 0600), 0);
  EXPECT_EQ(AsUser(kNobody, [&] { return TryOpen(Path("secret"), O_RDONLY); }), 0);
}

// Any S3 writer sets X-Amz-Meta-Mode/Uid/Gid: a "setuid root" object must not become a real
// one when root copies it out with cp -a.
TEST_F(MountSharingTest, MetadataOwnerAndSetuidBitsNeedTrust) {
  ObjectMeta planted = Meta("planted");
  planted.headers["X-Amz-Meta-Mode"] = {std::to_string(S_IFREG | 06755)};
  planted.headers["X-Amz-Meta-Uid"] = {"4321"};
  planted.headers["X-Amz-Meta-Gid"] = {"4321"};
  ASSERT_TRUE(store_->PutBytes("b", planted, "#!/bin/sh\n").ok());
  planted.name = "planted2";
  ASSERT_TRUE(store_->PutBytes("b", planted, "#!/bin/sh\n").ok());
  ASSERT_TRUE(Mount());
  struct stat st{};
  ASSERT_EQ(stat(Path("planted").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getuid());
  EXPECT_EQ(st.st_gid, getgid());
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  std::string out;
  ASSERT_EQ(RunCommand({"cp", "-a", Path("planted"), work_->File("copy")}, &out), 0) << out;
  ASSERT_EQ(stat(work_->File("copy").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07000, 0u);

  // Nor does the mount write such bits, not even for root, and new content drops the old.
  ASSERT_EQ(WriteThrough(Path("mine"), "x"), 0);
  ASSERT_EQ(chmod(Path("mine").c_str(), 04755), 0);
  EXPECT_EQ(StoredMode(*store_, "mine"), static_cast<uint32_t>(S_IFREG | 0755));
  ASSERT_EQ(TryOpen(Path("made-suid"), O_CREAT | O_WRONLY, 04755), 0);
  EXPECT_EQ(StoredMode(*store_, "made-suid") & 07000, 0u);
  ASSERT_EQ(WriteThrough(Path("planted"), "rewritten"), 0);
  EXPECT_EQ(StoredMode(*store_, "planted"), static_cast<uint32_t>(S_IFREG | 0755));

  // Opted in, the headers say it all.
  Unmount();
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "trust_metadata_owner"}));
  ASSERT_EQ(stat(Path("planted2").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4321u);
  EXPECT_EQ(st.st_gid, 4321u);
  EXPECT_EQ(st.st_mode & 07777, 06755u);
}

// Users who may write still cannot leave setuid files behind for anyone but themselves.
TEST_F(MountSharingTest, WritersCannotStoreSetuidBitsForOthers) {
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "allow_other,umask=0"}));
  ASSERT_EQ(WriteThrough(Path("roots"), "x"), 0);
  EXPECT_EQ(AsUser(kNobody, [&] {
              umask(0);
              return TryOpen(Path("by-nobody"), O_CREAT | O_WRONLY | O_EXCL, 06777);
            }), 0);
  EXPECT_EQ(StoredMode(*store_, "by-nobody"), static_cast<uint32_t>(S_IFREG | 0777));
  EXPECT_EQ(AsUser(kNobody, [&] { return TryChmod(Path("roots"), 04777); }), EPERM);
  EXPECT_EQ(StoredMode(*store_, "roots") & 07000, 0u);

  // Trusted owners: a file is its creator's, and only its owner may make it setuid.
  Unmount();
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "allow_other,umask=0,trust_metadata_owner"}));
  EXPECT_EQ(AsUser(kNobody, [&] {
              int err = TryOpen(Path("own"), O_CREAT | O_WRONLY | O_EXCL, 0755);
              return err != 0 ? err : TryChmod(Path("own"), 04755);
            }), 0);
  struct stat st{};
  ASSERT_EQ(stat(Path("own").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(AsUser(kNobody, [&] { return TryChmod(Path("roots"), 04777); }), EPERM);
  EXPECT_EQ(StoredMode(*store_, "roots") & 07000, 0u);
}

// Names other NATS clients wrote that cannot be file names are shown escaped: each object
// once ("a\0x" used to show as a second "a"), and reachable through that name.
TEST_F(MountSharingTest, OddObjectNamesShowOnceEscapedAndWork) {
  const std::vector<std::pair<std::string, std::string>> objects = {
      {"a", "plain"},          {"a\0x"s, "nul"},      {"dir//b", "empty component"},
      {"/lead", "leading /"}, {"./dot", "dot dir"},  {"..", "dot-dot"},
      {"%00", "percent"},      {"100%", "plain percent"}};
  for (const auto& [name, data] : objects) {
    ASSERT_TRUE(store_->PutBytes("b", Meta(name), data).ok()) << name;
  }
  ASSERT_TRUE(Mount());
  // (Malformed UTF-8 would show as %HH too, but the store's JSON records cannot keep it.)
  EXPECT_EQ(ListNames(mnt_->path()), Sorted({".", "..", "%", "%2500", "%2E", "%2E%2E", "100%",
                                              "a", "a%00x", "dir"}));
  EXPECT_EQ(ListNames(Path("dir")), Sorted({".", "..", "%"}));
  EXPECT_EQ(ListNames(Path("dir/%")), Sorted({".", "..", "b"}));
  const std::vector<std::pair<std::string, std::string>> shown = {
      {"a", "plain"},     {"a%00x", "nul"},      {"dir/%/b", "empty component"},
      {"%/lead", "leading /"}, {"%2E/dot", "dot dir"}, {"%2E%2E", "dot-dot"},
      {"%2500", "percent"},    {"100%", "plain percent"}};
  for (const auto& [path, data] : shown) EXPECT_EQ(ReadFile(Path(path)), data) << path;

  // Deleting one removes that object only; new files take escaped names too.
  ASSERT_EQ(unlink(Path("a%00x").c_str()), 0);
  EXPECT_FALSE(store_->GetInfo("b", "a\0x"s).ok());
  EXPECT_EQ(BytesOf(*store_, "b", "a"), "plain");
  ASSERT_EQ(unlink(Path("%/lead").c_str()), 0);
  EXPECT_FALSE(store_->GetInfo("b", "/lead").ok());
  ASSERT_EQ(WriteThrough(Path("new%00name"), "made"), 0);
  EXPECT_EQ(BytesOf(*store_, "b", "new\0name"s), "made");
  // A name that is no shown spelling (malformed UTF-8 from the kernel) names nothing.
  EXPECT_EQ(TryOpen(Path("raw\xFF"), O_CREAT | O_WRONLY), EINVAL);
  EXPECT_EQ(TryOpen(Path("%2E/%"), O_CREAT | O_WRONLY), EINVAL);  // "" is only a directory
}

}  // namespace
}  // namespace natss3::test
