// SigV4 signing: the client side of sigv4.cc, used as test oracle and for presigned URLs.
#include "auth/sigv4_signer.h"

#include <algorithm>

namespace natss3::s3 {
namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Scope(const std::string& amz_date, const SigningParams& params) {
  return amz_date.substr(0, 8) + "/" + params.region + "/s3/aws4_request";
}

std::string HexSize(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

}  // namespace

std::string SignRequest(std::string_view method, std::string_view raw_path,
                        std::string_view raw_query, HeaderMap& headers,
                        std::string_view payload_hash, const SigningParams& params,
                        std::string* seed_signature) {
  std::string amz_date = FormatAmzDate(params.time);
  headers["x-amz-date"] = amz_date;
  headers["x-amz-content-sha256"] = std::string(payload_hash);
  std::vector<std::string> names;
  for (const auto& [name, value] : headers) {
    if (name != "authorization") names.push_back(name);
  }
  std::string canonical =
      CanonicalRequest(method, raw_path, raw_query, false, headers, names, payload_hash);
  std::string scope = Scope(amz_date, params);
  std::string key =
      DeriveSigningKey(params.secret_key, amz_date.substr(0, 8), params.region, "s3");
  std::string signature = SignatureHex(key, StringToSign(amz_date, scope, canonical));
  if (seed_signature != nullptr) *seed_signature = signature;
  std::string signed_names;
  for (const std::string& name : names) signed_names += (signed_names.empty() ? "" : ";") + name;
  return "AWS4-HMAC-SHA256 Credential=" + params.access_key + "/" + scope +
         ", SignedHeaders=" + signed_names + ", Signature=" + signature;
}

std::string PresignQuery(std::string_view method, std::string_view raw_path,
                         std::string_view raw_query, std::string_view host,
                         std::chrono::seconds expires, const SigningParams& params) {
  std::string amz_date = FormatAmzDate(params.time);
  std::string scope = Scope(amz_date, params);
  std::string query(raw_query);
  if (!query.empty()) query += "&";
  query += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
           UriEncode(params.access_key + "/" + scope, true) + "&X-Amz-Date=" + amz_date +
           "&X-Amz-Expires=" + std::to_string(expires.count()) + "&X-Amz-SignedHeaders=host";
  HeaderMap headers{{"host", std::string(host)}};
  std::string canonical =
      CanonicalRequest(method, raw_path, query, true, headers, {"host"}, "UNSIGNED-PAYLOAD");
  std::string key =
      DeriveSigningKey(params.secret_key, amz_date.substr(0, 8), params.region, "s3");
  return query + "&X-Amz-Signature=" + SignatureHex(key, StringToSign(amz_date, scope, canonical));
}

std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view chunk_data) {
  std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n";
  to_sign.append(amz_date).append("\n").append(scope).append("\n");
  to_sign.append(previous_signature).append("\n").append(kEmptySha256).append("\n");
  to_sign.append(Sha256Hex(chunk_data));
  return SignatureHex(signing_key, to_sign);
}

std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view previous_signature,
                             std::string_view trailer_lines) {
  std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n";
  to_sign.append(amz_date).append("\n").append(scope).append("\n");
  to_sign.append(previous_signature).append("\n").append(Sha256Hex(trailer_lines));
  return SignatureHex(signing_key, to_sign);
}

std::string EncodeAwsChunked(std::string_view payload, size_t chunk_size, PayloadMode mode,
                             const AuthContext& context, ChecksumAlgorithm trailer_algorithm) {
  bool is_signed = mode != PayloadMode::kStreamingUnsignedTrailer;
  bool trailer = mode != PayloadMode::kStreamingSigned;
  std::string out;
  std::string previous = context.seed_signature;
  auto emit_chunk = [&](std::string_view data) {
    out += HexSize(data.size());
    if (is_signed) {
      previous = ChunkSignature(context.signing_key, context.amz_date, context.scope, previous,
                                data);
      out += ";chunk-signature=" + previous;
    }
    out += "\r\n";
    out.append(data);
    if (!data.empty() || !trailer) out += "\r\n";
  };
  for (size_t pos = 0; pos < payload.size(); pos += chunk_size) {
    emit_chunk(payload.substr(pos, chunk_size));
  }
  emit_chunk({});
  if (trailer) {
    Checksum checksum(trailer_algorithm);
    checksum.Update(payload);
    std::string line =
        std::string(ChecksumHeaderName(trailer_algorithm)) + ":" + checksum.Base64();
    out += line + "\r\n";
    if (is_signed) {
      out += "x-amz-trailer-signature:" +
             TrailerSignature(context.signing_key, context.amz_date, context.scope, previous,
                              line + "\n") + "\r\n";
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace natss3::s3
