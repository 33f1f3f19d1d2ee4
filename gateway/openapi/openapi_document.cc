#include "gateway/openapi/openapi_document.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gateway/openapi/openapi_components.h"
#include "gateway/openapi/openapi_path.h"

namespace training::gateway::openapi {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using transcode::FieldPath;
using transcode::Route;
namespace api = training::api::v1;

bool StartsWith(const FieldPath& path, const FieldPath& prefix) {
  return path.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), path.begin());
}

// Well-known types the query sets from one text value.
bool IsTextMessage(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" ||
         name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" ||
         type->file()->name() == "google/protobuf/wrappers.proto";
}

const FieldDescriptor* StringField(const Descriptor* type, const char* name) {
  const FieldDescriptor* field = type->FindFieldByName(name);
  return field != nullptr && !field->is_repeated() &&
                 field->type() == FieldDescriptor::TYPE_STRING
             ? field
             : nullptr;
}

// What the response body is: the response message or its response_body
// field's.
const Descriptor* ResponseType(const Route& route) {
  if (route.response_field != nullptr) {
    return route.response_field->message_type();
  }
  return route.method->output_type();
}

bool IsHttpBody(const Descriptor* type) {
  return type != nullptr && type->full_name() == "google.api.HttpBody";
}

// As header_mapping.cc's ApplyIfMatch finds it: the request's own etag,
// or that of the resource in the body; a create has nothing to match.
bool TakesIfMatch(const Route& route) {
  if (absl::StartsWith(route.method->name(), "Create")) return false;
  if (StringField(route.method->input_type(), "etag") != nullptr) return true;
  return route.body == Route::Body::kField &&
         route.body_field->message_type() != nullptr &&
         StringField(route.body_field->message_type(), "etag") != nullptr;
}

bool AnswersWithEtag(const Route& route) {
  const Descriptor* type = ResponseType(route);
  return type != nullptr && StringField(type, "etag") != nullptr;
}

class OperationBuilder {
 public:
  OperationBuilder(const Route& route, const DescriptorComments& comments,
                   SchemaBuilder* schemas)
      : route_(route), comments_(comments), schemas_(schemas) {}

  Json Build(const std::string& operation_id, const OpenApiPath& path) {
    const std::string comment = comments_.For(route_.method);
    Json operation;
    operation["tags"] = {TagOf(route_)};
    operation["operationId"] = operation_id;
    operation["summary"] = FirstSentence(comment);
    operation["description"] =
        absl::StrCat(comment, comment.empty() ? "" : "\n\n", AccessText());
    operation["x-grpc-method"] = route_.grpc_path;
    Json parameters = Json::array();
    AddPathParameters(path, &parameters);
    if (route_.body != Route::Body::kWhole) {
      AddQueryParameters(route_.method->input_type(), {}, "", &parameters);
    }
    AddHeaderParameters(&parameters);
    operation["parameters"] = std::move(parameters);
    if (route_.body != Route::Body::kNone) {
      operation["requestBody"] = RequestBody();
    }
    operation["responses"] = Responses();
    operation["security"] = Security();
    return operation;
  }

  static std::string TagOf(const Route& route) {
    absl::string_view name = route.method->service()->name();
    absl::ConsumeSuffix(&name, "Service");
    return std::string(name);
  }

 private:
  std::string AccessText() const {
    const api::AccessRule& rule = route_.access;
    switch (rule.audience()) {
      case api::PUBLIC:
        if (rule.accept_unknown_bearer()) {
          return "**Access**: anyone, with no credentials; a booking's "
                 "manage token (with the booking named in the request) "
                 "also shows what that booking opens.";
        }
        return "**Access**: anyone, with no credentials; credentials, when "
               "sent, must be valid.";
      case api::MANAGE_TOKEN:
        return "**Access**: the booking's manage token, or an admin key.";
      case api::AGENCY:
        return absl::StrCat("**Access**: an agency key with the `",
                            rule.scope(), "` scope, or an admin key.");
      case api::ADMIN:
        return "**Access**: an admin key.";
      default:
        return "**Access**: not callable over HTTP.";
    }
  }

  Json Security() const {
    const api::AccessRule& rule = route_.access;
    switch (rule.audience()) {
      case api::PUBLIC:
        if (rule.accept_unknown_bearer()) {
          return {Json::object(),
                  {{kManageTokenScheme, Json::array()}},
                  {{kApiKeyScheme, Json::array()}}};
        }
        return {Json::object(), {{kApiKeyScheme, Json::array()}}};
      case api::MANAGE_TOKEN:
        return {{{kManageTokenScheme, Json::array()}},
                {{kApiKeyScheme, {"admin"}}}};
      case api::AGENCY:
        return {{{kApiKeyScheme, {rule.scope(), "admin"}}}};
      default:
        return {{{kApiKeyScheme, {"admin"}}}};
    }
  }

