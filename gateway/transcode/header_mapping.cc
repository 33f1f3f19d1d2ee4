#include "gateway/transcode/header_mapping.h"

#include <openssl/sha.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/text/text.h"

namespace training::gateway::transcode {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string FormatUuid(const unsigned char* b) {
  return absl::StrFormat(
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
}

// RFC 4122 §4.3: SHA-1 of the namespace's 16 bytes and the name.
std::string UuidV5(absl::string_view namespace_uuid, absl::string_view name) {
  std::string ns_bytes =
      absl::HexStringToBytes(absl::StrReplaceAll(namespace_uuid, {{"-", ""}}));
  std::string input = ns_bytes + std::string(name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
       digest);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  return FormatUuid(digest);
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

const FieldDescriptor* StringField(const Message& message, const char* name) {
  const FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->is_repeated() ||
      field->type() != FieldDescriptor::TYPE_STRING) {
    return nullptr;
  }
  return field;
}

// "abc" from `"abc"` or `W/"abc"`; nullopt when not an entity tag.
std::optional<std::string> Unquote(absl::string_view tag) {
  tag = absl::StripAsciiWhitespace(tag);
  absl::ConsumePrefix(&tag, "W/");
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') {
    return std::nullopt;
  }
  return std::string(tag.substr(1, tag.size() - 2));
}

}  // namespace

absl::StatusOr<std::string> RequestIdForKey(absl::string_view key,
                                            absl::string_view authorization) {
  if (key.empty() || key.size() > 255) {
    return InvalidArgumentError(
        {{"Idempotency-Key", "must be 1 to 255 characters"}});
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7E) {
      return InvalidArgumentError(
          {{"Idempotency-Key", "must be visible ASCII characters"}});
    }
  }
  if (authorization.empty()) {
    // Nothing to scope it by: only a random UUID keeps one anonymous
    // caller from replaying another's request (and reading its answer).
    // A version 4 UUID (its version digit 4, its variant 8, 9, a or b).
    if (!text::IsUuid(key) || key[14] != '4' ||
        absl::string_view("89abAB").find(key[19]) == absl::string_view::npos) {
      return InvalidArgumentError(
          {{"Idempotency-Key",
            "without credentials, must be a random UUID (version 4)"}});
    }
    return absl::AsciiStrToLower(key);
  }
  return UuidV5(kIdempotencyNamespace,
                absl::StrCat(Sha256Hex(authorization), ":", key));
}

absl::Status ApplyIdempotencyKey(const Route& route, absl::string_view key,
                                 absl::string_view authorization,
                                 Message* request) {
  if (route.request_id == nullptr) {
    if (route.http_method == "GET" || route.http_method == "DELETE") {
      return absl::OkStatus();
    }
    return InvalidArgumentError(
        {{"Idempotency-Key",
          "this operation takes no idempotency key: it has no request_id"}});
  }
  auto request_id = RequestIdForKey(key, authorization);
  if (!request_id.ok()) return request_id.status();
  const auto* reflection = request->GetReflection();
  if (reflection->GetString(*request, route.request_id).empty()) {
    reflection->SetString(request, route.request_id, *request_id);
  }
  return absl::OkStatus();
}

absl::Status ApplyIfMatch(const Route& route, absl::string_view if_match,
                          Message* request) {
  if_match = absl::StripAsciiWhitespace(if_match);
  if (if_match == "*") return absl::OkStatus();
  if (absl::StrContains(if_match, ',')) {
    return InvalidArgumentError(
        {{"If-Match", "give one entity tag: the one last read"}});
  }
  if (absl::StartsWith(if_match, "W/")) {
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never
    // matches, so the precondition fails.
    return WithErrorInfo(
        absl::AbortedError("If-Match: a weak entity tag never matches"),
        "ETAG_MISMATCH");
  }
  std::optional<std::string> etag = Unquote(if_match);
  if (!etag.has_value()) {
    return InvalidArgumentError(
        {{"If-Match", "must be a quoted entity tag, as ETag gave it"}});
  }
  Message* holder = request;
  const FieldDescriptor* field = StringField(*request, "etag");
  if (field == nullptr && route.body == Route::Body::kField &&
      route.body_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
      !route.body_field->is_repeated()) {
    holder =
        request->GetReflection()->MutableMessage(request, route.body_field);
    field = StringField(*holder, "etag");
  }
  if (field == nullptr) {
    if (route.http_method == "GET") return absl::OkStatus();
    return InvalidArgumentError({{"If-Match", "this operation takes no etag"}});
  }
  const auto* reflection = holder->GetReflection();
  const std::string current = reflection->GetString(*holder, field);
  if (!current.empty() && current != *etag) {
    return InvalidArgumentError(
        {{"If-Match", "differs from the etag in the body"}});
  }
  reflection->SetString(holder, field, *etag);
  return absl::OkStatus();
}

std::string EtagOf(const Message& message) {
  const FieldDescriptor* field = StringField(message, "etag");
  return field == nullptr ? std::string()
                          : message.GetReflection()->GetString(message, field);
}

std::string EtagHeader(absl::string_view etag) {
  return absl::StrCat("\"", etag, "\"");
}

void ApplyIfNoneMatch(const Route& route, absl::string_view if_none_match,
                      Message* request) {
  if (route.http_method != "GET" || absl::StrContains(if_none_match, ',')) {
    return;
  }
  const FieldDescriptor* field = StringField(*request, "if_none_match");
  std::optional<std::string> etag = Unquote(if_none_match);
  if (field == nullptr || !etag.has_value() || etag->empty()) return;
  request->GetReflection()->SetString(request, field, *etag);
}

bool IfNoneMatchHits(absl::string_view if_none_match, absl::string_view etag) {
  if (etag.empty()) return false;
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    if (absl::StripAsciiWhitespace(tag) == "*") return true;
    std::optional<std::string> value = Unquote(tag);
    if (value.has_value() && *value == etag) return true;
  }
  return false;
}

}  // namespace training::gateway::transcode
