// AuthGate: the seam between the HTTP layer and s3d/auth: SigV4/SigV2 verification of a request
// (or of a POST form's policy signature) and the per-bucket permission check. Thread-safe: the
// credential store is immutable, and a reload swaps it whole (each request uses the store it
// started with).
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "auth/credentials.h"
#include "auth/post_policy.h"
#include "auth/sigv4.h"
#include "s3d/errors.h"
#include "s3d/routing.h"

namespace natss3::s3d {

class AuthGate {
 public:
  AuthGate(std::shared_ptr<const s3::CredentialStore> credentials, bool allow_anonymous);

  // Verifies the signature (header or presigned). Unsigned requests pass as anonymous; the
  // permission checks decide what they may do.
  S3Result<s3::AuthContext> Authenticate(const httplib::Request& req,
                                         const S3Address& address) const;
  // The signature of a POST Object form (over its policy field); anonymous forms pass only
  // when anonymous access is enabled, as in Authenticate.
  S3Result<s3::AuthContext> AuthenticatePost(const s3::FormFields& fields) const;
  // AccessDenied unless the key may read (read operations) or write (everything else) `bucket`;
  // anonymous requests are refused unless anonymous access is enabled (bucket and object ACLs
  // are checked by the caller, they live in the store).
  // ListBuckets is allowed for every authenticated key (it lists all buckets).
  S3Status Authorize(const s3::AuthContext& auth, Operation op, const std::string& bucket) const;
  // Whether the caller may bypass GOVERNANCE object-lock retention in `bucket` (a key with
  // write and bypass_governance grants; with authentication disabled, every caller).
  bool MayBypassGovernance(const s3::AuthContext& auth, const std::string& bucket) const;
  // Read permission check used for copy sources.
  S3Status AuthorizeRead(const s3::AuthContext& auth, const std::string& bucket) const;
  // SIGHUP: requests from now on are checked against `credentials`.
  void ReplaceCredentials(std::shared_ptr<const s3::CredentialStore> credentials);
  std::shared_ptr<const s3::CredentialStore> credentials() const { return credentials_.load(); }

 private:
  std::atomic<std::shared_ptr<const s3::CredentialStore>> credentials_;
  bool allow_anonymous_;
};

// Lower-case header map (repeated headers joined with ',') as s3/auth expects.
s3::HeaderMap ToHeaderMap(const httplib::Headers& headers);

}  // namespace natss3::s3d
