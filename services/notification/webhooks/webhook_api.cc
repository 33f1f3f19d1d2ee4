#include "services/notification/webhooks/webhook_api.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/random/unique_bytes.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/time/proto_time.h"
#include "services/notification/webhooks/event_reach.h"
#include "services/notification/webhooks/signature.h"

namespace training::notification::webhooks {
namespace {

constexpr absl::string_view kPrefix = "webhooks/";
constexpr int kMaxEventTypes = 50;
constexpr int kMaxReplay = 10000;

bool IsHexId(absl::string_view id, size_t size) {
  return id.size() == size &&
         id.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

absl::Status NotFound() { return absl::NotFoundError("name: no such webhook"); }

std::string NewEtag() { return absl::BytesToHexString(random::UniqueBytes(8)); }

// The organisation a caller acts for; empty for an admin.
std::string OrganisationOf(const auth::Principal& caller) {
  return caller.kind == auth::Principal::Kind::kAgency ? caller.organisation
                                                       : "";
}

bool IsAdmin(const auth::Principal& caller) {
  return caller.kind != auth::Principal::Kind::kAgency;
}

// Checks what a caller may set (target, types, description), adding
// violations under `prefix` (`webhook.`).
void CheckSettable(const v1::Webhook& w, const auth::Principal& caller,
                   const TargetPolicy& policy, bool target, bool types,
                   bool description, std::vector<FieldViolation>& out) {
  if (target) {
    if (w.target_uri().empty()) {
      out.push_back({"webhook.target_uri", "is required"});
    } else if (absl::StatusOr<TargetUrl> url =
                   ParseTargetUrl(w.target_uri(), policy);
               !url.ok()) {
      out.push_back(
          {"webhook.target_uri", std::string(url.status().message())});
    }
  }
  if (types) {
    if (w.event_types_size() > kMaxEventTypes) {
      out.push_back({"webhook.event_types", "must list at most 50 types"});
    }
    std::set<std::string> seen;
    for (int i = 0; i < w.event_types_size(); ++i) {
      const std::string field = absl::StrCat("webhook.event_types[", i, "]");
      if (!seen.insert(w.event_types(i)).second) {
        out.push_back({field, "is listed twice"});
        continue;
      }
      absl::Status allowed =
          CheckSubscribable(w.event_types(i), IsAdmin(caller), caller.scopes);
      if (!allowed.ok()) {
        out.push_back({field, std::string(allowed.message())});
      }
    }
  }
  if (description && w.description().size() > 200) {
    out.push_back({"webhook.description", "must be at most 200 characters"});
  }
}

}  // namespace

v1::Webhook ResourceOf(const WebhookRecord& r) {
  v1::Webhook w;
  w.set_name(absl::StrCat(kPrefix, r.id));
  w.set_target_uri(r.target_uri);
  for (const std::string& type : r.event_types) w.add_event_types(type);
  w.set_description(r.description);
  w.set_state(r.state);
  w.set_disabled_reason(r.disabled_reason);
  w.set_organisation(r.organisation);
  if (!r.sealed_previous_secret.empty() &&
      r.previous_secret_expire != absl::InfinitePast()) {
    *w.mutable_previous_secret_expire_time() =
        ToProto(r.previous_secret_expire);
  }
  w.set_consecutive_failures(r.consecutive_failures);
  if (r.last_success != absl::InfinitePast()) {
    *w.mutable_last_success_time() = ToProto(r.last_success);
  }
  *w.mutable_create_time() = ToProto(r.create_time);
  *w.mutable_update_time() = ToProto(r.update_time);
  w.set_etag(r.etag);
  return w;
}

absl::StatusOr<WebhookRecord> WebhookApi::Owned(const Caller& caller,
                                                const std::string& name,
                                                const std::string& field) {
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, kPrefix) || !IsHexId(id, 20)) {
    return InvalidArgumentError({{field, "must be webhooks/{webhook}"}});
  }
  ASSIGN_OR_RETURN(std::optional<WebhookRecord> found,
                   store_->GetWebhook(std::string(id)));
  if (!found ||
      (!IsAdmin(caller) && found->organisation != OrganisationOf(caller))) {
    return NotFound();
  }
  return *found;
}

