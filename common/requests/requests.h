#ifndef TRAINING_COMMON_REQUESTS_REQUESTS_H_
#define TRAINING_COMMON_REQUESTS_REQUESTS_H_

// What every service does with list and create requests: page sizes,
// opaque keyset page tokens bound to the request's filters, and the
// fingerprint that tells an idempotent retry from a different request that
// reuses its id, and the one replay check built on it.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace training::requests {

// The page size to use: 0 → `default_size`, above `max_size` → `max_size`;
// INVALID_ARGUMENT on `page_size` when negative.
absl::StatusOr<int> EffectivePageSize(int page_size, int default_size = 50,
                                      int max_size = 200);

// A keyset position: the sort key and name of the last item of a page.
struct PageKey {
  std::string sort_key;
  std::string name;
};

// Opaque, URL-safe; bound to `filters` (see FiltersFingerprint).
std::string EncodePageToken(const PageKey& key, absl::string_view filters);

// The key of a token made for the same `filters`. INVALID_ARGUMENT on
// `page_token` when it is malformed or made for other filters.
absl::StatusOr<PageKey> DecodePageToken(absl::string_view token,
                                        absl::string_view filters);

// The request with its paging fields (`page_size`, `page_token`) cleared,
// serialised deterministically: what a page token is bound to.
std::string FiltersFingerprint(const google::protobuf::Message& request);

// SHA-256 (hex) of the whole request serialised deterministically: two
// requests with one id are the same request exactly when these match.
std::string RequestFingerprint(const google::protobuf::Message& request);

// What an idempotent create keeps for its request_id (request_records.h
// keeps it in SQL).
struct RequestRecord {
  std::string fingerprint;  // of the request that first used the id
  std::string resource;     // name of what it created
};

// INVALID_ARGUMENT on `request_id`, reason REQUEST_ID_REUSED: the id was
// used before for a different request.
absl::Status RequestIdReusedError();

// The replay check of every idempotent operation. `record` is what was kept
// for the request's id (any type with a `fingerprint`), nullopt when nothing
// was. Returns null for a fresh request, the record for a retry of the same
// request (answer as the first time), and RequestIdReusedError when the id
// was used for a different request.
template <typename Record>
absl::StatusOr<const Record*> Replayed(const std::optional<Record>& record,
                                       absl::string_view fingerprint) {
  if (!record) return nullptr;
  if (record->fingerprint != fingerprint) return RequestIdReusedError();
  return &*record;
}

}  // namespace training::requests

#endif  // TRAINING_COMMON_REQUESTS_REQUESTS_H_
