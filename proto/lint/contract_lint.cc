#include "proto/lint/contract_lint.h"

#include <cctype>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/service_names.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "training/api/v1/access.pb.h"
#include "training/events/v1/webhook_rule.pb.h"

namespace training::contract {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::SourceLocation;

class Linter {
 public:
  std::vector<LintFinding> TakeFindings() { return std::move(findings_); }

  void LintFile(const FileDescriptor& file) {
    for (int i = 0; i < file.service_count(); ++i)
      LintService(*file.service(i));
    for (int i = 0; i < file.message_type_count(); ++i) {
      LintMessage(*file.message_type(i));
    }
    for (int i = 0; i < file.enum_type_count(); ++i)
      LintEnum(*file.enum_type(i));
  }

 private:
  void Add(absl::string_view element, absl::string_view rule,
           absl::string_view message) {
    findings_.push_back(
        {std::string(element), std::string(rule), std::string(message)});
  }

  template <typename D>
  void RequireComment(const D& d, absl::string_view what) {
    SourceLocation location;
    if (!d.GetSourceLocation(&location) ||
        absl::StripAsciiWhitespace(location.leading_comments).empty()) {
      Add(d.full_name(), "comment-missing",
          absl::StrCat(what, " has no leading comment"));
    }
  }

  void LintService(const ServiceDescriptor& service) {
    RequireComment(service, "service");
    for (int i = 0; i < service.method_count(); ++i) {
      LintMethod(*service.method(i));
    }
  }

  void LintMethod(const MethodDescriptor& method) {
    RequireComment(method, "RPC");
    const auto& options = method.options();
    const bool has_access =
        options.HasExtension(training::api::v1::access) &&
        options.GetExtension(training::api::v1::access).audience() !=
            training::api::v1::AUDIENCE_UNSPECIFIED;
    if (!has_access) {
      Add(method.full_name(), "access-missing",
          "RPC declares no (training.api.v1.access) audience");
    }
    const bool internal =
        has_access &&
        options.GetExtension(training::api::v1::access).audience() ==
            training::api::v1::INTERNAL;
    if (has_access) {
      LintCallers(method, options.GetExtension(training::api::v1::access));
    }
    const bool has_http = options.HasExtension(google::api::http);
    if (internal && has_http) {
      Add(method.full_name(), "http-on-internal",
          "an INTERNAL RPC must not have an HTTP rule");
    }
    if (!internal && !has_http) {
      Add(method.full_name(), "http-missing",
          "a non-internal RPC needs a google.api.http rule");
    }
    if (has_http) LintHttpRule(method, options.GetExtension(google::api::http));
  }

  // An internal RPC names the services that may call it, from the suite's
  // own; no other rule names any.
  void LintCallers(const MethodDescriptor& method,
                   const training::api::v1::AccessRule& rule) {
    if (rule.accept_unknown_bearer() &&
        rule.audience() != training::api::v1::PUBLIC) {
      Add(method.full_name(), "accept-unknown-bearer",
          "only a PUBLIC rule may accept an unknown bearer");
    }
    if (rule.audience() != training::api::v1::INTERNAL) {
      if (rule.callers_size() > 0) {
        Add(method.full_name(), "callers",
            "only an INTERNAL rule names callers");
      }
      return;
    }
    if (rule.callers_size() == 0) {
      Add(method.full_name(), "callers",
          "an INTERNAL rule must name the services that may call it");
    }
    for (const std::string& caller : rule.callers()) {
      if (!training::auth::IsServiceName(caller)) {
        Add(method.full_name(), "callers",
            absl::StrCat("'", caller, "' is not a service of the suite"));
      } else if (caller == "gateway") {
        // The one process the internet reaches calls public RPCs only.
        Add(method.full_name(), "callers",
            "the gateway may not call internal RPCs");
      }
    }
  }

  void LintHttpRule(const MethodDescriptor& method,
                    const google::api::HttpRule& rule) {
    std::string verb;
    std::string path;
    switch (rule.pattern_case()) {
      case google::api::HttpRule::kGet:
        verb = "GET", path = rule.get();
        break;
      case google::api::HttpRule::kPost:
        verb = "POST", path = rule.post();
        break;
      case google::api::HttpRule::kPatch:
        verb = "PATCH", path = rule.patch();
        break;
      case google::api::HttpRule::kDelete:
        verb = "DELETE", path = rule.delete_();
        break;
      case google::api::HttpRule::kPut:
        verb = "PUT", path = rule.put();
        break;
      default:
        verb = "CUSTOM", path = rule.custom().path();
        break;
    }
    // The custom verb is what follows the last ':' outside a variable.
    const size_t last_slash = path.rfind('/');
    const size_t last_brace = path.rfind('}');
    size_t colon = path.rfind(':');
    if (colon != std::string::npos &&
        ((last_slash != std::string::npos && colon < last_slash) ||
         (last_brace != std::string::npos && colon < last_brace))) {
      colon = std::string::npos;
    }
    const bool has_custom_verb = colon != std::string::npos;

    std::string expected;
    bool want_custom_verb = false;
    switch (ClassifyMethod(method.name())) {
      case MethodKind::kGet:
      case MethodKind::kList:
        expected = "GET";
        break;
      case MethodKind::kBatchGet:
        expected = "GET", want_custom_verb = true;
        break;
      case MethodKind::kCreate:
        expected = "POST";
        break;
      case MethodKind::kUpdate:
        expected = "PATCH";
        break;
      case MethodKind::kDelete:
        expected = "DELETE";
        break;
      case MethodKind::kCustom:
        expected = "POST", want_custom_verb = true;
        break;
      case MethodKind::kReadOnlyCustom:
        expected = "GET", want_custom_verb = true;
        break;
    }
    if (verb != expected || has_custom_verb != want_custom_verb) {
      Add(method.full_name(), "http-verb",
          absl::StrCat("expected ", expected,
                       want_custom_verb ? " with a :verb suffix"
                                        : " without a :verb suffix",
                       ", got ", verb, " ", path));
    }

    // Every {variable} must name a (possibly nested) field of the request.
    size_t pos = 0;
    while ((pos = path.find('{', pos)) != std::string::npos) {
      const size_t end = path.find('}', pos);
      if (end == std::string::npos) {
        Add(method.full_name(), "http-path-variable", "unclosed '{' in path");
        break;
      }
      std::string variable = path.substr(pos + 1, end - pos - 1);
      variable = variable.substr(0, variable.find('='));
      if (!ResolveFieldPath(*method.input_type(), variable)) {
        Add(method.full_name(), "http-path-variable",
            absl::StrCat("path variable '", variable, "' names no field of ",
                         method.input_type()->full_name()));
      }
      pos = end + 1;
    }
    if (!rule.body().empty() && rule.body() != "*" &&
        !ResolveFieldPath(*method.input_type(), rule.body())) {
      Add(method.full_name(), "http-body",
          absl::StrCat("body '", rule.body(), "' names no field"));
    }
  }

