#include "gateway/web_setup.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/auth/hmac_keys.h"
#include "common/config/flags.h"
#include "common/logging/log.h"

ABSL_FLAG(std::string, web_assets_dir, "",
          "Folder of the public pages' stylesheet and scripts; empty: the one "
          "this binary's build wrote.");
ABSL_FLAG(int, web_threads, 8,
          "Threads that render the public pages (each page waits on the "
          "services).");
ABSL_FLAG(int, web_page_size, 10, "Sessions on each page of the programme.");
ABSL_FLAG(int, web_queue, 256,
          "Pages waiting for a thread before more are answered 503.");
ABSL_FLAG(std::string, site_name,
          "Northshire Safeguarding Children Partnership",
          "The partnership's name, in the pages' header and text.");
ABSL_FLAG(std::string, service_name, "Safeguarding training",
          "The service's name, in every page title.");
ABSL_FLAG(std::string, contact_email, "training@localhost",
          "Where the pages send people with questions.");
ABSL_FLAG(std::string, web_form_keys, "",
          "Keys that sign the pages' forms, `kid:secret,...` (secret: URL-safe "
          "base64 of 32+ bytes; the first signs). Every gateway replica needs "
          "the same; empty: a random key of this process's own.");
ABSL_FLAG(bool, secure_cookies, true,
          "Mark the pages' cookies Secure and name them __Host-...; false "
          "only where the site is served over plain HTTP (a local run).");

namespace training::gateway {
namespace {

void ExitUnless(const absl::Status& status, const char* flag) {
  if (status.ok()) return;
  config::ExitIfInvalid(absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": ", status.message())));
}

}  // namespace

std::unique_ptr<Web> WebFromFlags(const Backends& backends,
                                  absl::Duration read_deadline,
                                  absl::Duration write_deadline,
                                  web::WebHandler::Reporter reporter) {
  if (absl::GetFlag(FLAGS_web_threads) < 1 ||
      absl::GetFlag(FLAGS_web_queue) < 1 ||
      absl::GetFlag(FLAGS_web_page_size) < 1 ||
      absl::GetFlag(FLAGS_web_page_size) > 200) {
    config::ExitIfInvalid(absl::InvalidArgumentError(
        "--web_threads and --web_queue must be at least 1, --web_page_size "
        "1 to 200"));
  }
  auto w = std::make_unique<Web>();
  std::string assets_dir = absl::GetFlag(FLAGS_web_assets_dir);
  if (assets_dir.empty()) assets_dir = TRAINING_WEB_ASSETS_DIR;
  auto assets = web::StaticAssets::Load(assets_dir);
  ExitUnless(assets.status(), "web_assets_dir (TRAINING_WEB_ASSETS_DIR)");
  w->assets = *std::move(assets);
  auto renderer = web::PageRenderer::Create(
      {.site_name = absl::GetFlag(FLAGS_site_name),
       .service_name = absl::GetFlag(FLAGS_service_name),
       .contact_email = absl::GetFlag(FLAGS_contact_email)},
      w->assets.get());
  // Templates are built in: a bad one is a bad build, not a flag.
  ExitUnless(renderer.status(), "(templates)");
  w->renderer = *std::move(renderer);
  std::string form_keys = absl::GetFlag(FLAGS_web_form_keys);
  if (form_keys.empty()) {
    log::Warning("web.form_keys_random",
                 {{"detail", log::Id("forms this gateway signs are refused by "
                                     "other replicas: set --web_form_keys "
                                     "when there are several")}});
    form_keys = auth::HmacKeys::NewSpec("web").value_or("");
  }
  auto keys = auth::HmacKeys::Parse(form_keys);
  ExitUnless(keys.status(), "web_form_keys (TRAINING_WEB_FORM_KEYS)");
  const web::CookieOptions cookies{.secure =
                                       absl::GetFlag(FLAGS_secure_cookies)};
  w->guard = std::make_unique<web::FormGuard>(*std::move(keys), cookies);
  w->suite = std::make_unique<web::SuiteClient>(backends, read_deadline,
                                                write_deadline);
  w->pages = std::make_unique<web::WebPages>(
      w->suite.get(), w->renderer.get(), w->guard.get(),
      web::WebOptions{.cookies = cookies,
                      .page_size = absl::GetFlag(FLAGS_web_page_size)});
  w->pool = std::make_unique<runtime::WorkerPool>(
      absl::GetFlag(FLAGS_web_threads),
      static_cast<size_t>(absl::GetFlag(FLAGS_web_queue)));
  w->handler = std::make_unique<web::WebHandler>(
      w->pages.get(), w->assets.get(), w->pool.get(), std::move(reporter));
  return w;
}

}  // namespace training::gateway
