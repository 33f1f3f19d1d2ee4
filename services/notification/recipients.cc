#include "services/notification/recipients.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"
#include "services/notification/enquiries.h"
#include "services/notification/scheduler.h"

namespace training::notification {
namespace {

constexpr absl::string_view kSuppressionPrefix = "suppressions/";

v1::Suppression SuppressionToProto(const SuppressionEntry& e) {
  v1::Suppression s;
  s.set_name(absl::StrCat(kSuppressionPrefix, e.address_hash));
  s.set_masked_recipient(e.masked_recipient);
  s.set_reason(e.reason);
  s.set_delivery(e.delivery);
  *s.mutable_create_time() = ToProto(e.create_time);
  return s;
}

}  // namespace

absl::StatusOr<google::protobuf::Empty> Recipients::OptOutOfFeedback(
    const auth::Principal&, const v1::OptOutOfFeedbackRequest& r) {
  absl::StatusOr<std::string> id =
      r.token().size() > 200 ? absl::InvalidArgumentError("too long")
                             : CheckFeedbackOptOutToken(*keys_, r.token());
  if (!id.ok()) {
    return InvalidArgumentError(
        {{"token", "is not the token of a feedback request's opt-out link"}});
  }
  ASSIGN_OR_RETURN(bool found, store_->OptOutOfDelivery(*id, clock_->Now()));
  if (!found) {
    return absl::NotFoundError(
        "token: the message it came from is no longer on record");
  }
  return google::protobuf::Empty();
}

absl::StatusOr<v1::ListSuppressionsResponse> Recipients::ListSuppressions(
    const auth::Principal&, const v1::ListSuppressionsRequest& r) {
  std::vector<FieldViolation> violations;
  absl::StatusOr<int> limit = requests::EffectivePageSize(r.page_size());
  if (!limit.ok()) violations.push_back({"page_size", "must not be negative"});
  std::optional<std::pair<int64_t, std::string>> after;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), "suppressions");
    int64_t create_us = 0;
    if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &create_us)) {
      violations.push_back({"page_token", "is not a token this list returned"});
    } else {
      after.emplace(create_us, key->name);
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(std::vector<SuppressionEntry> page,
                   store_->ListSuppressions(after, *limit + 1));
  v1::ListSuppressionsResponse response;
  const bool more = static_cast<int>(page.size()) > *limit;
  if (more) page.resize(*limit);
  for (const SuppressionEntry& e : page) {
    *response.add_suppressions() = SuppressionToProto(e);
  }
  if (more) {
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(absl::ToUnixMicros(page.back().create_time)),
         page.back().address_hash},
        "suppressions"));
  }
  return response;
}

absl::StatusOr<google::protobuf::Empty> Recipients::DeleteSuppression(
    const auth::Principal&, const v1::DeleteSuppressionRequest& r) {
  absl::string_view hash = r.name();
  if (!absl::ConsumePrefix(&hash, kSuppressionPrefix) || hash.empty() ||
      hash.size() > 64 ||
      hash.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                             "wxyz0123456789-_") != absl::string_view::npos) {
    return InvalidArgumentError(
        {{"name",
          "must be suppressions/{suppression}, as the list names "
          "them"}});
  }
  ASSIGN_OR_RETURN(bool deleted, store_->DeleteSuppression(std::string(hash)));
  if (!deleted) return absl::NotFoundError("name: no such suppression");
  return google::protobuf::Empty();
}

absl::StatusOr<v1::PersonalDataExport> Recipients::ExportPersonalData(
    const auth::Principal&, const v1::ExportPersonalDataRequest& r) {
  const std::string email(absl::StripAsciiWhitespace(r.email()));
  if (!text::IsValidEmail(email)) {
    return InvalidArgumentError({{"email", "must be an e-mail address"}});
  }
  v1::PersonalDataExport out;
  DeliveryFilter filter;
  filter.recipient_hashes = store_->AddressHashes(email);
  std::optional<std::pair<int64_t, std::string>> after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<v1::Delivery> page,
                     store_->ListDeliveries(filter, after, 500));
    for (v1::Delivery& d : page) *out.add_deliveries() = std::move(d);
    if (page.size() < 500) break;
    const v1::Delivery& last = out.deliveries(out.deliveries_size() - 1);
    after.emplace(absl::ToUnixMicros(FromProto(last.create_time())),
                  last.name().substr(last.name().find('/') + 1));
  }
  ASSIGN_OR_RETURN(std::vector<EnquiryRecord> enquiries,
                   store_->EnquiriesFrom(email));
  for (const EnquiryRecord& e : enquiries) {
    *out.add_enquiries() = EnquiryToProto(e);
  }
  ASSIGN_OR_RETURN(bool opted_out, store_->OptedOutOfFeedback(email));
  out.set_feedback_opted_out(opted_out);
  ASSIGN_OR_RETURN(std::optional<SuppressionEntry> suppression,
                   store_->FindSuppression(email));
  if (suppression) {
    *out.mutable_suppression() = SuppressionToProto(*suppression);
  }
  return out;
}

}  // namespace training::notification
