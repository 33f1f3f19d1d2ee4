#ifndef TRAINING_COMMON_TEXT_TEXT_H_
#define TRAINING_COMMON_TEXT_TEXT_H_

// Small text rules every service applies to input.

#include <algorithm>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace training::text {

// Length in code points of UTF-8 text, so that limits mean characters, not
// bytes.
inline size_t Utf8Length(absl::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

// A UUID in its text form: 8-4-4-4-12 hex digits, any case.
inline bool IsUuid(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && !absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace training::text

#endif  // TRAINING_COMMON_TEXT_TEXT_H_
