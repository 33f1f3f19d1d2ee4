#ifndef TRAINING_SERVICES_NOTIFICATION_MAIL_RELAY_H_
#define TRAINING_SERVICES_NOTIFICATION_MAIL_RELAY_H_

// The mail relay a message is handed to, and what it answered. SmtpRelay
// speaks SMTP through libcurl: plain, STARTTLS required, or implicit TLS
// (smtps), with a user and password when given.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace training::notification {

struct RelayReply {
  // The relay's last SMTP reply code; 0 when none came.
  int code = 0;
  // The connection failed or timed out before the relay answered.
  bool transport_failed = false;
  // What went wrong, for the delivery log: never an address.
  std::string error;
};

class MailRelay {
 public:
  virtual ~MailRelay() = default;
  // Sends `message` (RFC 5322, CRLF lines) from `from` to `to`.
  virtual RelayReply Send(const std::string& from, const std::string& to,
                          const std::string& message) = 0;
};

struct SmtpOptions {
  std::string host = "127.0.0.1";
  int port = 25;
  enum class Tls { kNone, kStartTls, kImplicit } tls = Tls::kNone;
  std::string user{};
  std::string password{};
  absl::Duration timeout = absl::Seconds(30);
  // CA bundle for the relay's certificate; empty: the system's.
  std::string ca_file{};
};

class SmtpRelay final : public MailRelay {
 public:
  explicit SmtpRelay(SmtpOptions options);
  RelayReply Send(const std::string& from, const std::string& to,
                  const std::string& message) override;

 private:
  const SmtpOptions options_;
};

// `text` with anything shaped like an e-mail address replaced by "<address>",
// for error text from a relay (which often quotes the recipient).
std::string WithoutAddresses(const std::string& text);

}  // namespace training::notification

#endif  // TRAINING_SERVICES_NOTIFICATION_MAIL_RELAY_H_