  void AddPathParameters(const OpenApiPath& path, Json* out) {
    for (const PathParameter& p : path.parameters) {
      std::string description =
          p.whole_field ? absl::StrCat("The request's `", p.field, "`.")
                        : absl::StrCat("The ", p.name, " in `", p.pattern,
                                       "`, the resource name the request's `",
                                       p.field, "` holds.");
      Json schema = {{"type", "string"}};
      if (!p.many_segments) schema["pattern"] = "^[^/]+$";
      (*out).push_back({{"name", p.name},
                        {"in", "path"},
                        {"required", true},
                        {"description", description},
                        {"schema", schema}});
    }
  }

  // Set by the path or the body, not the query.
  bool BoundElsewhere(const FieldPath& path) const {
    for (const FieldPath& variable : route_.variables) {
      if (StartsWith(path, variable)) return true;
    }
    return route_.body == Route::Body::kField && !path.empty() &&
           path.front() == route_.body_field;
  }

  // Every field the query may set: scalars, enums, repeated scalars and the
  // well-known types written as text, by dotted lowerCamel names.
  void AddQueryParameters(const Descriptor* message, FieldPath prefix,
                          const std::string& name_prefix, Json* out) {
    if (prefix.size() > 3) return;  // deep nesting: set it in a body
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      FieldPath path = prefix;
      path.push_back(field);
      // request_id is the Idempotency-Key header's.
      if (field->is_map() || field == route_.request_id ||
          BoundElsewhere(path)) {
        continue;
      }
      const std::string name = name_prefix + field->json_name();
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
          !IsTextMessage(field->message_type())) {
        if (!field->is_repeated()) {
          AddQueryParameters(field->message_type(), path, name + ".", out);
        }
        continue;
      }
      bool required = true;
      for (const FieldDescriptor* part : path) {
        required = required && SchemaBuilder::IsRequired(part);
      }
      Json parameter = {
          {"name", name}, {"in", "query"}, {"required", required}};
      const std::string description = comments_.For(field);
      if (!description.empty()) parameter["description"] = description;
      parameter["schema"] = schemas_->TextValueSchema(field);
      if (field->is_repeated()) {
        parameter["style"] = "form";
        parameter["explode"] = true;
      }
      out->push_back(std::move(parameter));
    }
  }

  void AddHeaderParameters(Json* out) const {
    if (route_.request_id != nullptr) {
      out->push_back(ComponentRef("parameters", "IdempotencyKey"));
    }
    if (TakesIfMatch(route_)) {
      out->push_back(ComponentRef("parameters", "IfMatch"));
    }
    if (route_.http_method == "GET" && AnswersWithEtag(route_)) {
      out->push_back(ComponentRef("parameters", "IfNoneMatch"));
    }
    out->push_back(ComponentRef("parameters", "RequestTimeout"));
  }

  // A body resource with an update_mask beside it (AIP-134).
  bool IsPartialUpdate() const {
    return route_.body_field->message_type() != nullptr &&
           route_.method->input_type()->FindFieldByName("update_mask") !=
               nullptr;
  }

  Json RequestBody() {
    Json schema;
    std::string media = "application/json";
    if (route_.body == Route::Body::kField && IsPartialUpdate()) {
      // An update sends only what its mask names: nothing is required.
      schema = schemas_->MessageSchema(route_.body_field->message_type(), {});
      schema.erase("required");
    } else if (route_.body == Route::Body::kField) {
      schema = schemas_->FieldSchema(route_.body_field);
    } else if (IsHttpBody(route_.method->input_type())) {
      media = "*/*";
      schema = {{"type", "string"}};
    } else {
      // The whole request, less the fields the path sets.
      std::set<const FieldDescriptor*> from_path;
      for (const FieldPath& variable : route_.variables) {
        if (variable.size() == 1) from_path.insert(variable.front());
      }
      schema =
          from_path.empty()
              ? schemas_->MessageRef(route_.method->input_type())
              : schemas_->MessageSchema(route_.method->input_type(), from_path);
    }
    return {{"required", true}, {"content", {{media, {{"schema", schema}}}}}};
  }

  Json Responses() {
    Json ok = {{"description", "OK"}};
    const Descriptor* type = ResponseType(route_);
    if (route_.response_field != nullptr &&
        route_.response_field->message_type() == nullptr) {
      ok["content"] = {
          {"application/json",
           {{"schema", schemas_->FieldSchema(route_.response_field)}}}};
    } else if (IsHttpBody(type)) {
      ok["description"] = "The file, with its own Content-Type.";
      ok["content"] = {{"*/*", {{"schema", {{"type", "string"}}}}}};
    } else {
      ok["content"] = {
          {"application/json", {{"schema", schemas_->MessageRef(type)}}}};
    }
    Json headers = Json::object();
    if (AnswersWithEtag(route_)) {
      headers["ETag"] = ComponentRef("headers", "ETag");
    }
    if (route_.http_method == "GET" &&
        route_.access.audience() == api::PUBLIC) {
      headers["Cache-Control"] = ComponentRef("headers", "CacheControl");
    }
    headers["RateLimit-Limit"] = ComponentRef("headers", "RateLimitLimit");
    headers["RateLimit-Remaining"] =
        ComponentRef("headers", "RateLimitRemaining");
    headers["RateLimit-Reset"] = ComponentRef("headers", "RateLimitReset");
    ok["headers"] = std::move(headers);

    Json responses = {{"200", std::move(ok)}};
    if (route_.http_method == "GET" && AnswersWithEtag(route_)) {
      responses["304"] = {{"description",
                           "Not modified: the resource still has the etag "
                           "If-None-Match named."}};
    }
    auto error = [&](const char* code, const char* name) {
      responses[code] = ComponentRef("responses", name);
    };
    error("400", "BadRequest");
    error("401", "Unauthenticated");
    if (route_.access.audience() != api::PUBLIC) {
      error("403", "PermissionDenied");
    }
    if (!route_.variables.empty()) error("404", "NotFound");
    if (route_.http_method != "GET") error("409", "Conflict");
    if (TakesIfMatch(route_)) error("412", "PreconditionFailed");
    if (route_.body != Route::Body::kNone &&
        !IsHttpBody(route_.method->input_type())) {
      error("415", "UnsupportedMediaType");
    }
    if (route_.request_id != nullptr) error("422", "IdempotencyKeyReused");
    error("429", "TooManyRequests");
    error("503", "Unavailable");
    error("default", "Error");
    return responses;
  }

  const Route& route_;
  const DescriptorComments& comments_;
  SchemaBuilder* schemas_;
};

