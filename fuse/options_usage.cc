// natss3fs --help text (kept apart from the parser: options.cc).
#include "options.h"

namespace natss3::fs {

std::string UsageText() {
  return R"(usage: natss3fs [options] [SOURCE] MOUNTPOINT

Mounts NATS JetStream object-store buckets: every bucket as a directory, or one bucket
(--bucket B, or SOURCE=B as mount(8) passes it; SOURCE "all" means every bucket).
Every flag --name VALUE is also -o name=VALUE (dashes become underscores).

NATS connection (as natss3ctl and the nats CLI; each setting from the flag, else the
environment, else the nats CLI context, else a local natss3d's context, else
nats://127.0.0.1:4222):
  --server URLS          comma-separated server URLs (env NATS_URL)
  --context NAME         nats CLI context (env NATS_CONTEXT, else the selected one)
  --creds FILE           JWT .creds file (env NATS_CREDS)
  --nkey FILE            nkey seed file (env NATS_NKEY)
  --user U               user (env NATS_USER)
  -o password_file=FILE  password read from FILE (env NATS_PASSWORD)
  -o token_file=FILE     token read from FILE (env NATS_TOKEN)
  --password P, --token T  work too, but other users can read them in ps until natss3fs
                         starts (it then overwrites them in its argv): prefer the above
  --tlscert/--tlskey/--tlsca FILE  TLS client certificate, key, CA (env NATS_CERT, ...)
  --timeout DURATION     request timeout, e.g. 5s, 1m (env NATS_TIMEOUT; default 5s)
  --js-domain D          JetStream domain
  Deprecated: -s URLS (now --server; -s alone is FUSE's single-thread flag), --tls-ca,
  --tls-cert, --tls-key (now --tlsca, ...), --timeout MS as a plain number of milliseconds.
  -s takes a value only when it looks like a server: it has "://" or is HOST:PORT.

Sharing (see SEMANTICS.md):
  -o allow_other         let every user use the mount; implies default_permissions
  -o allow_root          let root use it too; implies default_permissions
  -o default_permissions the kernel checks modes and owners (the default with the above)
  -o no_default_permissions  no checks at all: every user who can reach the mount can
                         read, overwrite and delete every file
  -o uid=N,gid=N         owner of every file (default: the mounting user)
  -o umask=OOO           permission bits cleared from files without a mode header (022)
  -o trust_metadata_owner  show the owner (X-Amz-Meta-Uid/Gid) and setuid, setgid and sticky
                         bits that objects' headers say; only when every S3 and NATS writer
                         of the bucket is trusted as much as root. Off: files show uid/gid
                         above and mode & 0777, and the mount never writes those bits.

FUSE:
  -f, --foreground       stay in the foreground      -d, --debug   trace FUSE requests
  -s                     single-threaded (one request at a time)
  -o auto_unmount        unmount when natss3fs exits (also when killed)
  -o max_read=N, fsname=NAME, subtype=NAME, noexec, nosuid, nodev, noatime, ro
                         as for any FUSE file system (mounts are always nosuid,nodev)
  --dry-run              check the command line and the mount point, then exit 0 without
                         connecting or mounting (what `mount -f` does through mount.natss3fs)

Mount:
  --bucket B             mount only bucket B
  --cache-dir DIR        staging files (default $TMPDIR or /tmp)
  --cache-size SIZE      staging space limit, e.g. 2G (default 1G)
  -o OPTIONS             also: threads=N, readahead_kb=N (kernel readahead, default 1024),
                         read_timeout=DURATION (default 10s), read_window=N and
                         read_window_max=N (chunk fetches in flight per sequential reader: up
                         to max (32) while few files are read, down to N (8) when many are),
                         chunk_size=SIZE (of the objects written, default 128K; capped at the
                         server's max_payload), max_file_size=SIZE (EFBIG beyond; default the
                         bucket's max_bytes, else 1T), gc_interval=DURATION (garbage
                         collection of orphan chunks, default 60s, 0 = off), gc_grace=DURATION
                         (orphans younger than this are kept, default 60s),
                         release_grace=DURATION (versions this mount replaced stay readable
                         for other clients this long, default 30s), write_budget=DURATION
                         (a close or fsync waits this long for NATS to acknowledge
                         anything before EIO, default 30s). A plain number in these
                         durations is milliseconds. Generic mount options (_netdev, nofail,
                         defaults, ...) are ignored. In -o lists, "\," is a comma in a value.
Unmount with: fusermount3 -u MOUNTPOINT (open files are flushed first).
)";
}

}  // namespace natss3::fs
