// Shared fixtures of the s3d_auth tests: the AWS documentation's example credentials and time.
#pragma once

#include <chrono>
#include <string>

#include "auth/credentials.h"
#include "auth/sigv4.h"

namespace natss3::s3::testing {

inline constexpr const char* kAccessKey = "AKIAIOSFODNN7EXAMPLE";
inline constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
inline constexpr const char* kAmzDate = "20130524T000000Z";
inline constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Fri, 24 May 2013 00:00:00 GMT: the timestamp of every AWS S3 SigV4 example.
inline std::chrono::system_clock::time_point ExampleTime() {
  return std::chrono::system_clock::from_time_t(1369353600);
}

inline CredentialStore ExampleStore() {
  CredentialStore store;
  (void)store.Add({kAccessKey, kSecretKey, {"*"}, {"*"}});
  return store;
}

// The streaming examples of sigv4-streaming.html / sigv4-streaming-trailers.html:
// PUT /examplebucket/chunkObject.txt with 66560 bytes of 'a' in chunks of 65536 and 1024.
inline RequestView StreamingExampleRequest(bool trailer) {
  RequestView request;
  request.method = "PUT";
  request.raw_path = "/examplebucket/chunkObject.txt";
  request.now = ExampleTime();
  request.headers = {
      {"host", "s3.amazonaws.com"},
      {"x-amz-date", kAmzDate},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"content-encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
  };
  if (trailer) {
    request.headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    request.headers["x-amz-trailer"] = "x-amz-checksum-crc32c";
    request.headers["authorization"] =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
        "Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
  } else {
    request.headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    request.headers["content-length"] = "66824";
    request.headers["authorization"] =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class,"
        "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  }
  return request;
}

}  // namespace natss3::s3::testing
