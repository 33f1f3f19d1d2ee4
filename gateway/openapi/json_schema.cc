#include "gateway/openapi/json_schema.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/api/field_behavior.pb.h"

namespace training::gateway::openapi {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;

bool HasBehavior(const FieldDescriptor* field, google::api::FieldBehavior b) {
  const auto& options = field->options();
  const int n = options.ExtensionSize(google::api::field_behavior);
  for (int i = 0; i < n; ++i) {
    if (options.GetExtension(google::api::field_behavior, i) == b) return true;
  }
  return false;
}

std::string ComponentRef(const std::string& full_name) {
  return "#/components/schemas/" + full_name;
}

// What protobuf's JSON mapping writes for a scalar.
Json ScalarSchema(FieldDescriptor::Type type) {
  switch (type) {
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SFIXED32:
      return {{"type", "integer"}, {"format", "int32"}};
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_FIXED32:
      return {{"type", "integer"},
              {"format", "int64"},
              {"minimum", 0},
              {"maximum", 4294967295LL}};
    // 64-bit integers are strings in the JSON mapping: a double cannot
    // hold them.
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED64:
      return {{"type", "string"}, {"format", "int64"}};
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED64:
      return {{"type", "string"}, {"format", "uint64"}};
    case FieldDescriptor::TYPE_DOUBLE:
      return {{"type", "number"}, {"format", "double"}};
    case FieldDescriptor::TYPE_FLOAT:
      return {{"type", "number"}, {"format", "float"}};
    case FieldDescriptor::TYPE_BOOL:
      return {{"type", "boolean"}};
    case FieldDescriptor::TYPE_BYTES:
      return {{"type", "string"}, {"contentEncoding", "base64"}};
    default:
      return {{"type", "string"}};
  }
}

}  // namespace

bool SchemaBuilder::IsRequired(const FieldDescriptor* field) {
  return HasBehavior(field, google::api::REQUIRED);
}

bool SchemaBuilder::IsOutputOnly(const FieldDescriptor* field) {
  return HasBehavior(field, google::api::OUTPUT_ONLY);
}

Json SchemaBuilder::WellKnown(const Descriptor* message) {
  const std::string& name = message->full_name();
  if (name == "google.protobuf.Timestamp") {
    return {{"type", "string"}, {"format", "date-time"}};
  }
  if (name == "google.protobuf.Duration") {
    return {{"type", "string"},
            {"pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$"},
            {"examples", {"1.5s"}}};
  }
  if (name == "google.protobuf.FieldMask") {
    return {{"type", "string"},
            {"description",
             "Field paths, comma-separated, in lowerCamel: `summary,title`."}};
  }
  if (name == "google.protobuf.Empty") return {{"type", "object"}};
  if (name == "google.protobuf.Struct") {
    return {{"type", "object"}, {"additionalProperties", true}};
  }
  if (name == "google.protobuf.Value") return Json::object();
  if (name == "google.protobuf.ListValue") return {{"type", "array"}};
  if (name == "google.protobuf.Any") {
    return {{"type", "object"},
            {"properties", {{"@type", {{"type", "string"}}}}},
            {"required", {"@type"}},
            {"additionalProperties", true}};
  }
  // Wrappers: the value itself, or null.
  if (message->file()->name() == "google/protobuf/wrappers.proto") {
    Json schema = ScalarSchema(message->FindFieldByName("value")->type());
    schema["type"] = {schema["type"], "null"};
    return schema;
  }
  return nullptr;
}

Json SchemaBuilder::EnumRef(const EnumDescriptor* type) {
  const std::string& name = type->full_name();
  if (started_.insert(name).second) {
    Json values = Json::array();
    std::string description = comments_->For(type);
    for (int i = 0; i < type->value_count(); ++i) {
      values.push_back(type->value(i)->name());
      std::string comment = comments_->For(type->value(i));
      absl::StrAppend(&description, description.empty() ? "" : "\n\n", "- `",
                      type->value(i)->name(), "`", comment.empty() ? "" : ": ",
                      comment);
    }
    schemas_[name] = {
        {"type", "string"}, {"enum", values}, {"description", description}};
  }
  return {{"$ref", ComponentRef(name)}};
}

