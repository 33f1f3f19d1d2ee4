#include "common/runtime/call_context.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "common/random/unique_bytes.h"

namespace training::runtime {
namespace {

std::string RandomHex(size_t bytes) {
  return absl::BytesToHexString(random::UniqueBytes(bytes));
}

bool IsLowerHex(absl::string_view s, size_t length) {
  if (s.size() != length) return false;
  bool all_zero = true;
  for (char c : s) {
    if (!(absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
          (c >= 'a' && c <= 'f'))) {
      return false;
    }
    all_zero = all_zero && c == '0';
  }
  return !all_zero;
}

}  // namespace

TraceContext TraceContext::FromHeader(absl::string_view traceparent,
                                      absl::string_view tracestate) {
  TraceContext trace;
  std::vector<absl::string_view> parts = absl::StrSplit(traceparent, '-');
  if (parts.size() == 4 && parts[0] == "00" && IsLowerHex(parts[1], 32) &&
      IsLowerHex(parts[2], 16) && parts[3].size() == 2) {
    trace.trace_id = std::string(parts[1]);
    trace.flags = std::string(parts[3]);
    trace.tracestate = std::string(tracestate.substr(0, 512));
  } else {
    trace.trace_id = RandomHex(16);
  }
  trace.span_id = RandomHex(8);
  return trace;
}

std::string TraceContext::ToHeader() const {
  return absl::StrCat("00-", trace_id, "-", span_id, "-", flags);
}

std::string AcceptOrMintRequestId(absl::string_view from_metadata) {
  // A credential sent by mistake as a request id would travel on to every
  // service this call reaches and into their logs: mint one instead.
  bool ok = !from_metadata.empty() && from_metadata.size() <= 128 &&
            !log::LooksLikeCredential(from_metadata);
  for (char c : from_metadata) {
    ok = ok && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                c == '.' || c == '_' || c == ':' || c == '-');
  }
  return ok ? std::string(from_metadata) : RandomHex(16);
}

void CallContext::PrepareOutgoing(grpc::ClientContext* context,
                                  absl::Duration timeout,
                                  absl::string_view service_key) const {
  const absl::Time deadline = std::min(deadline_, absl::Now() + timeout);
  context->set_deadline(absl::ToChronoTime(deadline));
  context->AddMetadata("x-request-id", request_id_);
  context->AddMetadata("traceparent", trace_.ToHeader());
  if (!trace_.tracestate.empty()) {
    context->AddMetadata("tracestate", trace_.tracestate);
  }
  if (!service_key.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", service_key));
  }
}

}  // namespace training::runtime