absl::StatusOr<v1::Webhook> WebhookApi::Save(WebhookRecord next,
                                             const std::string& expected_etag,
                                             bool reset_failures) {
  next.etag = NewEtag();
  next.update_time = clock_->Now();
  ASSIGN_OR_RETURN(bool saved,
                   store_->UpdateWebhook(next, expected_etag, reset_failures,
                                         next.update_time));
  if (!saved) {
    return WithErrorInfo(
        absl::AbortedError("webhook: it changed meanwhile; read it again"),
        "ETAG_MISMATCH");
  }
  return ResourceOf(next);
}

absl::StatusOr<v1::Webhook> WebhookApi::CreateWebhook(
    const Caller& caller, const v1::CreateWebhookRequest& r) {
  std::vector<FieldViolation> violations;
  CheckSettable(r.webhook(), caller, policy_, true, true, true, violations);
  if (r.request_id().size() > 255) {
    violations.push_back({"request_id", "must be at most 255 characters"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const absl::Time now = clock_->Now();
  WebhookRecord w{
      .id = NewWebhookId(),
      .organisation = OrganisationOf(caller),
      .key_name = caller.key_name,
      .target_uri = ParseTargetUrl(r.webhook().target_uri(), policy_)->url,
      .event_types = {r.webhook().event_types().begin(),
                      r.webhook().event_types().end()},
      .description = r.webhook().description(),
      .request_id = r.request_id(),
      .request_fingerprint = requests::RequestFingerprint(r),
      .create_time = now,
      .update_time = now,
      .etag = NewEtag()};
  ASSIGN_OR_RETURN(std::string secret, NewWebhookSecret());
  ASSIGN_OR_RETURN(w.sealed_secret, secrets_->Seal(secret, w.id));
  ASSIGN_OR_RETURN(WebhookRecord stored, store_->CreateWebhook(w));
  if (stored.id != w.id) {
    // A retry of a create that went through: its subscription, whose
    // secret was shown then.
    if (stored.request_fingerprint != w.request_fingerprint) {
      return requests::RequestIdReusedError();
    }
    return ResourceOf(stored);
  }
  v1::Webhook out = ResourceOf(stored);
  out.set_secret(secret);
  return out;
}

absl::StatusOr<v1::Webhook> WebhookApi::GetWebhook(
    const Caller& caller, const v1::GetWebhookRequest& r) {
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.name(), "name"));
  return ResourceOf(w);
}

absl::StatusOr<v1::ListWebhooksResponse> WebhookApi::ListWebhooks(
    const Caller& caller, const v1::ListWebhooksRequest& r) {
  absl::StatusOr<int> limit = requests::EffectivePageSize(r.page_size());
  if (!limit.ok()) return limit.status();
  std::optional<std::pair<int64_t, std::string>> after;
  const std::string filters = requests::FiltersFingerprint(r);
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    int64_t create_us = 0;
    if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &create_us)) {
      return InvalidArgumentError(
          {{"page_token", "is not a token this list returned"}});
    }
    after.emplace(create_us, key->name);
  }
  ASSIGN_OR_RETURN(std::vector<WebhookRecord> page,
                   store_->ListWebhooks(IsAdmin(caller), OrganisationOf(caller),
                                        after, *limit + 1));
  v1::ListWebhooksResponse response;
  const bool more = static_cast<int>(page.size()) > *limit;
  if (more) page.resize(*limit);
  for (const WebhookRecord& w : page) *response.add_webhooks() = ResourceOf(w);
  if (more) {
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(absl::ToUnixMicros(page.back().create_time)),
         page.back().id},
        filters));
  }
  return response;
}

