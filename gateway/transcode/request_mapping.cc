#include "gateway/transcode/request_mapping.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/text/text.h"
#include "gateway/transcode/path_matcher.h"
#include "google/api/httpbody.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace training::gateway::transcode {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsWrapper(const Descriptor* type) {
  return type->file()->name() == "google/protobuf/wrappers.proto";
}

bool IsHttpBody(const Descriptor* type) {
  return type->full_name() == google::api::HttpBody::descriptor()->full_name();
}

// The message holding `path`'s leaf, made as needed.
Message* MutableParent(Message* message, const FieldPath& path) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, path[i]);
  }
  return message;
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

absl::Status SetScalar(Message* parent, const FieldDescriptor* field,
                       absl::string_view text) {
  const Reflection* r = parent->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (!absl::WebSafeBase64Unescape(text, &value) &&
            !absl::Base64Unescape(text, &value)) {
          return Invalid("must be base64");
        }
      } else {
        if (!text::IsValidUtf8(text)) return Invalid("must be UTF-8 text");
        value = std::string(text);
      }
      repeated ? r->AddString(parent, field, std::move(value))
               : r->SetString(parent, field, std::move(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v))
        return Invalid("must be a 32-bit integer");
      repeated ? r->AddInt32(parent, field, v) : r->SetInt32(parent, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return Invalid("must be an integer");
      repeated ? r->AddInt64(parent, field, v) : r->SetInt64(parent, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) {
        return Invalid("must be a non-negative 32-bit integer");
      }
      repeated ? r->AddUInt32(parent, field, v)
               : r->SetUInt32(parent, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) {
        return Invalid("must be a non-negative integer");
      }
      repeated ? r->AddUInt64(parent, field, v)
               : r->SetUInt64(parent, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return Invalid("must be a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? r->AddFloat(parent, field, static_cast<float>(v))
                 : r->SetFloat(parent, field, static_cast<float>(v));
      } else {
        repeated ? r->AddDouble(parent, field, v)
                 : r->SetDouble(parent, field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text == "false" || text == "0") {
        v = false;
      } else {
        return Invalid("must be true or false");
      }
      repeated ? r->AddBool(parent, field, v) : r->SetBool(parent, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value =
          field->enum_type()->FindValueByName(std::string(text));
      int number = 0;
      if (value == nullptr && absl::SimpleAtoi(text, &number)) {
        value = field->enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) {
        return Invalid(absl::StrCat("must be one of the ",
                                    field->enum_type()->name(), " names"));
      }
      repeated ? r->AddEnum(parent, field, value)
               : r->SetEnum(parent, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Invalid("cannot be set from text");
}

absl::Status SetMessageFromText(Message* target, absl::string_view text) {
  using google::protobuf::util::TimeUtil;
  const Descriptor* type = target->GetDescriptor();
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp") {
    google::protobuf::Timestamp value;
    if (!TimeUtil::FromString(std::string(text), &value)) {
      return Invalid("must be an RFC 3339 time, e.g. 2027-01-20T09:30:00Z");
    }
    target->CopyFrom(value);
    return absl::OkStatus();
  }
  if (name == "google.protobuf.Duration") {
    google::protobuf::Duration value;
    if (!TimeUtil::FromString(std::string(text), &value)) {
      return Invalid("must be a duration in seconds, e.g. 1.5s");
    }
    target->CopyFrom(value);
    return absl::OkStatus();
  }
  if (name == "google.protobuf.FieldMask") {
    google::protobuf::FieldMask value;
    for (absl::string_view part :
         absl::StrSplit(text, ',', absl::SkipEmpty())) {
      // lowerCamel (the JSON form) or snake_case: both spell a.b_c.
      std::string snake;
      for (char c : part) {
        if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
          snake += '_';
          snake += absl::ascii_tolower(static_cast<unsigned char>(c));
        } else {
          snake += c;
        }
      }
      value.add_paths(snake);
    }
    target->CopyFrom(value);
    return absl::OkStatus();
  }
  if (IsWrapper(type)) {
    return SetScalar(target, type->FindFieldByName("value"), text);
  }
  return Invalid("is a message: set its fields by dotted names");
}

std::string DecodeQueryPart(absl::string_view text, bool* ok) {
  std::string plus_as_space(text);
  for (char& c : plus_as_space) {
    if (c == '+') c = ' ';
  }
  auto decoded = PercentDecode(plus_as_space);
  *ok = decoded.has_value();
  return decoded.value_or("");
}

bool StartsWith(const FieldPath& path, const FieldPath& prefix) {
  return prefix.size() <= path.size() &&
         std::equal(prefix.begin(), prefix.end(), path.begin());
}

// protobuf's JSON errors name the field: "(a.b) c: Cannot find field." or
// "(a.b): invalid value ...". The violation names it without the value.
FieldViolation JsonViolation(absl::string_view message,
                             absl::string_view prefix) {
  std::string field(prefix);
  absl::string_view rest = message;
  if (absl::ConsumePrefix(&rest, "(")) {
    size_t close = rest.find(')');
    if (close != absl::string_view::npos) {
      absl::StrAppend(&field, field.empty() ? "" : ".", rest.substr(0, close));
      rest.remove_prefix(close + 1);
    }
  }
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (absl::ConsumePrefix(&rest, ":")) {
    return {field.empty() ? "body" : field,
            "invalid value for this field's type"};
  }
  size_t unknown = rest.find(": Cannot find field.");
  if (unknown != absl::string_view::npos) {
    absl::StrAppend(&field, field.empty() ? "" : ".", rest.substr(0, unknown));
    return {field, "unknown field"};
  }
  return {field.empty() ? "body" : field,
          "must be valid JSON for this request"};
}

absl::Status ParseJsonInto(absl::string_view json, Message* target,
                           absl::string_view field_prefix) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), target, options);
  if (status.ok()) return absl::OkStatus();
  return InvalidArgumentError(
      {JsonViolation(status.message().as_string(), field_prefix)});
}

