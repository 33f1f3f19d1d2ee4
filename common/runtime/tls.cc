#include "common/runtime/tls.h"

#include <unistd.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

ABSL_FLAG(absl::Duration, tls_refresh_interval, absl::Seconds(60),
          "How often certificate, key and CA files are re-read, so that a "
          "renewed certificate takes effect without a restart.");

namespace training::runtime {
namespace {

absl::Status Readable(const std::string& path, const char* flag) {
  if (access(path.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  return absl::OkStatus();
}

absl::Status Pair(const std::string& cert, const char* cert_flag,
                  const std::string& key, const char* key_flag) {
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", cert_flag, " and --", key_flag,
                     " go together: give both or neither"));
  }
  if (cert.empty()) return absl::OkStatus();
  if (absl::Status s = Readable(cert, cert_flag); !s.ok()) return s;
  return Readable(key, key_flag);
}

unsigned int RefreshSeconds(absl::Duration refresh) {
  return static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(refresh)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerTlsFiles& files) {
  if (absl::Status s = Pair(files.cert_file, "tls_cert_file", files.key_file,
                            "tls_key_file");
      !s.ok()) {
    return s;
  }
  if (!files.enabled()) {
    if (!files.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
    }
    return grpc::InsecureServerCredentials();
  }
  if (!files.client_ca_file.empty()) {
    if (absl::Status s = Readable(files.client_ca_file, "tls_client_ca_file");
        !s.ok()) {
      return s;
    }
  }
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.key_file, files.cert_file, files.client_ca_file,
          RefreshSeconds(files.refresh));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!files.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const ClientTlsFiles& files) {
  if (absl::Status s = Pair(files.cert_file, "tls_client_cert_file",
                            files.key_file, "tls_client_key_file");
      !s.ok()) {
    return s;
  }
  if (!files.enabled()) {
    if (!files.cert_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_cert_file needs --tls_ca_file");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (absl::Status s = Readable(files.ca_file, "tls_ca_file"); !s.ok()) {
    return s;
  }
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files.key_file, files.cert_file, files.ca_file,
          RefreshSeconds(files.refresh));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!files.cert_file.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(options);
}

absl::Duration TlsRefreshIntervalFromFlags() {
  return absl::GetFlag(FLAGS_tls_refresh_interval);
}

}  // namespace training::runtime