  static bool ResolveFieldPath(const Descriptor& message,
                               absl::string_view path) {
    const Descriptor* current = &message;
    std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      if (current == nullptr) return false;
      const FieldDescriptor* field =
          current->FindFieldByName(std::string(parts[i]));
      if (field == nullptr || field->is_repeated()) return false;
      current = field->message_type();
    }
    return true;
  }

  // An event envelope (a message `Event` with a oneof `payload`): each
  // payload says which webhook subscriptions receive it.
  void LintEventPayloads(const Descriptor& message) {
    const auto* payload = message.FindOneofByName("payload");
    if (message.name() != "Event" || payload == nullptr) return;
    for (int i = 0; i < payload->field_count(); ++i) {
      const Descriptor* type = payload->field(i)->message_type();
      if (type == nullptr) continue;
      const auto& rule = type->options().GetExtension(events::v1::webhook);
      if (rule.reach() == events::v1::WebhookRule::REACH_UNSPECIFIED) {
        Add(type->full_name(), "webhook-rule",
            "an event payload declares (training.events.v1.webhook) with a "
            "reach");
      } else if ((rule.reach() == events::v1::WebhookRule::OWN_BOOKINGS) ==
                 rule.scope().empty()) {
        Add(type->full_name(), "webhook-rule",
            "a scope is given for OWN_BOOKINGS, and only for it");
      }
    }
  }

  void LintMessage(const Descriptor& message) {
    if (message.options().map_entry()) return;
    LintEventPayloads(message);
    RequireComment(message, "message");
    for (int i = 0; i < message.field_count(); ++i) {
      const FieldDescriptor& field = *message.field(i);
      RequireComment(field, "field");
      if (absl::EndsWith(field.name(), "_time") &&
          (field.message_type() == nullptr ||
           field.message_type()->full_name() != "google.protobuf.Timestamp")) {
        Add(field.full_name(), "time-type",
            "a *_time field must be a google.protobuf.Timestamp");
      }
    }
    for (int i = 0; i < message.nested_type_count(); ++i) {
      LintMessage(*message.nested_type(i));
    }
    for (int i = 0; i < message.enum_type_count(); ++i) {
      LintEnum(*message.enum_type(i));
    }
  }

  void LintEnum(const EnumDescriptor& e) {
    RequireComment(e, "enum");
    const auto* zero = e.FindValueByNumber(0);
    if (zero == nullptr || !absl::EndsWith(zero->name(), "_UNSPECIFIED")) {
      Add(e.full_name(), "enum-zero",
          "the zero value of an enum must be named ..._UNSPECIFIED");
    }
  }

  std::vector<LintFinding> findings_;
};

bool StartsWithWord(absl::string_view name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) &&
         (name.size() == prefix.size() ||
          std::isupper(static_cast<unsigned char>(name[prefix.size()])));
}

}  // namespace

MethodKind ClassifyMethod(absl::string_view name) {
  if (StartsWithWord(name, "Count") || StartsWithWord(name, "Download")) {
    return MethodKind::kReadOnlyCustom;
  }
  if (StartsWithWord(name, "BatchGet")) return MethodKind::kBatchGet;
  if (StartsWithWord(name, "Get")) return MethodKind::kGet;
  if (StartsWithWord(name, "List")) return MethodKind::kList;
  if (StartsWithWord(name, "Create")) return MethodKind::kCreate;
  if (StartsWithWord(name, "Update")) return MethodKind::kUpdate;
  if (StartsWithWord(name, "Delete")) return MethodKind::kDelete;
  return MethodKind::kCustom;
}

std::vector<LintFinding> LintFile(const FileDescriptor& file) {
  Linter linter;
  linter.LintFile(file);
  return linter.TakeFindings();
}

absl::StatusOr<std::vector<LintFinding>> LintDescriptorSet(
    const google::protobuf::FileDescriptorSet& set,
    absl::string_view package_prefix) {
  google::protobuf::DescriptorPool pool;
  std::vector<const FileDescriptor*> files;
  for (const auto& proto : set.file()) {
    const FileDescriptor* file = pool.BuildFile(proto);
    if (file == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptor set: cannot build ", proto.name()));
    }
    if (absl::StartsWith(file->package(), package_prefix))
      files.push_back(file);
  }
  std::vector<LintFinding> findings;
  for (const FileDescriptor* file : files) {
    for (auto& finding : LintFile(*file))
      findings.push_back(std::move(finding));
  }
  return findings;
}

}  // namespace training::contract
