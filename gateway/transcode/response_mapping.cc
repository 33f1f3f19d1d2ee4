#include "gateway/transcode/response_mapping.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/util/json_util.h"

namespace training::gateway::transcode {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kJson[] = "application/json";

}  // namespace

std::string ToJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a valid message cannot fail: every type is in the pool.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
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

ResponseBody BuildResponseBody(const Route& route, const Message& response) {
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
  return {kJson, ToJson(*shown)};
}

}  // namespace training::gateway::transcode