Json Tags(const transcode::RouteTable& routes,
          const DescriptorComments& comments) {
  Json tags = Json::array();
  std::set<std::string> seen;
  for (const Route& route : routes.routes()) {
    std::string name = OperationBuilder::TagOf(route);
    if (!seen.insert(name).second) continue;
    std::string description = comments.For(route.method->service());
    if (description.empty()) description = name;
    tags.push_back({{"name", name}, {"description", description}});
  }
  return tags;
}

}  // namespace

std::vector<std::string> OperationIds(const transcode::RouteTable& routes) {
  std::map<std::string, std::set<std::string>> services_by_method;
  for (const Route& route : routes.routes()) {
    services_by_method[route.method->name()].insert(
        route.method->service()->name());
  }
  std::vector<std::string> ids;
  std::map<std::string, int> bindings;
  for (const Route& route : routes.routes()) {
    std::string id = route.method->name();
    if (services_by_method[id].size() > 1) {
      id = absl::StrCat(route.method->service()->name(), "_", id);
    }
    const int n = ++bindings[id];
    ids.push_back(n == 1 ? id : absl::StrCat(id, "_", n));
  }
  return ids;
}

Json BuildOpenApiDocument(const transcode::RouteTable& routes,
                          const DescriptorComments& comments,
                          const DocumentOptions& options) {
  SchemaBuilder schemas(&comments);
  const std::vector<std::string> ids = OperationIds(routes);
  Json paths = Json::object();
  for (size_t i = 0; i < routes.routes().size(); ++i) {
    const Route& route = routes.routes()[i];
    OpenApiPath path = ToOpenApiPath(route.path);
    OperationBuilder builder(route, comments, &schemas);
    paths[path.path][absl::AsciiStrToLower(route.http_method)] =
        builder.Build(ids[i], path);
  }
  Json components = GatewayComponents();
  for (const auto& [name, schema] : schemas.schemas().items()) {
    components["schemas"][name] = schema;
  }
  Json document;
  document["openapi"] = "3.1.0";
  document["info"] = {{"title", "Safeguarding training suite API"},
                      {"version", options.version},
                      {"description", ApiOverview()}};
  document["servers"] = {{{"url", options.server_url}}};
  document["tags"] = Tags(routes, comments);
  document["paths"] = std::move(paths);
  document["components"] = std::move(components);
  return document;
}

}  // namespace training::gateway::openapi
