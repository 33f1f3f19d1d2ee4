#ifndef TRAINING_COMMON_RUNTIME_CONTROL_CHARACTERS_H_
#define TRAINING_COMMON_RUNTIME_CONTROL_CHARACTERS_H_

// Refuses control characters in the free text of requests, for every RPC
// of every service alike (the dispatcher runs it before any handler, see
// proto/training/api/v1/text.proto for the rule). PostgreSQL cannot store
// a NUL, and the other C0 characters break logs, e-mail headers and CSV
// exports; a request carrying one is refused whole, as a field violation
// naming the field, before it can reach a batch or a table.
//
// Built once per request type from its descriptor: the walk visits only
// the fields that can hold a string, and allocates nothing for a clean
// request. Thread-safe after construction.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status/errors.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace training::runtime {

class ControlCharacterCheck {
 public:
  explicit ControlCharacterCheck(const google::protobuf::Descriptor* type);
  ControlCharacterCheck(const ControlCharacterCheck&) = delete;
  ControlCharacterCheck& operator=(const ControlCharacterCheck&) = delete;

  // One violation per string field holding a character it may not: U+0000
  // to U+001F and U+007F, except tab, line feed and carriage return in a
  // field marked `(training.api.v1.multi_line)`. Repeated fields are named
  // by element (`marks[2].booking`), map fields by the field alone. Empty
  // when there is none. `message` must be of the type given at
  // construction.
  std::vector<FieldViolation> Check(
      const google::protobuf::Message& message) const;

 private:
  struct Node;
  struct Entry {
    const google::protobuf::FieldDescriptor* field;
    bool multi_line;    // string fields: tab and line breaks allowed
    const Node* child;  // message fields: what to walk inside
    bool map = false;   // a map field: violations name the field only
  };
  struct Node {
    std::vector<Entry> entries;
  };

  // The node for messages of `type` (`map_value_multi_line` for a map
  // entry type whose value is prose), made once.
  Node* NodeFor(const google::protobuf::Descriptor* type,
                bool map_value_multi_line);
  // Drops message entries under which no string can be.
  void Prune();

  bool Clean(const Node& node, const google::protobuf::Message& message) const;
  void Collect(const Node& node, const google::protobuf::Message& message,
               const std::string& prefix,
               std::vector<FieldViolation>& violations) const;

  std::map<std::pair<const google::protobuf::Descriptor*, bool>,
           std::unique_ptr<Node>>
      nodes_;
  const Node* root_;
};

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_CONTROL_CHARACTERS_H_
