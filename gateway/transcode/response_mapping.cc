#include "gateway/transcode/response_mapping.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace training::gateway::transcode {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kJson[] = "application/json";

}  // namespace

google::protobuf::util::JsonPrintOptions PrintOptions() {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  return options;
}

std::string ToJson(const Message& message) {
  std::string json;
  // Printing a valid message cannot fail: every type is in the pool.
  (void)google::protobuf::util::MessageToJsonString(message, &json,
                                                    PrintOptions());
  return json;
}

// The JSON of a message of `type` from its wire bytes; nullopt when the
// bytes do not convert (then the parsed message is printed instead).
std::optional<std::string> WireToJson(const google::protobuf::Descriptor* type,
                                      const std::string& wire) {
  // One resolver for the process, over the generated pool: read-only, so
  // shared by every thread.
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com",
          google::protobuf::DescriptorPool::generated_pool());
  std::string json;
  if (!google::protobuf::util::BinaryToJsonString(
           resolver, "type.googleapis.com/" + type->full_name(), wire, &json,
           PrintOptions())
           .ok()) {
    return std::nullopt;
  }
  return json;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

ResponseBody BuildResponseBody(const Route& route, const Message& response,
                               const std::string& wire) {
  const Message* shown = &response;
  const FieldDescriptor* field = route.response_field;
  if (field != nullptr && field->is_repeated()) {
    const auto* r = response.GetReflection();
    std::string json = "[";
    for (int i = 0; i < r->FieldSize(response, field); ++i) {
      absl::StrAppend(&json, i == 0 ? "" : ",",
                      ToJson(r->GetRepeatedMessage(response, field, i)));
    }
    return {kJson, json + "]"};
  }
  if (field != nullptr) {
    shown = &response.GetReflection()->GetMessage(response, field);
  }
  if (shown->GetDescriptor()->full_name() ==
      google::api::HttpBody::descriptor()->full_name()) {
    google::api::HttpBody body;
    body.ParseFromString(shown->SerializeAsString());
    return {body.content_type().empty() ? "application/octet-stream"
                                        : body.content_type(),
            body.data()};
  }
  // The resolver knows the generated pool only.
  if (shown == &response && !wire.empty() &&
      response.GetDescriptor()->file()->pool() ==
          google::protobuf::DescriptorPool::generated_pool()) {
    if (auto json = WireToJson(response.GetDescriptor(), wire)) {
      return {kJson, *std::move(json)};
    }
  }
  return {kJson, ToJson(*shown)};
}

}  // namespace training::gateway::transcode
