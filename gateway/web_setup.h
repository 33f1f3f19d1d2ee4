#ifndef TRAINING_GATEWAY_WEB_SETUP_H_
#define TRAINING_GATEWAY_WEB_SETUP_H_

// The public pages (gateway/web) as their flags configure them: the
// assets, the templates with the site's names, the form keys and cookies,
// the calls to the services, and the worker pool the pages run on.

#include <memory>

#include "absl/time/time.h"
#include "common/runtime/worker_pool.h"
#include "gateway/upstream/backends.h"
#include "gateway/web/form_guard.h"
#include "gateway/web/page_renderer.h"
#include "gateway/web/static_assets.h"
#include "gateway/web/suite_client.h"
#include "gateway/web/web_handler.h"
#include "gateway/web/web_pages.h"

namespace training::gateway {

// Declared in the order they are built: each uses those above it.
struct Web {
  std::unique_ptr<web::StaticAssets> assets;
  std::unique_ptr<web::PageRenderer> renderer;
  std::unique_ptr<web::FormGuard> guard;
  std::unique_ptr<web::SuiteClient> suite;
  std::unique_ptr<web::WebPages> pages;
  std::unique_ptr<runtime::WorkerPool> pool;
  std::unique_ptr<web::WebHandler> handler;
};

// From the flags, calling the services through `backends` (which outlives
// the result) with the gateway's deadlines; exits 2 naming the flag when
// one is not valid or the assets or templates are missing.
std::unique_ptr<Web> WebFromFlags(const Backends& backends,
                                  absl::Duration read_deadline,
                                  absl::Duration write_deadline,
                                  web::WebHandler::Reporter reporter);

}  // namespace training::gateway

#endif  // TRAINING_GATEWAY_WEB_SETUP_H_