absl::StatusOr<v1::Webhook> WebhookApi::UpdateWebhook(
    const Caller& caller, const v1::UpdateWebhookRequest& r) {
  ASSIGN_OR_RETURN(WebhookRecord w,
                   Owned(caller, r.webhook().name(), "webhook.name"));
  std::vector<FieldViolation> violations;
  bool target = false, types = false, description = false;
  if (r.update_mask().paths().empty()) {
    violations.push_back({"update_mask", "must name the fields to change"});
  }
  for (const std::string& path : r.update_mask().paths()) {
    if (path == "target_uri") {
      target = true;
    } else if (path == "event_types") {
      types = true;
    } else if (path == "description") {
      description = true;
    } else {
      violations.push_back(
          {"update_mask", absl::StrCat(path,
                                       ": only target_uri, event_types and "
                                       "description can be changed")});
    }
  }
  CheckSettable(r.webhook(), caller, policy_, target, types, description,
                violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  if (!r.webhook().etag().empty() && r.webhook().etag() != w.etag) {
    return WithErrorInfo(
        absl::AbortedError("webhook.etag: it changed since it was read"),
        "ETAG_MISMATCH");
  }
  const std::string expected = w.etag;
  if (target)
    w.target_uri = ParseTargetUrl(r.webhook().target_uri(), policy_)->url;
  if (types) {
    w.event_types = {r.webhook().event_types().begin(),
                     r.webhook().event_types().end()};
  }
  if (description) w.description = r.webhook().description();
  return Save(std::move(w), expected);
}

absl::StatusOr<google::protobuf::Empty> WebhookApi::DeleteWebhook(
    const Caller& caller, const v1::DeleteWebhookRequest& r) {
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.name(), "name"));
  ASSIGN_OR_RETURN(bool deleted, store_->DeleteWebhook(w.id));
  if (!deleted) return NotFound();
  return google::protobuf::Empty();
}

absl::StatusOr<v1::Webhook> WebhookApi::RotateWebhookSecret(
    const Caller& caller, const v1::RotateWebhookSecretRequest& r) {
  absl::Duration grace = absl::Hours(24);
  if (r.has_grace_period()) {
    grace = FromProto(r.grace_period());
    if (grace < absl::ZeroDuration() || grace > absl::Hours(24 * 7)) {
      return InvalidArgumentError(
          {{"grace_period", "must be from 0 to 7 days"}});
    }
  }
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.name(), "name"));
  const std::string expected = w.etag;
  ASSIGN_OR_RETURN(std::string secret, NewWebhookSecret());
  const absl::Time now = clock_->Now();
  if (grace > absl::ZeroDuration()) {
    w.sealed_previous_secret = w.sealed_secret;
    w.previous_secret_expire = now + grace;
  } else {
    w.sealed_previous_secret.clear();
    w.previous_secret_expire = absl::InfinitePast();
  }
  ASSIGN_OR_RETURN(w.sealed_secret, secrets_->Seal(secret, w.id));
  ASSIGN_OR_RETURN(v1::Webhook out, Save(std::move(w), expected));
  out.set_secret(secret);
  return out;
}

absl::StatusOr<v1::Webhook> WebhookApi::PauseWebhook(
    const Caller& caller, const v1::PauseWebhookRequest& r) {
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.name(), "name"));
  if (w.state == v1::Webhook::PAUSED) return ResourceOf(w);
  const std::string expected = w.etag;
  w.state = v1::Webhook::PAUSED;
  w.disabled_reason.clear();
  return Save(std::move(w), expected);
}

absl::StatusOr<v1::Webhook> WebhookApi::ResumeWebhook(
    const Caller& caller, const v1::ResumeWebhookRequest& r) {
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.name(), "name"));
  if (w.state == v1::Webhook::ACTIVE) return ResourceOf(w);
  const std::string expected = w.etag;
  w.state = v1::Webhook::ACTIVE;
  w.disabled_reason.clear();
  // A fresh start: the run of failures that disabled it is over.
  w.consecutive_failures = 0;
  w.failing_since = absl::InfinitePast();
  return Save(std::move(w), expected, /*reset_failures=*/true);
}

absl::StatusOr<v1::WebhookDelivery> WebhookApi::GetWebhookDelivery(
    const Caller& caller, const v1::GetWebhookDeliveryRequest& r) {
  const size_t at = r.name().find("/deliveries/");
  absl::string_view id = at == std::string::npos
                             ? ""
                             : absl::string_view(r.name()).substr(at + 12);
  if (at == std::string::npos || !absl::ConsumePrefix(&id, "msg_") ||
      !IsHexId(id, 20)) {
    return InvalidArgumentError(
        {{"name", "must be webhooks/{webhook}/deliveries/{delivery}"}});
  }
  ASSIGN_OR_RETURN(WebhookRecord w,
                   Owned(caller, r.name().substr(0, at), "name"));
  ASSIGN_OR_RETURN(std::optional<v1::WebhookDelivery> found,
                   store_->GetDelivery(w.id, absl::StrCat("msg_", id)));
  if (!found) return absl::NotFoundError("name: no such delivery");
  return *found;
}

