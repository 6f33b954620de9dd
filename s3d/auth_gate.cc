// SigV4 and SigV2 verification and permission checks via s3d/auth.
#include "s3d/auth_gate.h"

#include "natss3/ascii.h"

namespace natss3::s3d {

AuthGate::AuthGate(std::shared_ptr<const s3::CredentialStore> credentials, bool allow_anonymous)
    : credentials_(std::move(credentials)), allow_anonymous_(allow_anonymous) {}

s3::HeaderMap ToHeaderMap(const httplib::Headers& headers) {
  s3::HeaderMap map;
  for (const auto& [name, value] : headers) {
    std::string lower = AsciiLower(name);
    auto it = map.find(lower);
    if (it == map.end()) map.emplace(std::move(lower), value);
    else it->second += "," + value;
  }
  return map;
}

void AuthGate::ReplaceCredentials(std::shared_ptr<const s3::CredentialStore> credentials) {
  credentials_.store(std::move(credentials));
}

S3Result<s3::AuthContext> AuthGate::Authenticate(const httplib::Request& req,
                                                 const S3Address& address) const {
  s3::RequestView view;
  view.method = req.method;
  view.raw_path = address.raw_path;
  view.raw_query = address.raw_query;
  view.headers = ToHeaderMap(req.headers);
  if (address.virtual_host) view.resource_prefix = "/" + address.bucket;
  auto credentials = credentials_.load();
  auto verified = s3::VerifyRequest(view, *credentials);
  if (!verified.ok()) return verified.error();
  // An unsigned request goes on as anonymous: Authorize refuses it unless anonymous access is
  // enabled, and a public bucket or object ACL may still grant it (S3Service::Dispatch).
  return std::move(verified).value();
}

S3Result<s3::AuthContext> AuthGate::AuthenticatePost(const s3::FormFields& fields) const {
  auto credentials = credentials_.load();
  auto verified = s3::VerifyPostSignature(fields, *credentials);
  if (!verified.ok()) return verified.error();
  if (verified->anonymous && !allow_anonymous_ && !credentials->AnonymousEnabled()) {
    return S3Error::AccessDenied("Anonymous access is disabled; sign the POST policy");
  }
  return std::move(verified).value();
}

S3Status AuthGate::Authorize(const s3::AuthContext& auth, Operation op,
                             const std::string& bucket) const {
  if (allow_anonymous_ && auth.anonymous) return {};
  auto credentials = credentials_.load();
  if (auth.anonymous && !credentials->AnonymousEnabled()) {
    return S3Error::AccessDenied("Anonymous access is disabled; sign the request");
  }
  if (op == Operation::kListBuckets) {
    if (!auth.anonymous || credentials->AnonymousEnabled()) return {};
    return S3Error::AccessDenied();
  }
  bool allowed = IsReadOperation(op) ? credentials->CanRead(auth.access_key, bucket)
                                     : credentials->CanWrite(auth.access_key, bucket);
  if (!allowed) return S3Error::AccessDenied();
  return {};
}

bool AuthGate::MayBypassGovernance(const s3::AuthContext& auth, const std::string& bucket) const {
  if (allow_anonymous_ && auth.anonymous) return true;
  if (auth.anonymous) return false;
  return credentials_.load()->CanBypassGovernance(auth.access_key, bucket);
}

S3Status AuthGate::AuthorizeRead(const s3::AuthContext& auth, const std::string& bucket) const {
  if (allow_anonymous_ && auth.anonymous) return {};
  if (!credentials_.load()->CanRead(auth.access_key, bucket)) return S3Error::AccessDenied();
  return {};
}

}  // namespace natss3::s3d
