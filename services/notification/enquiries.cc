#include "services/notification/enquiries.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/proto_time.h"
#include "services/notification/delivery_rules.h"
#include "services/notification/personalisation.h"

namespace training::notification {
namespace {

constexpr absl::string_view kPrefix = "enquiries/";

std::vector<FieldViolation> Validate(const v1::CreateEnquiryRequest& r) {
  std::vector<FieldViolation> out;
  const v1::Enquiry& e = r.enquiry();
  const size_t name = text::Utf8Length(e.display_name());
  if (name < 1 || name > 100 ||
      absl::StripAsciiWhitespace(e.display_name()).empty()) {
    out.push_back({"enquiry.display_name", "must be 1 to 100 characters"});
  }
  if (!text::IsValidEmail(e.email())) {
    out.push_back({"enquiry.email",
                   "must be an e-mail address of at most 254 characters"});
  }
  if (!e.session().empty() && !text::IsSessionName(e.session())) {
    out.push_back(
        {"enquiry.session", "must be courses/{course}/sessions/{session}"});
  }
  const size_t length = text::Utf8Length(e.text());
  if (length < 1 || length > 5000 ||
      absl::StripAsciiWhitespace(e.text()).empty()) {
    out.push_back({"enquiry.text", "must be 1 to 5,000 characters"});
  }
  if (!r.request_id().empty() && !text::IsUuid(r.request_id())) {
    out.push_back({"request_id", "must be a UUID"});
  }
  return out;
}

}  // namespace

v1::Enquiry EnquiryToProto(const EnquiryRecord& e) {
  v1::Enquiry out;
  out.set_name(absl::StrCat(kPrefix, e.id));
  out.set_display_name(e.display_name);
  out.set_masked_email(MaskRecipient(e.email));
  out.set_session(e.session);
  out.set_text(e.text);
  *out.mutable_create_time() = ToProto(e.create_time);
  return out;
}

absl::StatusOr<std::string> Enquiries::About(const std::string& session) {
  if (session.empty()) return std::string("training");
  absl::StatusOr<SessionDetails> details = directory_->Session(session, false);
  if (absl::IsNotFound(details.status())) {
    return InvalidArgumentError({{"enquiry.session", "no such session"}});
  }
  // The catalogue being down must not lose the question: it goes with the
  // session's name instead of its title.
  if (!details.ok()) return session;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(details->time_zone, &zone)) return details->title;
  return absl::StrCat(details->title, " on ", FormatDate(details->start, zone));
}

absl::StatusOr<std::vector<NewDelivery>> Enquiries::Messages(
    sql::Transaction& tx, const EnquiryRecord& e, const std::string& about,
    absl::Time now) {
  const SenderConfig& sender = options_.sender;
  const std::string name = absl::StrCat(kPrefix, e.id);
  std::vector<NewDelivery> out;
  for (const v1::MessageKind kind :
       {v1::ENQUIRY_FORWARD, v1::ENQUIRY_ACKNOWLEDGEMENT}) {
    absl::StatusOr<TemplateRevision> tmpl =
        NotificationStore::ActiveTemplate(tx, kind);
    if (absl::IsNotFound(tmpl.status())) continue;
    if (!tmpl.ok()) return tmpl.status();
    std::map<std::string, std::string> values = {
        {"reference", e.id},
        {"about", about},
        {"team_email", sender.team_email}};
    const bool forward = kind == v1::ENQUIRY_FORWARD;
    if (forward) {
      values["name"] = e.display_name;
      values["enquirer_email"] = e.email;
      values["enquiry_text"] = e.text;
    }
    NewDelivery d{
        .source_event_id = name,
        .kind = kind,
        .role = forward ? v1::Delivery::TRAINING_TEAM : v1::Delivery::ENQUIRER,
        .recipient =
            forward ? (options_.team_address.empty() ? sender.team_email
                                                     : options_.team_address)
                    : e.email,
        .template_name = absl::StrCat("templates/", tmpl->slug),
        .template_revision = tmpl->revision,
        .message_id = NewMessageId(sender.mail_domain),
        .event_time = now,
        .enquiry = name};
    absl::StatusOr<RenderedText> text = RenderText(*tmpl, values);
    absl::StatusOr<std::string> message =
        text.ok() ? BuildMessage(sender, *text, d.recipient, d.message_id, now,
                                 std::nullopt, forward ? e.email : "")
                  : absl::StatusOr<std::string>(text.status());
    if (message.ok()) {
      d.message = *std::move(message);
    } else {
      d.failure = std::string(message.status().message());
    }
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<v1::Enquiry> Enquiries::CreateEnquiry(
    const auth::Principal&, const v1::CreateEnquiryRequest& r) {
  std::vector<FieldViolation> violations = Validate(r);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(std::string about, About(r.enquiry().session()));
  const absl::Time now = clock_->Now();
  EnquiryRecord record{
      .id = NewRecordId(),
      .request_id = r.request_id(),
      .display_name =
          std::string(absl::StripAsciiWhitespace(r.enquiry().display_name())),
      .email = std::string(absl::StripAsciiWhitespace(r.enquiry().email())),
      .session = r.enquiry().session(),
      .text = r.enquiry().text(),
      .create_time = now};
  EnquiryRecord kept;
  RETURN_IF_ERROR(sql::RunInTransaction(
      store_->db(), sql::TxMode::kWrite,
      [&](sql::Transaction& tx) -> absl::Status {
        if (!record.request_id.empty()) {
          ASSIGN_OR_RETURN(
              std::optional<EnquiryRecord> earlier,
              NotificationStore::FindEnquiryByRequest(tx, record.request_id));
          if (earlier) {
            if (absl::AsciiStrToLower(earlier->email) !=
                    absl::AsciiStrToLower(record.email) ||
                earlier->text != record.text) {
              return requests::RequestIdReusedError();
            }
            kept = *std::move(earlier);
            return absl::OkStatus();
          }
        }
        ASSIGN_OR_RETURN(
            auto recent,
            store_->RecentEnquiries(tx, record.email, now - absl::Hours(1)));
        if (recent.first >= options_.per_address_per_hour) {
          return WithErrorInfo(
              WithRetryInfo(
                  absl::ResourceExhaustedError(absl::StrCat(
                      "enquiry.email: this address has sent ",
                      options_.per_address_per_hour,
                      " enquiries in the last hour; please try again later")),
                  recent.second + absl::Hours(1) - now),
              "ENQUIRY_LIMIT");
        }
        RETURN_IF_ERROR(store_->AddEnquiry(tx, record));
        ASSIGN_OR_RETURN(std::vector<NewDelivery> messages,
                         Messages(tx, record, about, now));
        for (const NewDelivery& d : messages) {
          RETURN_IF_ERROR(store_->AddDelivery(tx, d, now).status());
        }
        kept = record;
        return absl::OkStatus();
      }));
  return EnquiryToProto(kept);
}

}  // namespace training::notification