absl::StatusOr<v1::ListWebhookDeliveriesResponse>
WebhookApi::ListWebhookDeliveries(const Caller& caller,
                                  const v1::ListWebhookDeliveriesRequest& r) {
  std::vector<FieldViolation> violations;
  DeliveryListFilter filter;
  for (int state : r.states()) {
    if (state == v1::WebhookDelivery::STATE_UNSPECIFIED ||
        !v1::WebhookDelivery::State_IsValid(state)) {
      violations.push_back({"states", "must hold known delivery states"});
      break;
    }
    filter.states.push_back(state);
  }
  if (r.has_start_time()) filter.start = FromProto(r.start_time());
  if (r.has_end_time()) filter.end = FromProto(r.end_time());
  if (filter.start && filter.end && *filter.end <= *filter.start) {
    violations.push_back({"end_time", "must be after start_time"});
  }
  absl::StatusOr<int> limit = requests::EffectivePageSize(r.page_size());
  if (!limit.ok()) violations.push_back({"page_size", "must not be negative"});
  const std::string filters = requests::FiltersFingerprint(r);
  std::optional<std::pair<int64_t, std::string>> after;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    int64_t create_us = 0;
    if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &create_us)) {
      violations.push_back(
          {"page_token",
           "is not a token this list returned for these filters"});
    } else {
      after.emplace(create_us, key->name);
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.parent(), "parent"));
  ASSIGN_OR_RETURN(std::vector<v1::WebhookDelivery> page,
                   store_->ListDeliveries(w.id, filter, after, *limit + 1));
  v1::ListWebhookDeliveriesResponse response;
  const bool more = static_cast<int>(page.size()) > *limit;
  if (more) page.resize(*limit);
  for (v1::WebhookDelivery& d : page) {
    *response.add_deliveries() = std::move(d);
  }
  if (more) {
    const v1::WebhookDelivery& last = response.deliveries().rbegin()[0];
    response.set_next_page_token(requests::EncodePageToken(
        {absl::StrCat(absl::ToUnixMicros(FromProto(last.create_time()))),
         last.name().substr(last.name().rfind('/') + 1)},
        filters));
  }
  return response;
}

absl::StatusOr<v1::ReplayWebhookDeliveriesResponse>
WebhookApi::ReplayWebhookDeliveries(
    const Caller& caller, const v1::ReplayWebhookDeliveriesRequest& r) {
  std::vector<FieldViolation> violations;
  const bool one = !r.delivery().empty();
  const bool range = r.has_start_time() || r.has_end_time();
  std::string delivery_id;
  if (one == range) {
    violations.push_back(
        {"delivery", "give either a delivery or start_time and end_time"});
  } else if (one) {
    absl::string_view id = r.delivery();
    if (!absl::ConsumePrefix(&id, absl::StrCat(r.parent(), "/deliveries/")) ||
        !absl::StartsWith(id, "msg_") || !IsHexId(id.substr(4), 20)) {
      violations.push_back(
          {"delivery", "must be a delivery of the parent webhook"});
    }
    delivery_id = std::string(id);
  } else if (!r.has_start_time() || !r.has_end_time() ||
             FromProto(r.end_time()) <= FromProto(r.start_time())) {
    violations.push_back(
        {"end_time", "start_time and end_time: both, the end after the start"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  ASSIGN_OR_RETURN(WebhookRecord w, Owned(caller, r.parent(), "parent"));
  ASSIGN_OR_RETURN(
      int replayed,
      store_->Replay(w.id, delivery_id,
                     range ? FromProto(r.start_time()) : absl::InfinitePast(),
                     range ? FromProto(r.end_time()) : absl::InfinitePast(),
                     r.include_succeeded(), kMaxReplay, clock_->Now()));
  if (one && replayed == 0) {
    ASSIGN_OR_RETURN(std::optional<v1::WebhookDelivery> found,
                     store_->GetDelivery(w.id, delivery_id));
    if (!found) return absl::NotFoundError("delivery: no such delivery");
    return absl::FailedPreconditionError(
        "delivery: an attempt is under way; replay it once it ends");
  }
  v1::ReplayWebhookDeliveriesResponse response;
  response.set_replayed_count(replayed);
  return response;
}

}  // namespace training::notification::webhooks
