#ifndef TRAINING_COMMON_RUNTIME_TLS_H_
#define TRAINING_COMMON_RUNTIME_TLS_H_

// TLS for the suite's gRPC servers and clients, from PEM files that gRPC
// re-reads every `refresh` (FileWatcherCertificateProvider), so that a
// renewed certificate or CA bundle takes effect without a restart. With no
// files given, plaintext, as for local runs.
//
// Servers: --tls_cert_file and --tls_key_file (both or neither); with
// --tls_client_ca_file they also require and verify a client certificate
// signed by that CA. Clients: --tls_ca_file verifies the servers; with
// --tls_client_cert_file and --tls_client_key_file they present their own.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace training::runtime {

struct ServerTlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // empty: no client certificate asked for
  absl::Duration refresh = absl::Seconds(60);

  bool enabled() const { return !cert_file.empty(); }
};

struct ClientTlsFiles {
  std::string ca_file;  // empty: plaintext
  std::string cert_file;
  std::string key_file;
  absl::Duration refresh = absl::Seconds(60);

  bool enabled() const { return !ca_file.empty(); }
};

// The credentials to listen with. INVALID_ARGUMENT naming the flag when a
// file is missing or unreadable or only one of a pair is given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerTlsFiles& files);

// The credentials to call another service with; the same errors.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const ClientTlsFiles& files);

// The client files given by the client flags (--tls_ca_file,
// --tls_client_cert_file, --tls_client_key_file; tls_client_flags.cc).
ClientTlsFiles ClientTlsFilesFromFlags();
// The server files given by the server flags (--tls_cert_file,
// --tls_key_file, --tls_client_ca_file; tls_server_flags.cc).
ServerTlsFiles ServerTlsFilesFromFlags();
// --tls_refresh_interval, which both sides use.
absl::Duration TlsRefreshIntervalFromFlags();

}  // namespace training::runtime

#endif  // TRAINING_COMMON_RUNTIME_TLS_H_
