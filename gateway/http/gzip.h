#ifndef TRAINING_GATEWAY_HTTP_GZIP_H_
#define TRAINING_GATEWAY_HTTP_GZIP_H_

// gzip (RFC 1952) of response bodies, with zlib, and the Accept-Encoding
// check that says whether a client takes it.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace training::gateway::http {

// Whether an Accept-Encoding value accepts gzip (named, or `*`, with a
// q-value above zero).
bool AcceptsGzip(absl::string_view accept_encoding);

// `data` gzipped; nullopt if zlib fails (the caller sends it plain).
std::optional<std::string> Gzip(absl::string_view data);

// The inverse, for tests and clients; nullopt when `data` is not gzip.
std::optional<std::string> Gunzip(absl::string_view data);

}  // namespace training::gateway::http

#endif  // TRAINING_GATEWAY_HTTP_GZIP_H_