absl::Status MapBody(const Route& route, const HttpRequestParts& parts,
                     Message* request) {
  const Reflection* r = request->GetReflection();
  if (route.body == Route::Body::kNone) {
    if (!absl::StripAsciiWhitespace(parts.body).empty()) {
      return InvalidArgumentError(
          {{"body",
            "this route takes no body: send the fields as query "
            "parameters"}});
    }
    return absl::OkStatus();
  }
  Message* target = request;
  if (route.body == Route::Body::kField &&
      route.body_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
      !route.body_field->is_repeated()) {
    target = r->MutableMessage(request, route.body_field);
  } else if (route.body == Route::Body::kField) {
    // A scalar or repeated body: parse it as the value of that one field.
    google::protobuf::Value value;
    if (!google::protobuf::util::JsonStringToMessage(
             google::protobuf::StringPiece(parts.body.data(),
                                           parts.body.size()),
             &value)
             .ok()) {
      return InvalidArgumentError(
          {{route.body_field->name(), "must be valid JSON"}});
    }
    std::string wrapped = absl::StrCat("{\"", route.body_field->json_name(),
                                       "\":", parts.body, "}");
    return ParseJsonInto(wrapped, request, "");
  }
  if (IsHttpBody(target->GetDescriptor())) {
    google::api::HttpBody body;
    body.set_content_type(std::string(parts.content_type));
    body.set_data(std::string(parts.body));
    target->CopyFrom(body);
    return absl::OkStatus();
  }
  if (absl::StripAsciiWhitespace(parts.body).empty()) return absl::OkStatus();
  return ParseJsonInto(
      parts.body, target,
      route.body == Route::Body::kField ? route.body_field->name() : "");
}

