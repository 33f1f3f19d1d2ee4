#include "services/notification/mime_message.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace training::notification {
namespace {

constexpr char kCrlf[] = "\r\n";

bool IsPlainAscii(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// Base64 in lines of 76 characters.
std::string WrappedBase64(absl::string_view data) {
  const std::string encoded = absl::Base64Escape(data);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(&out, encoded.substr(i, 76), kCrlf);
  }
  return out;
}

// A boundary that cannot occur in base64 or quoted-printable text ("=_" is
// neither), the same for every attempt at one message.
std::string Boundary(absl::string_view message_id) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : message_id) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrFormat("=_training_%016x", hash);
}

std::string TextPart(absl::string_view type, absl::string_view text) {
  return absl::StrCat("Content-Type: ", type, "; charset=utf-8", kCrlf,
                      "Content-Transfer-Encoding: quoted-printable", kCrlf,
                      kCrlf, QuotedPrintable(text), kCrlf);
}

}  // namespace

std::string QuotedPrintable(absl::string_view text) {
  std::string out;
  size_t line_length = 0;
  auto append = [&](absl::string_view piece) {
    // A soft break keeps every line within 76 characters, "=" included.
    if (line_length + piece.size() > 75) {
      absl::StrAppend(&out, "=", kCrlf);
      line_length = 0;
    }
    out.append(piece.data(), piece.size());
    line_length += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    if (c == '\n' ||
        (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      // A space or tab before a line break would be lost in transit.
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        const char last = out.back();
        out.pop_back();
        --line_length;
        append(absl::StrFormat("=%02X", last));
      }
      absl::StrAppend(&out, kCrlf);
      line_length = 0;
    } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      append(std::string(1, static_cast<char>(c)));
    } else {
      append(absl::StrFormat("=%02X", c));
    }
  }
  if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    const char last = out.back();
    out.pop_back();
    out += absl::StrFormat("=%02X", last);
  }
  return out;
}

std::string EncodeHeaderText(absl::string_view text) {
  const std::string line = OneLine(text);
  if (IsPlainAscii(line)) return line;
  // Encoded words of at most 45 input bytes (60 base64 characters), split
  // only between UTF-8 sequences.
  std::string out;
  size_t start = 0;
  while (start < line.size()) {
    size_t end = std::min(line.size(), start + 45);
    while (end < line.size() && end > start &&
           (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) absl::StrAppend(&out, kCrlf, " ");
    absl::StrAppend(&out, "=?UTF-8?B?",
                    absl::Base64Escape(line.substr(start, end - start)), "?=");
    start = end;
  }
  return out;
}

std::string WriteMime(const MailMessage& m) {
  const std::string boundary = Boundary(m.message_id);
  std::string out = absl::StrCat(
      "From: ", EncodeHeaderText(m.from_name), " <", OneLine(m.from_address),
      ">", kCrlf, "To: <", OneLine(m.to_address), ">", kCrlf,
      m.reply_to.empty()
          ? std::string()
          : absl::StrCat("Reply-To: <", OneLine(m.reply_to), ">", kCrlf),
      "Subject: ", EncodeHeaderText(m.subject), kCrlf, "Date: ",
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", m.date,
                       absl::UTCTimeZone()),
      kCrlf, "Message-ID: <", OneLine(m.message_id), ">", kCrlf,
      "Auto-Submitted: auto-generated", kCrlf, "MIME-Version: 1.0", kCrlf,
      "Content-Type: multipart/alternative; boundary=\"", boundary, "\"", kCrlf,
      kCrlf);
  absl::StrAppend(&out, "--", boundary, kCrlf,
                  TextPart("text/plain", m.text_body));
  if (!m.html_body.empty()) {
    absl::StrAppend(&out, "--", boundary, kCrlf,
                    TextPart("text/html", m.html_body));
  }
  if (!m.calendar.empty()) {
    absl::StrAppend(&out, "--", boundary, kCrlf,
                    "Content-Type: text/calendar; charset=utf-8; method=",
                    m.calendar_method, kCrlf,
                    "Content-Transfer-Encoding: base64", kCrlf, kCrlf,
                    WrappedBase64(m.calendar));
  }
  absl::StrAppend(&out, "--", boundary, "--", kCrlf);
  return out;
}

}  // namespace training::notification
