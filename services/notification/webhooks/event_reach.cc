#include "services/notification/webhooks/event_reach.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "training/events/v1/webhook_rule.pb.h"

namespace training::notification::webhooks {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using ::training::events::v1::Event;
using ::training::events::v1::WebhookRule;

const google::protobuf::OneofDescriptor& Payloads() {
  return *Event::descriptor()->FindOneofByName("payload");
}

bool IsBookingName(absl::string_view value) {
  return absl::StartsWith(value, "bookings/");
}

// Keeps, in `payload`, only the bookings `owned` holds: a single booking
// field naming another's booking drops the whole event (false); repeated
// ones are filtered. Sets `named` when any booking was named at all.
bool KeepOwnBookings(Message& payload, const std::set<std::string>& owned,
                     bool& kept_any) {
  const Reflection& r = *payload.GetReflection();
  const Descriptor& d = *payload.GetDescriptor();
  for (int i = 0; i < d.field_count(); ++i) {
    const FieldDescriptor& f = *d.field(i);
    if (f.type() != FieldDescriptor::TYPE_STRING) continue;
    if (!f.is_repeated()) {
      const std::string value = r.GetString(payload, &f);
      if (!IsBookingName(value)) continue;
      if (!owned.contains(value)) return false;
      kept_any = true;
      continue;
    }
    std::vector<std::string> keep;
    bool bookings = false;
    for (int j = 0; j < r.FieldSize(payload, &f); ++j) {
      const std::string value = r.GetRepeatedString(payload, &f, j);
      if (!IsBookingName(value)) {
        keep.push_back(value);
        continue;
      }
      bookings = true;
      if (owned.contains(value)) keep.push_back(value);
    }
    if (!bookings) continue;
    r.ClearField(&payload, &f);
    for (std::string& value : keep) {
      kept_any = kept_any || IsBookingName(value);
      r.AddString(&payload, &f, std::move(value));
    }
  }
  return true;
}

}  // namespace

const std::vector<std::string>& WebhookEventTypes() {
  static const std::vector<std::string>* types = [] {
    auto* out = new std::vector<std::string>;
    const auto& oneof = Payloads();
    for (int i = 0; i < oneof.field_count(); ++i) {
      out->push_back(oneof.field(i)->message_type()->full_name());
    }
    return out;
  }();
  return *types;
}

std::optional<WebhookRule> RuleOf(absl::string_view event_type) {
  const auto& oneof = Payloads();
  for (int i = 0; i < oneof.field_count(); ++i) {
    const Descriptor* type = oneof.field(i)->message_type();
    if (type->full_name() != event_type) continue;
    return type->options().GetExtension(events::v1::webhook);
  }
  return std::nullopt;
}

absl::Status CheckSubscribable(absl::string_view event_type, bool admin,
                               const std::vector<std::string>& scopes) {
  std::optional<WebhookRule> rule = RuleOf(event_type);
  if (!rule || rule->reach() == WebhookRule::REACH_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat(event_type, " is no event type"));
  }
  if (admin) return absl::OkStatus();
  if (rule->reach() == WebhookRule::ADMIN_ONLY) {
    return absl::PermissionDeniedError(
        absl::StrCat(event_type, " goes to admin subscriptions only"));
  }
  if (!rule->scope().empty() &&
      std::find(scopes.begin(), scopes.end(), rule->scope()) == scopes.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        event_type, " needs a key holding the scope ", rule->scope()));
  }
  return absl::OkStatus();
}

std::optional<Event> EventFor(const Event& event,
                              const Subscriber& subscriber) {
  const FieldDescriptor* payload_field =
      event.GetReflection()->GetOneofFieldDescriptor(event, &Payloads());
  if (payload_field == nullptr) return std::nullopt;
  const WebhookRule rule =
      payload_field->message_type()->options().GetExtension(
          events::v1::webhook);
  Event out = event;
  out.clear_request_id();
  out.clear_traceparent();
  out.clear_tracestate();
  if (out.has_attendee_substituted()) {
    out.mutable_attendee_substituted()->clear_previous_contact_id();
  }
  if (subscriber.admin()) {
    return rule.reach() == WebhookRule::REACH_UNSPECIFIED
               ? std::nullopt
               : std::optional<Event>(std::move(out));
  }
  switch (rule.reach()) {
    case WebhookRule::EVERY_SUBSCRIPTION:
      return out;
    case WebhookRule::VISIBLE_COURSES: {
      const Message& payload =
          out.GetReflection()->GetMessage(out, payload_field);
      const FieldDescriptor* published =
          payload.GetDescriptor()->FindFieldByName("course_visible");
      if (published != nullptr &&
          published->type() == FieldDescriptor::TYPE_BOOL &&
          payload.GetReflection()->GetBool(payload, published)) {
        return out;
      }
      return std::nullopt;
    }
    case WebhookRule::PUBLIC_ARTICLES: {
      if (!out.has_article_published()) return out;
      const auto audience = out.article_published().article().audience();
      if (audience == content::v1::Article::PUBLIC ||
          audience == content::v1::Article::AUDIENCE_UNSPECIFIED) {
        return out;
      }
      return std::nullopt;
    }
    case WebhookRule::OWN_BOOKINGS: {
      std::set<std::string> owned;
      out.clear_booked_by();
      for (const events::v1::BookedBy& by : event.booked_by()) {
        if (by.organisation() != subscriber.organisation) continue;
        owned.insert(by.booking());
        *out.add_booked_by() = by;
      }
      if (owned.empty()) return std::nullopt;
      Message* payload =
          out.GetReflection()->MutableMessage(&out, payload_field);
      bool kept_any = false;
      if (!KeepOwnBookings(*payload, owned, kept_any) || !kept_any) {
        return std::nullopt;
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::string PayloadJson(const Event& event) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  // Serialising a well-formed message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(event, &json, options);
  return json;
}

}  // namespace training::notification::webhooks
