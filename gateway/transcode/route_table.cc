#include "gateway/transcode/route_table.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"

namespace training::gateway::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

// The rule's method and template, e.g. {"GET", "/v1/courses"}.
std::pair<std::string, std::string> VerbAndTemplate(
    const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return {"GET", rule.get()};
    case google::api::HttpRule::kPut:
      return {"PUT", rule.put()};
    case google::api::HttpRule::kPost:
      return {"POST", rule.post()};
    case google::api::HttpRule::kDelete:
      return {"DELETE", rule.delete_()};
    case google::api::HttpRule::kPatch:
      return {"PATCH", rule.patch()};
    case google::api::HttpRule::kCustom:
      return {absl::AsciiStrToUpper(rule.custom().kind()),
              rule.custom().path()};
    case google::api::HttpRule::PATTERN_NOT_SET:
      break;
  }
  return {"", ""};
}

absl::StatusOr<Route> RouteOf(const MethodDescriptor* method,
                              const std::string& backend,
                              const google::api::HttpRule& rule) {
  auto fail = [&](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(method->full_name(), ": google.api.http: ", what));
  };
  Route route;
  route.method = method;
  route.backend = backend;
  route.grpc_path =
      absl::StrCat("/", method->service()->full_name(), "/", method->name());
  auto [verb, text] = VerbAndTemplate(rule);
  if (verb.empty() || text.empty()) return fail("no method and path");
  route.http_method = verb;
  auto path = ParsePathTemplate(text);
  if (!path.ok()) return fail(path.status().message());
  route.path = *std::move(path);

  const Descriptor* input = method->input_type();
  for (const PathTemplate::Variable& variable : route.path.variables) {
    auto field =
        ResolveFieldPath(input, absl::StrJoin(variable.field_path, "."), false);
    if (!field.ok()) return fail(field.status().message());
    const FieldDescriptor* leaf = field->back();
    if (leaf->is_repeated() ||
        leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return fail(absl::StrCat("path variable ", FieldPathName(*field),
                               " must be a single scalar field"));
    }
    route.variables.push_back(*std::move(field));
  }
  if (rule.body() == "*") {
    route.body = Route::Body::kWhole;
  } else if (!rule.body().empty()) {
    route.body = Route::Body::kField;
    route.body_field = input->FindFieldByName(rule.body());
    if (route.body_field == nullptr) {
      return fail(absl::StrCat("body \"", rule.body(),
                               "\" is not a top-level request field"));
    }
  }
  if (!rule.response_body().empty()) {
    route.response_field =
        method->output_type()->FindFieldByName(rule.response_body());
    if (route.response_field == nullptr ||
        route.response_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return fail(absl::StrCat("response_body \"", rule.response_body(),
                               "\" is not a top-level message field of the "
                               "response"));
    }
  }
  if (method->options().HasExtension(training::api::v1::access)) {
    route.access = method->options().GetExtension(training::api::v1::access);
  }
  const FieldDescriptor* request_id = input->FindFieldByName("request_id");
  if (request_id != nullptr && !request_id->is_repeated() &&
      request_id->type() == FieldDescriptor::TYPE_STRING) {
    route.request_id = request_id;
  }
  return route;
}

}  // namespace

std::string FieldPathName(const FieldPath& path) {
  std::string name;
  for (const FieldDescriptor* field : path) {
    absl::StrAppend(&name, name.empty() ? "" : ".", field->name());
  }
  return name;
}

absl::StatusOr<FieldPath> ResolveFieldPath(const Descriptor* message,
                                           absl::string_view dotted,
                                           bool json_names_too) {
  FieldPath path;
  const Descriptor* current = message;
  for (absl::string_view part : absl::StrSplit(dotted, '.')) {
    if (current == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(dotted, ": ", FieldPathName(path),
                       " is not a message, so has no field \"", part, "\""));
    }
    const FieldDescriptor* field = current->FindFieldByName(std::string(part));
    for (int i = 0;
         field == nullptr && json_names_too && i < current->field_count();
         ++i) {
      if (current->field(i)->json_name() == part) field = current->field(i);
    }
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(dotted, ": no field \"", part, "\""));
    }
    if (!path.empty() && path.back()->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat(dotted, ": ", FieldPathName(path), " is repeated"));
    }
    path.push_back(field);
    current = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                  ? field->message_type()
                  : nullptr;
  }
  return path;
}

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::Build(
    const std::vector<Service>& services, const DescriptorPool* pool) {
  if (pool == nullptr) pool = DescriptorPool::generated_pool();
  std::unique_ptr<RouteTable> table(new RouteTable());
  for (const Service& service : services) {
    const auto* descriptor = pool->FindServiceByName(service.full_name);
    if (descriptor == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("no service ", service.full_name, " in the contract"));
    }
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const MethodDescriptor* method = descriptor->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      if (method->client_streaming() || method->server_streaming()) {
        return absl::InvalidArgumentError(absl::StrCat(
            method->full_name(), ": streaming RPCs are not transcoded"));
      }
      const auto& rule = method->options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules = {&rule};
      for (const auto& binding : rule.additional_bindings()) {
        if (binding.additional_bindings_size() > 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(method->full_name(),
                           ": an additional binding may not have its own"));
        }
        rules.push_back(&binding);
      }
      for (const google::api::HttpRule* one : rules) {
        ASSIGN_OR_RETURN(Route route, RouteOf(method, service.backend, *one));
        RETURN_IF_ERROR(table->Add(std::move(route)));
      }
    }
  }
  return table;
}

absl::Status RouteTable::Add(Route route) {
  absl::Status added = matcher_.Add(route.http_method, route.path,
                                    static_cast<int>(routes_.size()));
  if (!added.ok()) {
    return absl::Status(added.code(), absl::StrCat(route.method->full_name(),
                                                   ": ", added.message()));
  }
  routes_.push_back(std::move(route));
  return absl::OkStatus();
}

std::optional<RouteTable::Found> RouteTable::Find(
    absl::string_view http_method, absl::string_view path) const {
  auto match = matcher_.Find(http_method, path);
  if (!match.has_value()) return std::nullopt;
  return Found{&routes_[match->route], std::move(match->values)};
}

}  // namespace training::gateway::transcode
