#include "services/notification/templates.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/delivery_rules.h"
#include "services/notification/message_plan.h"
#include "services/notification/personalisation.h"
#include "services/notification/template_render.h"

namespace training::notification {
namespace {

constexpr absl::string_view kPrefix = "templates/";

bool IsSlug(absl::string_view slug) {
  if (slug.size() < 3 || slug.size() > 63 || !absl::ascii_islower(slug[0])) {
    return false;
  }
  for (char c : slug) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

struct TemplateName {
  std::string slug;
  int64_t revision = 0;  // 0: the current one
};

// `templates/{slug}` or, where `allow_revision`, `templates/{slug}@{n}`.
absl::StatusOr<TemplateName> ParseName(absl::string_view name,
                                       absl::string_view field,
                                       bool allow_revision) {
  TemplateName out;
  absl::string_view rest = name;
  if (absl::ConsumePrefix(&rest, kPrefix)) {
    std::vector<absl::string_view> parts = absl::StrSplit(rest, '@');
    if (parts.size() == 1 && IsSlug(parts[0])) {
      out.slug = std::string(parts[0]);
      return out;
    }
    if (allow_revision && parts.size() == 2 && IsSlug(parts[0]) &&
        absl::SimpleAtoi(parts[1], &out.revision) && out.revision > 0) {
      out.slug = std::string(parts[0]);
      return out;
    }
  }
  return InvalidArgumentError(
      {{std::string(field),
        allow_revision
            ? "must be templates/{template} or templates/{template}@{revision}"
            : "must be templates/{template}"}});
}

std::string Etag(const TemplateRevision& t) {
  return absl::StrCat(t.revision, "-", absl::ToUnixMicros(t.update_time));
}

v1::Template ToProto(const TemplateRevision& t, bool name_revision) {
  v1::Template out;
  out.set_name(absl::StrCat(
      kPrefix, t.slug, name_revision ? absl::StrCat("@", t.revision) : ""));
  out.set_kind(t.kind);
  out.set_subject(t.subject);
  out.set_body(t.body);
  out.set_html_body(t.html_body);
  out.set_copy_line_manager(t.copy_line_manager);
  out.set_active(t.active);
  for (const std::string* text : {&t.subject, &t.body, &t.html_body}) {
    absl::StatusOr<std::vector<std::string>> names = PlaceholdersInOrder(*text);
    if (!names.ok()) continue;
    for (const std::string& n : *names) {
      if (std::find(out.placeholders().begin(), out.placeholders().end(), n) ==
          out.placeholders().end()) {
        out.add_placeholders(n);
      }
    }
  }
  *out.mutable_create_time() = training::ToProto(t.create_time);
  *out.mutable_update_time() = training::ToProto(t.update_time);
  *out.mutable_revision_create_time() = training::ToProto(t.revision_time);
  out.set_revision_id(t.revision);
  out.set_etag(Etag(t));
  return out;
}

// The words' violations: lengths, one-line subject, placeholders the kind
// lacks.
void CheckWords(const TemplateRevision& t, const std::string& prefix,
                std::vector<FieldViolation>& violations) {
  if (t.subject.empty() || t.subject.size() > 200 ||
      t.subject.find_first_of("\r\n") != std::string::npos) {
    violations.push_back(
        {prefix + "subject", "must be 1 to 200 characters on one line"});
  }
  if (t.body.empty() || t.body.size() > 20000) {
    violations.push_back({prefix + "body", "must be 1 to 20,000 characters"});
  }
  if (t.html_body.size() > 50000) {
    violations.push_back(
        {prefix + "html_body", "must be at most 50,000 characters"});
  }
  if (t.kind == v1::MESSAGE_KIND_UNSPECIFIED ||
      !v1::MessageKind_IsValid(t.kind)) {
    violations.push_back({prefix + "kind", "must be a message kind"});
    return;
  }
  const std::set<std::string> known = PlaceholdersFor(t.kind);
  for (const auto& [field, text] :
       {std::pair{"subject", &t.subject}, std::pair{"body", &t.body},
        std::pair{"html_body", &t.html_body}}) {
    absl::Status checked = CheckPlaceholders(*text, known);
    if (!checked.ok()) {
      violations.push_back({prefix + field, std::string(checked.message())});
    }
  }
}

TemplateRevision FromProto(const v1::Template& t, const std::string& slug) {
  return TemplateRevision{.slug = slug,
                          .kind = t.kind(),
                          .subject = t.subject(),
                          .body = t.body(),
                          .html_body = t.html_body(),
                          .copy_line_manager = t.copy_line_manager(),
                          .active = t.active()};
}

absl::Status NotFound() {
  return absl::NotFoundError("name: no such template");
}

}  // namespace

std::map<std::string, std::string> SampleValues(v1::MessageKind kind,
                                                const SenderConfig& sender) {
  std::map<std::string, std::string> samples = {
      {"name", "Sam Taylor"},
      {"reference", "ABCD2345"},
      {"course_title", "Introduction to Motivational Interviewing"},
      {"session_date", "Tuesday 12 January 2027"},
      {"session_time", "9:30am to 1pm"},
      {"time_zone", "UK time"},
      {"place", "County Hall Learning Centre, Market Road, Chelmsford"},
      {"is_online", "no"},
      {"manage_link",
       ManageLink(sender.public_base_url, "ABCD2345", "sample-token")},
      {"team_email", sender.team_email},
      {"line_manager_copy", "no"},
      {"for_attendee", "yes"},
      {"waitlist_position", "3"},
      {"offer_deadline", "5pm on Friday 8 January 2027"},
      {"late", "no"},
      {"cancellation_reason", "The trainer is unwell."},
      {"what_changed", "The date or time has changed."},
      {"time_changed", "yes"},
      {"place_changed", "no"},
      {"joining_details_changed", "no"},
  };
  std::map<std::string, std::string> out;
  for (const std::string& name : PlaceholdersFor(kind)) {
    out[name] = samples.count(name) ? samples[name] : "sample";
  }
  return out;
}

absl::StatusOr<v1::Template> Templates::CreateTemplate(
    const auth::Principal&, const v1::CreateTemplateRequest& r) {
  std::vector<FieldViolation> violations;
  if (!IsSlug(r.template_id())) {
    violations.push_back(
        {"template_id",
         "must be 3 to 63 lower-case letters, digits and hyphens, starting "
         "with a letter"});
  }
  TemplateRevision t = FromProto(r.template_(), r.template_id());
  CheckWords(t, "template.", violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  RETURN_IF_ERROR(store_->CreateTemplate(t, clock_->Now()));
  ASSIGN_OR_RETURN(TemplateRevision stored, store_->GetTemplate(t.slug, 0));
  return ToProto(stored, false);
}

absl::StatusOr<v1::Template> Templates::GetTemplate(
    const auth::Principal&, const v1::GetTemplateRequest& r) {
  ASSIGN_OR_RETURN(TemplateName name, ParseName(r.name(), "name", true));
  absl::StatusOr<TemplateRevision> t =
      store_->GetTemplate(name.slug, name.revision);
  if (absl::IsNotFound(t.status())) return NotFound();
  if (!t.ok()) return t.status();
  return ToProto(*t, name.revision != 0);
}

absl::StatusOr<v1::ListTemplatesResponse> Templates::ListTemplates(
    const auth::Principal&, const v1::ListTemplatesRequest& r) {
  std::vector<FieldViolation> violations;
  absl::StatusOr<int> limit = requests::EffectivePageSize(r.page_size());
  if (!limit.ok()) violations.push_back({"page_size", "must not be negative"});
  if (r.kind() != v1::MESSAGE_KIND_UNSPECIFIED &&
      !v1::MessageKind_IsValid(r.kind())) {
    violations.push_back({"kind", "must be a message kind"});
  }
  const std::string filters = requests::FiltersFingerprint(r);
  std::string after;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    if (!key.ok()) {
      violations.push_back({"page_token",
                            "is not a token this list returned for these "
                            "filters"});
    } else {
      after = key->name;
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(std::vector<TemplateRevision> page,
                   store_->ListTemplates(r.kind(), after, *limit + 1));
  v1::ListTemplatesResponse response;
  const bool more = static_cast<int>(page.size()) > *limit;
  if (more) page.resize(*limit);
  for (const TemplateRevision& t : page) {
    *response.add_templates() = ToProto(t, false);
  }
  if (more) {
    response.set_next_page_token(requests::EncodePageToken(
        {page.back().slug, page.back().slug}, filters));
  }
  return response;
}

absl::StatusOr<v1::ListTemplateRevisionsResponse>
Templates::ListTemplateRevisions(const auth::Principal&,
                                 const v1::ListTemplateRevisionsRequest& r) {
  std::vector<FieldViolation> violations;
  absl::StatusOr<TemplateName> name = ParseName(r.parent(), "parent", false);
  if (!name.ok())
    violations.push_back({"parent", "must be templates/{template}"});
  absl::StatusOr<int> limit = requests::EffectivePageSize(r.page_size());
  if (!limit.ok()) violations.push_back({"page_size", "must not be negative"});
  const std::string filters = requests::FiltersFingerprint(r);
  int64_t before = 0;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &before) || before < 2) {
      violations.push_back({"page_token", "is not a token this list returned"});
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(std::vector<TemplateRevision> page,
                   store_->ListRevisions(name->slug, before, *limit + 1));
  if (page.empty() && before == 0) return NotFound();
  v1::ListTemplateRevisionsResponse response;
  const bool more = static_cast<int>(page.size()) > *limit;
  if (more) page.resize(*limit);
  for (const TemplateRevision& t : page) {
    *response.add_templates() = ToProto(t, true);
  }
  if (more) {
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(page.back().revision), page.back().slug}, filters));
  }
  return response;
}

