// The client side's TLS flags, linked only into binaries that call another
// service.

#include "absl/flags/flag.h"
#include "common/runtime/tls.h"

ABSL_FLAG(std::string, tls_ca_file, "",
          "PEM CA bundle that verifies the servers this process calls; "
          "empty: plaintext calls (local runs).");
ABSL_FLAG(std::string, tls_client_cert_file, "",
          "PEM certificate this process presents when it calls another "
          "service (with --tls_client_key_file), for servers that ask.");
ABSL_FLAG(std::string, tls_client_key_file, "",
          "PEM private key of --tls_client_cert_file.");

namespace training::runtime {

ClientTlsFiles ClientTlsFilesFromFlags() {
  return {absl::GetFlag(FLAGS_tls_ca_file),
          absl::GetFlag(FLAGS_tls_client_cert_file),
          absl::GetFlag(FLAGS_tls_client_key_file),
          TlsRefreshIntervalFromFlags()};
}

}  // namespace training::runtime
