// The server side's TLS flags, linked only into binaries that serve gRPC.

#include "absl/flags/flag.h"
#include "common/runtime/tls.h"

ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain this server presents; with --tls_key_file "
          "the gRPC port speaks TLS only. Re-read every "
          "--tls_refresh_interval. Empty: plaintext (local runs).");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: when given, this server requires a client "
          "certificate signed by it (mutual TLS).");

namespace training::runtime {

ServerTlsFiles ServerTlsFilesFromFlags() {
  return {absl::GetFlag(FLAGS_tls_cert_file), absl::GetFlag(FLAGS_tls_key_file),
          absl::GetFlag(FLAGS_tls_client_ca_file),
          TlsRefreshIntervalFromFlags()};
}

}  // namespace training::runtime
