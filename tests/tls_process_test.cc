// gRPC over TLS between the real binaries, with a CA the test makes with
// the openssl command line: catalogue and booking serve TLS only and ask
// for client certificates; booking calls the catalogue over TLS with its
// own; plaintext and certificate-less callers are refused; Kubernetes-style
// probes reach grpc.health.v1 on the plaintext health port; the gateway
// serves the REST API from TLS-only backends; and a server
// certificate replaced on disk is served without a restart.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/process.h"
#include "gtest/gtest.h"
#include "health/v1/health.grpc.pb.h"
#include "tests/booking_process_fixture.h"
#include "tests/http_client.h"

namespace training::testing {
namespace {

std::string Read(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

// The booking fixture gives Redis, the key file and the helpers that make
// a course and a booking request (its own plaintext catalogue goes unused).
class TlsProcessTest : public BookingProcessTest {
 protected:
  void SetUp() override {
    BookingProcessTest::SetUp();
    if (HasFatalFailure()) return;
    std::ofstream(dir_ + "/san.ext")
        << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    ASSERT_TRUE(MakeCa("ca"));
    ASSERT_TRUE(MakeCa("other-ca"));
    ASSERT_TRUE(MakeCert("server", "ca", /*server=*/true));
    ASSERT_TRUE(MakeCert("client", "ca", /*server=*/false));
    ASSERT_TRUE(MakeCert("server2", "other-ca", /*server=*/true));
  }

  // Runs openssl with `args` in the test's directory.
  bool OpenSsl(std::vector<std::string> args) {
    ChildProcess run("/usr/bin/openssl", args, {}, dir_ + "/openssl.log");
    return run.Wait(kWatchdog) == std::optional<int>(0);
  }
  bool MakeCa(const std::string& name) {
    return OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    Path(name + ".key"), "-out", Path(name + ".pem"), "-days",
                    "2", "-subj", "/CN=" + name});
  }
  bool MakeCert(const std::string& name, const std::string& ca, bool server) {
    if (!OpenSsl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-keyout", Path(name + ".key"), "-out",
                  Path(name + ".csr"), "-subj",
                  "/CN=" + std::string(server ? "localhost" : "booking")})) {
      return false;
    }
    std::vector<std::string> sign = {"x509",
                                     "-req",
                                     "-in",
                                     Path(name + ".csr"),
                                     "-CA",
                                     Path(ca + ".pem"),
                                     "-CAkey",
                                     Path(ca + ".key"),
                                     "-CAcreateserial",
                                     "-out",
                                     Path(name + ".pem"),
                                     "-days",
                                     "2"};
    if (server) {
      sign.push_back("-extfile");
      sign.push_back(Path("san.ext"));
    }
    return OpenSsl(sign);
  }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

  // A service serving TLS only (the certificate copied to a file of its
  // own, so that the test can replace it), asking for client certificates
  // signed by the test CA, with a plaintext health port.
  std::unique_ptr<ChildProcess> Start(const std::string& binary,
                                      const std::string& name,
                                      std::vector<std::string> extra, int* port,
                                      int* health_port) {
    std::filesystem::copy_file(
        Path("server.pem"), Path(name + "-cert.pem"),
        std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(
        Path("server.key"), Path(name + "-key.pem"),
        std::filesystem::copy_options::overwrite_existing);
    *health_port = FreePort();
    std::vector<std::string> args = {
        "--port=0",
        "--metrics_port=0",
        "--port_file=" + Path(name + ".port"),
        "--shutdown_grace=0s",
        "--data_dir=" + Path(name + "-data"),
        "--api_keys_file=" + Path("keys.json"),
        "--redis_url=" + redis_.url(),
        "--tls_cert_file=" + Path(name + "-cert.pem"),
        "--tls_key_file=" + Path(name + "-key.pem"),
        "--tls_client_ca_file=" + Path("ca.pem"),
        "--tls_refresh_interval=1s",
        absl::StrCat("--health_port=", *health_port)};
    args.insert(args.end(), extra.begin(), extra.end());
    auto child = std::make_unique<ChildProcess>(
        binary, args,
        std::map<std::string, std::string>{
            {"TRAINING_SERVICE_KEY", kBookingKey}},
        Path(name + ".log"));
    *port = WaitForPortFile(Path(name + ".port"), kWatchdog).value_or(0);
    return child;
  }

  // A channel to `port` trusting `ca`, presenting the client certificate
  // when `with_client_cert`; plaintext when `ca` is empty.
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& ca,
                                         bool with_client_cert) {
    if (ca.empty()) {
      return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                 grpc::InsecureChannelCredentials());
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(Path(ca + ".pem"));
    if (with_client_cert) {
      ssl.pem_private_key = Read(Path("client.key"));
      ssl.pem_cert_chain = Read(Path("client.pem"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::SslCredentials(ssl), args);
  }

  static grpc::StatusCode Check(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, request, &response).error_code();
  }
};

