// Bucket-level subcommands: add, edit, info/status, ls, seal, del, watch.
#include <algorithm>
#include <chrono>

#include "commands.h"
#include "format.h"
#include "views.h"

namespace natss3::cli {
namespace {

// Applies the flags that were given to `config` (add: defaults; edit: the current status).
void ApplyBucketFlags(const Invocation& inv, BucketConfig* config) {
  if (inv.ttl) config->ttl = *inv.ttl;
  if (inv.replicas) config->replicas = *inv.replicas;
  if (inv.max_bucket_size) config->max_bytes = *inv.max_bucket_size;
  if (inv.description) config->description = *inv.description;
  if (inv.storage) config->storage = *inv.storage;
  if (inv.compress) config->compression = *inv.compress;
  if (inv.metadata) config->metadata = *inv.metadata;
  if (inv.tags || inv.cluster) {
    Placement placement = config->placement.value_or(Placement{});
    if (inv.tags) placement.tags = *inv.tags;
    if (inv.cluster) placement.cluster = *inv.cluster;
    config->placement = placement;
  }
}

Status SealedError(const std::string& bucket) {
  return FailedPrecondition("bucket \"" + bucket + "\" is sealed");
}

}  // namespace

Status RunAdd(Session& s) {
  BucketConfig config;
  config.bucket = s.inv.args[0];
  ApplyBucketFlags(s.inv, &config);
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, store->CreateBucket(config));
  PrintBucket(s, status);
  return Status::OK();
}

Status RunEdit(Session& s) {
  NATSS3_ASSIGN_OR_RETURN(BucketStatus current, RequireBucket(s, s.inv.args[0]));
  if (current.sealed) return SealedError(current.bucket);
  BucketConfig config;
  config.bucket = current.bucket;
  config.description = current.description;
  config.ttl = current.ttl;
  config.max_bytes = current.max_bytes;
  config.storage = current.storage;
  config.replicas = current.replicas;
  config.placement = current.placement;
  config.compression = current.is_compressed;
  for (const auto& [k, v] : current.metadata) {
    if (k.rfind("_nats.", 0) != 0) config.metadata[k] = v;
  }
  ApplyBucketFlags(s.inv, &config);
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, store->UpdateBucket(config));
  PrintBucket(s, status);
  return Status::OK();
}

namespace {

// natscli's "Select a Bucket" prompt, for `info` without a BUCKET (app.cc allows that only on
// a terminal).
Result<std::string> PickBucket(Session& s) {
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  NATSS3_ASSIGN_OR_RETURN(std::vector<BucketStatus> buckets, store->ListBuckets());
  std::vector<std::string> names;
  for (const auto& b : buckets) names.push_back(b.bucket);
  if (names.empty()) return NotFound("no Object Store buckets found");
  std::sort(names.begin(), names.end());
  NATSS3_ASSIGN_OR_RETURN(size_t chosen, s.console.Choose("Select a Bucket", names));
  return names[chosen];
}

}  // namespace

Status RunInfo(Session& s) {
  std::string bucket;
  if (s.inv.args.empty()) {
    NATSS3_ASSIGN_OR_RETURN(bucket, PickBucket(s));
  } else {
    bucket = s.inv.args[0];
  }
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, RequireBucket(s, bucket));
  if (s.inv.args.size() < 2) {
    PrintBucket(s, status);
    return Status::OK();
  }
  NATSS3_ASSIGN_OR_RETURN(ObjectInfo info, RequireObject(s, bucket, s.inv.args[1]));
  PrintObject(s, info);
  return Status::OK();
}

