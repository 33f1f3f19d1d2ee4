#ifndef TRAINING_SERVICES_NOTIFICATION_MIME_MESSAGE_H_
#define TRAINING_SERVICES_NOTIFICATION_MIME_MESSAGE_H_

// One e-mail as the relay receives it (RFC 5322 with MIME): a plain-text
// part, an optional HTML part and an optional calendar part as
// `multipart/alternative`, which is how Outlook and Google Calendar expect
// an invite (the part's `method` parameter equals the calendar's METHOD, or
// Outlook shows a plain attachment). Text travels quoted-printable, the
// calendar base64, headers in UTF-8 encoded words where they need it, so
// that the message is 7-bit clean for any relay. `Message-ID` is given (the
// delivery's, stable across attempts) and `Auto-Submitted: auto-generated`
// keeps out-of-office replies away. Plain C++: no gRPC, no SQL.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace training::notification {

struct MailMessage {
  std::string from_name{};     // "Training team"
  std::string from_address{};  // the team's address
  std::string to_address{};
  std::string subject{};
  std::string text_body{};
  std::string html_body{};        // empty: none
  std::string calendar{};         // a VCALENDAR; empty: none
  std::string calendar_method{};  // its METHOD ("REQUEST")
  std::string message_id{};       // without angle brackets
  absl::Time date{};
  std::string reply_to{};  // where replies go; empty: the sender
};

// The whole message, lines ending in CRLF (libcurl adds SMTP's
// dot-stuffing).
std::string WriteMime(const MailMessage& message);

// RFC 2045 quoted-printable, lines at most 76 characters, CRLF line breaks.
std::string QuotedPrintable(absl::string_view text);

// A header value safe to write: CR and LF replaced by spaces, and as one or
// more RFC 2047 encoded words when it is not plain printable ASCII.
std::string EncodeHeaderText(absl::string_view text);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_MIME_MESSAGE_H_
