#include "common/runtime/control_characters.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "training/api/v1/text.pb.h"

namespace training::runtime {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool HasForbidden(const std::string& text, bool multi_line) {
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) continue;
    if (multi_line && (c == '\t' || c == '\n' || c == '\r')) continue;
    return true;
  }
  return false;
}

const char* Rule(bool multi_line) {
  return multi_line
             ? "must not contain control characters other than tab and line "
               "breaks"
             : "must not contain control characters";
}

}  // namespace

ControlCharacterCheck::ControlCharacterCheck(const Descriptor* type)
    : root_(NodeFor(type, false)) {
  Prune();
}

ControlCharacterCheck::Node* ControlCharacterCheck::NodeFor(
    const Descriptor* type, bool map_value_multi_line) {
  auto [it, added] = nodes_.try_emplace({type, map_value_multi_line});
  if (!added) return it->second.get();
  // Made before its fields are walked, so that a type that contains itself
  // finds its own node.
  it->second = std::make_unique<Node>();
  Node* node = it->second.get();
  const bool map_entry = type->options().map_entry();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    const bool multi_line =
        field->options().GetExtension(training::api::v1::multi_line) ||
        (map_entry && map_value_multi_line && field->number() == 2);
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      node->entries.push_back({field, multi_line, nullptr});
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      const bool is_map = field->is_map();
      node->entries.push_back(
          {field, false, NodeFor(field->message_type(), is_map && multi_line),
           is_map});
    }
  }
  return node;
}

void ControlCharacterCheck::Prune() {
  // A node matters when it has a string field or a message field whose
  // node matters; everything else (timestamps, durations) is never walked.
  std::map<const Node*, bool> matters;
  for (const auto& [key, node] : nodes_) {
    matters[node.get()] =
        std::any_of(node->entries.begin(), node->entries.end(),
                    [](const Entry& e) { return e.child == nullptr; });
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [key, node] : nodes_) {
      if (matters[node.get()]) continue;
      for (const Entry& e : node->entries) {
        if (e.child != nullptr && matters[e.child]) {
          matters[node.get()] = changed = true;
          break;
        }
      }
    }
  }
  for (const auto& [key, node] : nodes_) {
    auto& entries = node->entries;
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const Entry& e) {
                                   return e.child != nullptr &&
                                          !matters[e.child];
                                 }),
                  entries.end());
  }
}

std::vector<FieldViolation> ControlCharacterCheck::Check(
    const Message& message) const {
  std::vector<FieldViolation> violations;
  if (!Clean(*root_, message)) Collect(*root_, message, "", violations);
  return violations;
}

bool ControlCharacterCheck::Clean(const Node& node,
                                  const Message& message) const {
  const Reflection* reflection = message.GetReflection();
  std::string scratch;
  for (const Entry& e : node.entries) {
    if (e.field->is_repeated()) {
      const int size = reflection->FieldSize(message, e.field);
      for (int i = 0; i < size; ++i) {
        if (e.child == nullptr
                ? HasForbidden(reflection->GetRepeatedStringReference(
                                   message, e.field, i, &scratch),
                               e.multi_line)
                : !Clean(*e.child,
                         reflection->GetRepeatedMessage(message, e.field, i))) {
          return false;
        }
      }
    } else if (e.child == nullptr) {
      if (HasForbidden(
              reflection->GetStringReference(message, e.field, &scratch),
              e.multi_line)) {
        return false;
      }
    } else if (reflection->HasField(message, e.field) &&
               !Clean(*e.child, reflection->GetMessage(message, e.field))) {
      return false;
    }
  }
  return true;
}

void ControlCharacterCheck::Collect(
    const Node& node, const Message& message, const std::string& prefix,
    std::vector<FieldViolation>& violations) const {
  const Reflection* reflection = message.GetReflection();
  std::string scratch;
  for (const Entry& e : node.entries) {
    const std::string path = absl::StrCat(prefix, e.field->name());
    if (e.map) {
      const int size = reflection->FieldSize(message, e.field);
      for (int i = 0; i < size; ++i) {
        if (!Clean(*e.child,
                   reflection->GetRepeatedMessage(message, e.field, i))) {
          const bool prose_values =
              e.child->entries.size() == 2 && e.child->entries[1].multi_line;
          violations.push_back(
              {path, prose_values ? "keys must not contain control "
                                    "characters, nor values any but tab and "
                                    "line breaks"
                                  : "keys and values must not contain "
                                    "control characters"});
          break;
        }
      }
    } else if (e.field->is_repeated()) {
      const int size = reflection->FieldSize(message, e.field);
      for (int i = 0; i < size; ++i) {
        const std::string element = absl::StrCat(path, "[", i, "]");
        if (e.child == nullptr) {
          if (HasForbidden(reflection->GetRepeatedStringReference(
                               message, e.field, i, &scratch),
                           e.multi_line)) {
            violations.push_back({element, Rule(e.multi_line)});
          }
        } else {
          Collect(*e.child, reflection->GetRepeatedMessage(message, e.field, i),
                  element + ".", violations);
        }
      }
    } else if (e.child == nullptr) {
      if (HasForbidden(
              reflection->GetStringReference(message, e.field, &scratch),
              e.multi_line)) {
        violations.push_back({path, Rule(e.multi_line)});
      }
    } else if (reflection->HasField(message, e.field)) {
      Collect(*e.child, reflection->GetMessage(message, e.field), path + ".",
              violations);
    }
  }
}

}  // namespace training::runtime