Status RunLs(Session& s) {
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  std::ostream& out = s.console.out;
  if (s.inv.args.empty()) {
    NATSS3_ASSIGN_OR_RETURN(std::vector<BucketStatus> buckets, store->ListBuckets());
    if (s.inv.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& b : buckets) list.push_back(s.inv.names_only ? nlohmann::json(b.bucket) : BucketJson(b));
      out << JsonText(list);
    } else if (s.inv.names_only) {
      for (const auto& b : buckets) out << b.bucket << "\n";
    } else if (buckets.empty()) {
      out << "No Object Store buckets found\n";
    } else {
      out << BucketListText(buckets, Clock::now());
    }
    return Status::OK();
  }
  const std::string& bucket = s.inv.args[0];
  NATSS3_RETURN_IF_ERROR(RequireBucket(s, bucket).status());
  NATSS3_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store->List(bucket));
  if (s.inv.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& o : objects) list.push_back(s.inv.names_only ? nlohmann::json(o.name()) : ObjectJson(o));
    out << JsonText(list);
  } else if (s.inv.names_only) {
    for (const auto& o : objects) out << o.name() << "\n";
  } else if (objects.empty()) {
    out << "No entries found\n";
  } else {
    out << ContentsText(objects);
  }
  return Status::OK();
}

Status RunSeal(Session& s) {
  const std::string& bucket = s.inv.args[0];
  NATSS3_ASSIGN_OR_RETURN(BucketStatus current, RequireBucket(s, bucket));
  if (!s.inv.force) {
    NATSS3_ASSIGN_OR_RETURN(
        bool yes, s.console.Confirm("Really seal Bucket " + bucket +
                                    ", sealed buckets can not be unsealed or modified"));
    if (!yes) return Status::OK();
  }
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  NATSS3_ASSIGN_OR_RETURN(BucketStatus status, store->SealBucket(bucket));
  if (!s.inv.json) s.console.out << bucket << " has been sealed\n";
  PrintBucket(s, status);
  return Status::OK();
}

Status RunDel(Session& s) {
  const std::string& bucket = s.inv.args[0];
  NATSS3_ASSIGN_OR_RETURN(BucketStatus current, RequireBucket(s, bucket));
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  if (s.inv.args.size() == 1) {
    if (!s.inv.force) {
      NATSS3_ASSIGN_OR_RETURN(bool yes, s.console.Confirm("Delete bucket " + bucket + " and all its files?"));
      if (!yes) {
        s.console.out << "Skipping delete\n";
        return Status::OK();
      }
    }
    return store->DeleteBucket(bucket);
  }
  const std::string& name = s.inv.args[1];
  if (current.sealed) return SealedError(bucket);
  if (!s.inv.force) {
    NATSS3_ASSIGN_OR_RETURN(ObjectInfo info, RequireObject(s, bucket, name));
    NATSS3_ASSIGN_OR_RETURN(bool yes, s.console.Confirm("Delete " + IBytes(info.size) + " byte file " +
                                                        bucket + " > " + name + "?"));
    if (!yes) {
      s.console.out << "Skipping delete\n";
      return Status::OK();
    }
  }
  Status deleted = store->Delete(bucket, name);
  if (deleted.code() == Code::kNotFound) return NotFound("object " + bucket + " > " + name + " not found");
  NATSS3_RETURN_IF_ERROR(deleted);
  NATSS3_ASSIGN_OR_RETURN(BucketStatus after, RequireBucket(s, bucket));
  if (!s.inv.json) s.console.out << "Removed " << bucket << " > " << name << "\n";
  PrintBucket(s, after);
  return Status::OK();
}

Status RunWatch(Session& s) {
  const std::string& bucket = s.inv.args[0];
  NATSS3_RETURN_IF_ERROR(RequireBucket(s, bucket).status());
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  WatchOptions options;
  options.include_history = true;
  NATSS3_ASSIGN_OR_RETURN(std::unique_ptr<Watcher> watcher, store->Watch(bucket, options));
  while (!Interrupted()) {
    auto event = watcher->Next(std::chrono::milliseconds(250));
    if (!event.ok()) {
      if (event.status().code() == Code::kDeadlineExceeded) continue;
      if (event.status().code() == Code::kCancelled) break;
      return event.status();
    }
    if (event->kind == WatchEvent::Kind::kEndOfInitial) continue;
    if (s.inv.json) {
      nlohmann::json line = ObjectJson(event->info);
      line["operation"] = event->info.deleted ? "DEL" : "PUT";
      s.console.out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      s.console.out << WatchLine(event->info, s.color) << "\n";
    }
    s.console.out.flush();
    if (!s.console.out) return Internal("writing output failed");
  }
  watcher->Stop();
  return Status::OK();
}

}  // namespace natss3::cli