Json SchemaBuilder::MessageRef(const Descriptor* message) {
  Json known = WellKnown(message);
  if (!known.is_null()) return known;
  const std::string& name = message->full_name();
  if (started_.insert(name).second) {
    schemas_[name] = Json::object();  // holds its place; fields may recurse
    Json schema = MessageSchema(message, {});
    schemas_[name] = std::move(schema);
  }
  return {{"$ref", ComponentRef(name)}};
}

Json SchemaBuilder::MessageSchema(
    const Descriptor* message,
    const std::set<const FieldDescriptor*>& leave_out) {
  Json schema = {{"type", "object"}};
  std::string description = comments_->For(message);
  Json properties = Json::object();
  Json required = Json::array();
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    if (leave_out.count(field) > 0) continue;
    properties[field->json_name()] = FieldSchema(field);
    if (IsRequired(field)) required.push_back(field->json_name());
  }
  for (int i = 0; i < message->oneof_decl_count(); ++i) {
    const auto* oneof = message->oneof_decl(i);
    if (oneof->is_synthetic()) continue;  // a proto3 `optional`
    std::vector<std::string> names;
    for (int f = 0; f < oneof->field_count(); ++f) {
      names.push_back(absl::StrCat("`", oneof->field(f)->json_name(), "`"));
    }
    absl::StrAppend(&description, description.empty() ? "" : "\n\n",
                    "At most one of ", absl::StrJoin(names, ", "), ".");
  }
  if (!description.empty()) schema["description"] = description;
  schema["properties"] = std::move(properties);
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

Json SchemaBuilder::ValueSchema(const FieldDescriptor* field) {
  if (field->type() == FieldDescriptor::TYPE_ENUM) {
    return EnumRef(field->enum_type());
  }
  if (field->type() == FieldDescriptor::TYPE_MESSAGE ||
      field->type() == FieldDescriptor::TYPE_GROUP) {
    return MessageRef(field->message_type());
  }
  return ScalarSchema(field->type());
}

Json SchemaBuilder::FieldSchema(const FieldDescriptor* field) {
  Json schema;
  if (field->is_map()) {
    schema = {{"type", "object"},
              {"additionalProperties",
               ValueSchema(field->message_type()->map_value())}};
  } else if (field->is_repeated()) {
    schema = {{"type", "array"}, {"items", ValueSchema(field)}};
  } else {
    schema = ValueSchema(field);
  }
  std::string description = comments_->For(field);
  auto note = [&description](const char* text) {
    absl::StrAppend(&description, description.empty() ? "" : "\n\n", text);
  };
  if (HasBehavior(field, google::api::IMMUTABLE)) {
    note("Set when the resource is created; cannot change.");
  }
  if (HasBehavior(field, google::api::IDENTIFIER)) {
    note(
        "The resource's name, which the service sets on create; on an "
        "update it must be the one in the path.");
  }
  const bool read_only = IsOutputOnly(field);
  const bool write_only = HasBehavior(field, google::api::INPUT_ONLY);
  if (description.empty() && !read_only && !write_only) return schema;
  // Keywords beside a $ref are valid in OpenAPI 3.1, but many generators
  // drop them; under allOf every tool keeps them.
  if (schema.contains("$ref")) schema = {{"allOf", Json::array({schema})}};
  if (!description.empty()) schema["description"] = description;
  if (read_only) schema["readOnly"] = true;
  if (write_only) schema["writeOnly"] = true;
  return schema;
}

Json SchemaBuilder::TextValueSchema(const FieldDescriptor* field) {
  Json value = ValueSchema(field);
  if (!field->is_repeated()) return value;
  return {{"type", "array"}, {"items", value}};
}

}  // namespace training::gateway::openapi
