#include "common/requests/requests.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/api_keys.h"
#include "common/status/errors.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace training::requests {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

std::string DeterministicBytes(const Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace

absl::StatusOr<int> EffectivePageSize(int page_size, int default_size,
                                      int max_size) {
  if (page_size < 0) {
    return InvalidArgumentError({{"page_size", "must not be negative"}});
  }
  if (page_size == 0) return default_size;
  return std::min(page_size, max_size);
}

namespace {
// p2: each part base64-encoded, so that no value (an organisation holding
// the separator) can break the token; p1 (parts as they were) is still
// read, for tokens handed out before.
constexpr char kTokenVersion[] = "p2";
constexpr char kOldTokenVersion[] = "p1";
constexpr char kTokenSeparator = '\x1f';

// Stable across processes and builds, so that any replica accepts a token.
std::string Fingerprint(absl::string_view filters) {
  return auth::Sha256Hex(filters).substr(0, 16);
}
}  // namespace

std::string EncodePageToken(const PageKey& key, absl::string_view filters) {
  const std::string fingerprint = Fingerprint(filters);
  const std::string separator(1, kTokenSeparator);
  return absl::WebSafeBase64Escape(
      absl::StrCat(kTokenVersion, separator, fingerprint, separator,
                   absl::WebSafeBase64Escape(key.sort_key), separator,
                   absl::WebSafeBase64Escape(key.name)));
}

absl::StatusOr<PageKey> DecodePageToken(absl::string_view token,
                                        absl::string_view filters) {
  const absl::Status malformed = InvalidArgumentError(
      {{"page_token", "is not a token this list returned"}});
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return malformed;
  std::vector<std::string> parts = absl::StrSplit(raw, kTokenSeparator);
  if (parts.size() != 4 ||
      (parts[0] != kTokenVersion && parts[0] != kOldTokenVersion)) {
    return malformed;
  }
  if (parts[1] != Fingerprint(filters)) {
    return InvalidArgumentError(
        {{"page_token", "was made for a request with other filters"}});
  }
  PageKey key{parts[2], parts[3]};
  if (parts[0] == kTokenVersion &&
      (!absl::WebSafeBase64Unescape(parts[2], &key.sort_key) ||
       !absl::WebSafeBase64Unescape(parts[3], &key.name))) {
    return malformed;
  }
  return key;
}

std::string FiltersFingerprint(const Message& request) {
  std::unique_ptr<Message> copy(request.New());
  copy->CopyFrom(request);
  const Descriptor* descriptor = copy->GetDescriptor();
  for (const char* paging : {"page_size", "page_token"}) {
    if (const FieldDescriptor* field = descriptor->FindFieldByName(paging)) {
      copy->GetReflection()->ClearField(copy.get(), field);
    }
  }
  return DeterministicBytes(*copy);
}

std::string RequestFingerprint(const Message& request) {
  return auth::Sha256Hex(DeterministicBytes(request));
}

absl::Status RequestIdReusedError() {
  return WithErrorInfo(
      InvalidArgumentError(
          {{"request_id", "was already used for a different request"}}),
      "REQUEST_ID_REUSED");
}

}  // namespace training::requests