absl::Status MapQuery(const Route& route, absl::string_view query,
                      Message* request) {
  std::vector<FieldViolation> violations;
  std::set<std::string> seen;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    bool key_ok = false, value_ok = false;
    std::string key = DecodeQueryPart(kv.first, &key_ok);
    std::string value = DecodeQueryPart(kv.second, &value_ok);
    std::string shown = key_ok && text::IsValidUtf8(key) ? key : "query";
    if (!key_ok || !value_ok) {
      violations.push_back({shown, "malformed percent-encoding"});
      continue;
    }
    if (route.body == Route::Body::kWhole) {
      violations.push_back(
          {shown,
           "unknown query parameter: this route takes every field "
           "in its JSON body"});
      continue;
    }
    auto path = ResolveFieldPath(route.method->input_type(), key, true);
    if (!path.ok()) {
      violations.push_back({shown, "unknown query parameter"});
      continue;
    }
    const std::string name = FieldPathName(*path);
    if (route.body == Route::Body::kField &&
        StartsWith(*path, {route.body_field})) {
      violations.push_back({name, "set it in the body, not the query"});
      continue;
    }
    bool bound = false;
    for (const FieldPath& variable : route.variables) {
      bound = bound || StartsWith(*path, variable);
    }
    if (bound) {
      violations.push_back({name, "set by the path, not the query"});
      continue;
    }
    if (!path->back()->is_repeated() && !seen.insert(name).second) {
      violations.push_back({name, "given more than once"});
      continue;
    }
    absl::Status set = SetFromText(request, *path, value);
    if (!set.ok()) violations.push_back({name, std::string(set.message())});
  }
  if (violations.empty()) return absl::OkStatus();
  return InvalidArgumentError(std::move(violations));
}

}  // namespace

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  const Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  if (prototype == nullptr) {
    static auto* dynamic = new google::protobuf::DynamicMessageFactory();
    prototype = dynamic->GetPrototype(type);
  }
  return std::unique_ptr<Message>(prototype->New());
}

absl::Status SetFromText(Message* message, const FieldPath& path,
                         absl::string_view text) {
  Message* parent = MutableParent(message, path);
  const FieldDescriptor* leaf = path.back();
  if (leaf->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return SetScalar(parent, leaf, text);
  }
  const Reflection* r = parent->GetReflection();
  Message* target = leaf->is_repeated() ? r->AddMessage(parent, leaf)
                                        : r->MutableMessage(parent, leaf);
  absl::Status set = SetMessageFromText(target, text);
  if (!set.ok() && leaf->is_repeated()) r->RemoveLast(parent, leaf);
  return set;
}

absl::StatusOr<std::unique_ptr<Message>> BuildRequest(
    const Route& route, const HttpRequestParts& parts) {
  std::unique_ptr<Message> request = NewMessage(route.method->input_type());
  absl::Status body = MapBody(route, parts, request.get());
  if (!body.ok()) return body;
  absl::Status query = MapQuery(route, parts.query, request.get());
  if (!query.ok()) return query;
  std::vector<FieldViolation> violations;
  for (size_t i = 0; i < route.variables.size(); ++i) {
    const FieldPath& path = route.variables[i];
    const std::string& value =
        i < parts.path_values.size() ? parts.path_values[i] : std::string();
    Message* parent = MutableParent(request.get(), path);
    // A body naming another resource than the path is a mistake to say,
    // not one to paper over: the caller would believe it changed the one
    // it named.
    if (path.back()->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        !path.back()->is_repeated()) {
      const std::string given =
          parent->GetReflection()->GetString(*parent, path.back());
      if (!given.empty() && given != value) {
        violations.push_back({FieldPathName(path), "differs from the path"});
        continue;
      }
    }
    parent->GetReflection()->ClearField(parent, path.back());
    absl::Status set = SetScalar(parent, path.back(), value);
    if (!set.ok()) {
      violations.push_back({FieldPathName(path), std::string(set.message())});
    }
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  return request;
}

}  // namespace training::gateway::transcode
