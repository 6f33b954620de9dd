// gc: reports (and with --purge reclaims) data of a bucket that nothing references.
#include <nlohmann/json.hpp>

#include "commands.h"
#include "format.h"

namespace natss3::cli {
namespace {

nlohmann::json ReportJson(const std::string& bucket, const GcReport& r, bool purge) {
  nlohmann::json orphans = nlohmann::json::array();
  for (const auto& o : r.orphans) {
    orphans.push_back({{"nuid", o.nuid}, {"messages", o.messages}, {"bytes", o.bytes},
                       {"age_ms", o.age.count()}, {"purged", o.purged}});
  }
  return {{"bucket", bucket},
          {"dry_run", !purge},
          {"chunk_subjects", r.chunk_subjects},
          {"referenced", r.referenced},
          {"orphans", orphans},
          {"purged_messages", r.purged_messages},
          {"stale_pins", r.stale_pins},
          {"orphan_part_records", r.orphan_part_records},
          {"interrupted_renames", r.renames_resolved},
          {"interrupted_completions", r.uploads_finished},
          {"stream_bytes_before", r.stream_bytes_before},
          {"stream_bytes_after", r.stream_bytes_after}};
}

void PrintReport(Session& s, const std::string& bucket, const GcReport& r, bool purge) {
  auto& out = s.console.out;
  out << (purge ? "Garbage collection of " : "Garbage found in ") << bucket
      << (purge ? "" : " (dry run: nothing purged; --purge to reclaim)") << "\n\n";
  out << "  Chunk subjects: " << r.chunk_subjects << " (" << r.referenced << " referenced)\n";
  uint64_t bytes = 0;
  for (const auto& o : r.orphans) {
    out << "  Orphan " << o.nuid << ": " << o.messages << " chunks, ~" << IBytes(o.bytes)
        << ", newest " << HumanizeDuration(o.age) << " old"
        << (o.purged ? ", purged" : (purge ? ", kept (younger than the grace)" : "")) << "\n";
    bytes += o.bytes;
  }
  if (r.orphans.empty()) out << "  No orphan chunks\n";
  else out << "  Orphans: " << r.orphans.size() << ", ~" << IBytes(bytes) << "\n";
  if (r.stale_pins) out << "  Pins of processes that are gone: " << r.stale_pins << "\n";
  if (r.orphan_part_records)
    out << "  Part records of uploads that are gone: " << r.orphan_part_records << "\n";
  if (r.renames_resolved) out << "  Interrupted renames: " << r.renames_resolved << "\n";
  if (r.uploads_finished) out << "  Interrupted multipart completions: " << r.uploads_finished << "\n";
  if (purge) {
    out << "  Stream size: " << IBytes(r.stream_bytes_before) << " -> "
        << IBytes(r.stream_bytes_after) << "\n";
  }
}

}  // namespace

Status RunGc(Session& s) {
  const std::string& bucket = s.inv.args[0];
  NATSS3_ASSIGN_OR_RETURN(BucketStatus current, RequireBucket(s, bucket));
  NATSS3_ASSIGN_OR_RETURN(ObjectStore * store, s.Connect());
  GcOptions options;
  options.purge = s.inv.purge;
  options.grace = s.inv.grace;
  NATSS3_ASSIGN_OR_RETURN(GcReport report, store->CollectGarbage(bucket, options));
  if (s.inv.json) {
    s.console.out << ReportJson(bucket, report, s.inv.purge).dump(2) << "\n";
  } else {
    PrintReport(s, bucket, report, s.inv.purge);
  }
  return Status::OK();
}

}  // namespace natss3::cli
