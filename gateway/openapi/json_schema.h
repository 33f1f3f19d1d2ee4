#ifndef TRAINING_GATEWAY_OPENAPI_JSON_SCHEMA_H_
#define TRAINING_GATEWAY_OPENAPI_JSON_SCHEMA_H_

// JSON Schemas (OpenAPI 3.1's dialect, JSON Schema 2020-12) of the
// contract's messages as protobuf's JSON mapping writes them: lowerCamel
// names, 64-bit integers as strings, enums by name, well-known types in
// their JSON forms. Comments become descriptions; `google.api.field_behavior`
// becomes `required` (REQUIRED), `readOnly` (OUTPUT_ONLY) and `writeOnly`
// (INPUT_ONLY). Messages and enums are components, referenced by full name.

#include <set>
#include <string>

#include "gateway/openapi/descriptor_comments.h"
#include "google/protobuf/descriptor.h"
#include "nlohmann/json.hpp"

namespace training::gateway::openapi {

using Json = nlohmann::ordered_json;

class SchemaBuilder {
 public:
  // `comments` outlives this.
  explicit SchemaBuilder(const DescriptorComments* comments)
      : comments_(comments) {}

  // A reference to the message's component, building it (and all it
  // reaches) on first use.
  Json MessageRef(const google::protobuf::Descriptor* message);
  // The message's object schema inline, without `leave_out`: the body of a
  // request whose other fields come from the path.
  Json MessageSchema(
      const google::protobuf::Descriptor* message,
      const std::set<const google::protobuf::FieldDescriptor*>& leave_out);
  // The schema of a field's value as the JSON mapping writes it (an array
  // for repeated fields, an object for maps), with its description.
  Json FieldSchema(const google::protobuf::FieldDescriptor* field);
  // The schema of one value of a field that query and path parameters set
  // from text (a scalar, an enum, a well-known type written as a string).
  Json TextValueSchema(const google::protobuf::FieldDescriptor* field);

  // The components built so far: name → schema, in the order first used.
  const Json& schemas() const { return schemas_; }

  // Names of the field's google.api.field_behavior values that matter here.
  static bool IsRequired(const google::protobuf::FieldDescriptor* field);
  static bool IsOutputOnly(const google::protobuf::FieldDescriptor* field);

 private:
  Json ValueSchema(const google::protobuf::FieldDescriptor* field);
  Json EnumRef(const google::protobuf::EnumDescriptor* type);
  // The JSON form of a well-known type; null when `message` is not one.
  static Json WellKnown(const google::protobuf::Descriptor* message);

  const DescriptorComments* comments_;
  Json schemas_ = Json::object();
  std::set<std::string> started_;
};

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_JSON_SCHEMA_H_
