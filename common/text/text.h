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

// A resource id (slug): 3 to 63 of [a-z0-9-], starting with a letter, not
// ending with '-'.
inline bool IsValidSlug(absl::string_view slug) {
  if (slug.size() < 3 || slug.size() > 63) return false;
  if (slug.front() < 'a' || slug.front() > 'z' || slug.back() == '-') {
    return false;
  }
  return std::all_of(slug.begin(), slug.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// A tag: 1 to 40 of [a-z0-9-].
inline bool IsValidTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > 40) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
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

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what a protobuf string field may hold.
inline bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    unsigned int code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((extra == 2 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
        (extra == 3 && (code < 0x10000 || code > 0x10FFFF))) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// A work e-mail address: at most 254 characters, one '@', a non-empty local
// part, a domain with a dot and no spaces or control characters.
inline bool IsValidEmail(absl::string_view email) {
  if (email.empty() || email.size() > 254) return false;
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return false;
  }
  const absl::string_view domain = email.substr(at + 1);
  const size_t dot = domain.find('.');
  if (dot == absl::string_view::npos || dot == 0 || domain.back() == '.') {
    return false;
  }
  return std::none_of(email.begin(), email.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f || c == ',' ||
           c == ';' || c == '<' || c == '>' || c == '"';
  });
}

// `courses/{course}/sessions/{session}`, one segment each.
inline bool IsSessionName(absl::string_view name) {
  const size_t slash = name.find("/sessions/");
  return name.substr(0, 8) == "courses/" && slash != absl::string_view::npos &&
         slash > 8 && slash + 10 < name.size() &&
         name.find('/', slash + 10) == absl::string_view::npos;
}

}  // namespace training::text

#endif  // TRAINING_COMMON_TEXT_TEXT_H_