absl::StatusOr<v1::Template> Templates::UpdateTemplate(
    const auth::Principal&, const v1::UpdateTemplateRequest& r) {
  ASSIGN_OR_RETURN(TemplateName name,
                   ParseName(r.template_().name(), "template.name", false));
  std::vector<FieldViolation> violations;
  if (r.update_mask().paths().empty()) {
    violations.push_back({"update_mask", "must name the fields to change"});
  }
  absl::StatusOr<TemplateRevision> current = store_->GetTemplate(name.slug, 0);
  if (absl::IsNotFound(current.status())) return NotFound();
  if (!current.ok()) return current.status();
  if (!r.template_().etag().empty() && r.template_().etag() != Etag(*current)) {
    return WithErrorInfo(
        absl::AbortedError(
            "template.etag: the template changed since it was read"),
        "ETAG_MISMATCH");
  }
  TemplateRevision next = *current;
  bool words_changed = false;
  for (const std::string& path : r.update_mask().paths()) {
    const v1::Template& given = r.template_();
    if (path == "subject") {
      next.subject = given.subject();
    } else if (path == "body") {
      next.body = given.body();
    } else if (path == "html_body") {
      next.html_body = given.html_body();
    } else if (path == "copy_line_manager") {
      next.copy_line_manager = given.copy_line_manager();
    } else if (path == "active") {
      next.active = given.active();
      continue;
    } else {
      violations.push_back(
          {"update_mask",
           absl::StrCat("'", path,
                        "' cannot be changed: subject, body, html_body, "
                        "copy_line_manager and active can")});
      continue;
    }
    words_changed = true;
  }
  CheckWords(next, "template.", violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(TemplateRevision stored,
                   store_->UpdateTemplate(next, current->revision,
                                          words_changed, clock_->Now()));
  return ToProto(stored, false);
}

absl::StatusOr<google::protobuf::Empty> Templates::DeleteTemplate(
    const auth::Principal&, const v1::DeleteTemplateRequest& r) {
  ASSIGN_OR_RETURN(TemplateName name, ParseName(r.name(), "name", false));
  if (!r.etag().empty()) {
    absl::StatusOr<TemplateRevision> current =
        store_->GetTemplate(name.slug, 0);
    if (absl::IsNotFound(current.status())) return NotFound();
    if (!current.ok()) return current.status();
    if (r.etag() != Etag(*current)) {
      return WithErrorInfo(
          absl::AbortedError("etag: the template changed since it was read"),
          "ETAG_MISMATCH");
    }
  }
  RETURN_IF_ERROR(store_->DeleteTemplate(name.slug));
  return google::protobuf::Empty();
}

absl::StatusOr<std::pair<TemplateRevision, std::map<std::string, std::string>>>
Templates::Personalised(
    const std::string& template_name,
    const google::protobuf::Map<std::string, std::string>& given,
    const char* field) {
  ASSIGN_OR_RETURN(TemplateName name, ParseName(template_name, "name", true));
  absl::StatusOr<TemplateRevision> t =
      store_->GetTemplate(name.slug, name.revision);
  if (absl::IsNotFound(t.status())) return NotFound();
  if (!t.ok()) return t.status();
  std::map<std::string, std::string> values = SampleValues(t->kind, sender_);
  std::vector<FieldViolation> violations;
  for (const auto& [key, value] : given) {
    if (key.empty() || key.size() > 64 || value.size() > 2000 ||
        !values.contains(key)) {
      violations.push_back(
          {field, absl::StrCat("'", key.substr(0, 64),
                               "' is not a placeholder of this template's "
                               "kind, or its value is over 2,000 characters")});
      continue;
    }
    values[key] = value;
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  return std::make_pair(*std::move(t), std::move(values));
}

absl::StatusOr<v1::PreviewTemplateResponse> Templates::PreviewTemplate(
    const auth::Principal&, const v1::PreviewTemplateRequest& r) {
  ASSIGN_OR_RETURN(
      auto personalised,
      Personalised(r.name(), r.personalisation(), "personalisation"));
  ASSIGN_OR_RETURN(RenderedText text,
                   RenderText(personalised.first, personalised.second));
  v1::PreviewTemplateResponse response;
  response.set_subject(text.subject);
  response.set_body(text.body);
  response.set_html_body(text.html_body);
  response.set_revision_id(personalised.first.revision);
  return response;
}

absl::StatusOr<v1::Delivery> Templates::SendTestMessage(
    const auth::Principal&, const v1::SendTestMessageRequest& r) {
  const std::string recipient(absl::StripAsciiWhitespace(r.recipient()));
  const size_t at = recipient.find('@');
  if (recipient.size() > 254 || at == std::string::npos || at == 0 ||
      at + 1 == recipient.size() ||
      recipient.find_first_of(" \t\r\n<>,;\"") != std::string::npos) {
    return InvalidArgumentError(
        {{"recipient", "must be an e-mail address of at most 254 characters"}});
  }
  ASSIGN_OR_RETURN(
      auto personalised,
      Personalised(r.name(), r.personalisation(), "personalisation"));
  ASSIGN_OR_RETURN(RenderedText text,
                   RenderText(personalised.first, personalised.second));
  const absl::Time now = clock_->Now();
  NewDelivery d{.kind = personalised.first.kind,
                .role = v1::Delivery::TEST_RECIPIENT,
                .recipient = recipient,
                .template_name = absl::StrCat(kPrefix, personalised.first.slug),
                .template_revision = personalised.first.revision,
                .message_id = NewMessageId(sender_.mail_domain),
                .event_time = now};
  d.source_event_id = absl::StrCat("test-", d.message_id);
  ASSIGN_OR_RETURN(d.message, BuildMessage(sender_, text, recipient,
                                           d.message_id, now, std::nullopt));
  RETURN_IF_ERROR(sql::RunInTransaction(
      store_->db(), sql::TxMode::kWrite, [&](sql::Transaction& tx) {
        return store_->AddDelivery(tx, d, now).status();
      }));
  ASSIGN_OR_RETURN(
      std::optional<v1::Delivery> stored,
      store_->GetDelivery(d.message_id.substr(0, d.message_id.find('@'))));
  if (!stored) return absl::InternalError("the test message was not stored");
  return *stored;
}

}  // namespace training::notification
