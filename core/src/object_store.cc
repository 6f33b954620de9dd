// Convenience methods of ObjectStore built on the streaming primitives.
#include "natss3/object_store.h"

namespace natss3 {

Result<ObjectInfo> ObjectStore::PutBytes(std::string_view bucket, const ObjectMeta& meta,
                                         std::string_view data, const PutOptions& options) {
  NATSS3_ASSIGN_OR_RETURN(auto writer, NewWriter(bucket, meta, options));
  NATSS3_RETURN_IF_ERROR(writer->Write(data));
  return writer->Commit();
}

Result<ObjectInfo> ObjectStore::UpdateMeta(std::string_view bucket, std::string_view name,
                                           const ObjectMeta& meta) {
  return ModifyMeta(bucket, name, [&meta, name](ObjectInfo& info) {
    info.meta.name = meta.name.empty() ? std::string(name) : meta.name;
    info.meta.description = meta.description;
    info.meta.headers = meta.headers;
    info.meta.metadata = meta.metadata;
    return Status::OK();
  });
}

Result<std::string> ObjectStore::GetBytes(std::string_view bucket, std::string_view name) {
  NATSS3_ASSIGN_OR_RETURN(auto reader, Open(bucket, name));
  std::string out;
  out.reserve(reader->info().size);
  char buf[64 * 1024];
  for (;;) {
    NATSS3_ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof(buf)));
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace natss3