TEST_F(TlsProcessTest, ServicesTalkTlsWithClientCertificatesOnly) {
  int catalogue_port = 0, catalogue_health = 0;
  auto catalogue = Start(CATALOGUE_BINARY, "catalogue", {}, &catalogue_port,
                         &catalogue_health);
  ASSERT_NE(catalogue_port, 0) << catalogue->Log();
  int booking_port = 0, booking_health = 0;
  auto booking =
      Start(BOOKING_BINARY, "booking",
            {absl::StrCat("--catalogue_address=127.0.0.1:", catalogue_port),
             "--tls_ca_file=" + Path("ca.pem"),
             "--tls_client_cert_file=" + Path("client.pem"),
             "--tls_client_key_file=" + Path("client.key")},
            &booking_port, &booking_health);
  ASSERT_NE(booking_port, 0) << booking->Log();

  // Only a caller with the CA and a client certificate gets in.
  EXPECT_EQ(Check(Channel(catalogue_port, "ca", true)), grpc::StatusCode::OK);
  EXPECT_EQ(Check(Channel(catalogue_port, "", false)),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(Channel(catalogue_port, "ca", false)),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(Channel(catalogue_port, "other-ca", true)),
            grpc::StatusCode::UNAVAILABLE);
  // Probes without certificates reach health, and health only.
  EXPECT_EQ(Check(Channel(catalogue_health, "", false)), grpc::StatusCode::OK);
  EXPECT_EQ(Check(Channel(booking_health, "", false)), grpc::StatusCode::OK);
  {
    auto stub = catalogue::CatalogueService::NewStub(
        Channel(catalogue_health, "", false));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    catalogue::ListCoursesRequest request;
    catalogue::ListCoursesResponse response;
    EXPECT_EQ(stub->ListCourses(&context, request, &response).error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }

  // Booking learns a session it has not heard of from the catalogue, over
  // TLS with its client certificate: the booking is made.
  catalogue_stub_ =
      catalogue::CatalogueService::NewStub(Channel(catalogue_port, "ca", true));
  const std::string session = CreateSession(5);
  ASSERT_FALSE(session.empty());
  auto booking_stub =
      booking::BookingService::NewStub(Channel(booking_port, "ca", true));
  booking::Booking booked;
  grpc::Status made = booking_stub->CreateBooking(
      Context().get(), BookingRequest(session, 1), &booked);
  EXPECT_TRUE(made.ok()) << made.error_message() << booking->Log();
  EXPECT_EQ(booked.state(), booking::Booking::CONFIRMED);

  // The gateway reaches the catalogue over TLS with its client certificate:
  // the REST API works in front of TLS-only backends.
  {
    const std::string gateway_dir = MakeTempDir("gateway");
    ChildProcess gateway(
        GATEWAY_BINARY,
        {"--http_port=0", "--metrics_port=0",
         "--port_file=" + gateway_dir + "/port", "--shutdown_grace=0s",
         absl::StrCat("--catalogue_address=127.0.0.1:", catalogue_port),
         absl::StrCat("--booking_address=127.0.0.1:", booking_port),
         "--tls_ca_file=" + Path("ca.pem"),
         "--tls_client_cert_file=" + Path("client.pem"),
         "--tls_client_key_file=" + Path("client.key")},
        {}, gateway_dir + "/log");
    const int http_port =
        WaitForPortFile(gateway_dir + "/port", kWatchdog).value_or(0);
    ASSERT_NE(http_port, 0) << gateway.Log();
    HttpReply course = HttpCall(http_port, "GET", "/v1/courses/intro-mi");
    EXPECT_EQ(course.status, 200) << course.body << gateway.Log();
    EXPECT_NE(course.body.find("courses/intro-mi"), std::string::npos);
    gateway.Signal(SIGTERM);
    EXPECT_EQ(gateway.Wait(kWatchdog), std::optional<int>(0)) << gateway.Log();
  }

  // The certificate is replaced on disk by one from another CA: served
  // within the refresh interval, no restart.
  std::filesystem::copy_file(Path("server2.pem"), Path("catalogue-cert.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(Path("server2.key"), Path("catalogue-key.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  grpc::StatusCode rotated = grpc::StatusCode::UNAVAILABLE;
  for (absl::Time end = absl::Now() + kWatchdog;
       rotated != grpc::StatusCode::OK && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(200));
    rotated = Check(Channel(catalogue_port, "other-ca", true));
  }
  EXPECT_EQ(rotated, grpc::StatusCode::OK);

  for (auto* child : {booking.get(), catalogue.get()}) {
    child->Signal(SIGTERM);
    EXPECT_EQ(child->Wait(kWatchdog), std::optional<int>(0)) << child->Log();
  }
}

}  // namespace
}  // namespace training::testing
