// training_content_seed: loads the seed learning material (seed_articles.h)
// into a running content service through its public API, as an admin
// (TRAINING_KEY). Idempotent: an article that exists is left as it is (the
// training team may have edited or archived it), unless it is a draft never
// changed since it was created (an earlier run stopped before publishing
// it); a new one is created and published. `./dev up` runs it.

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/runtime/tls.h"
#include "grpcpp/grpcpp.h"
#include "services/content/seed_articles.h"
#include "training/content/v1/content_service.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:7054",
          "The content service's gRPC address.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each call.");

namespace training::content {
namespace {

using v1::ContentService;

void Prepare(grpc::ClientContext& context, const std::string& key) {
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  context.AddMetadata("authorization", "Bearer " + key);
}

bool Fails(const grpc::Status& status, const std::string& what) {
  if (status.ok()) return false;
  std::cerr << "training_content_seed: " << what << ": "
            << status.error_message() << " (code " << status.error_code()
            << ")\n";
  return true;
}

int Run() {
  const char* key = std::getenv("TRAINING_KEY");
  if (key == nullptr || *key == '\0') {
    std::cerr << "training_content_seed: TRAINING_KEY must hold an admin "
                 "API key\n";
    return 2;
  }
  auto credentials =
      runtime::ChannelCredentials(runtime::ClientTlsFilesFromFlags());
  if (!credentials.ok()) {
    std::cerr << "training_content_seed: " << credentials.status().message()
              << "\n";
    return 2;
  }
  std::unique_ptr<ContentService::Stub> stub = ContentService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_address), *credentials));
  int created = 0;
  const std::vector<v1::CreateArticleRequest> seed = SeedArticles();
  for (const v1::CreateArticleRequest& r : seed) {
    grpc::ClientContext create_context;
    Prepare(create_context, key);
    v1::Article article;
    grpc::Status status = stub->CreateArticle(&create_context, r, &article);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      // Left as it is, unless it is this loader's own unfinished work: a
      // draft never edited since an earlier run created it and then
      // failed before publishing.
      grpc::ClientContext get_context;
      Prepare(get_context, key);
      v1::GetArticleRequest get;
      get.set_name("articles/" + r.article_id());
      if (Fails(stub->GetArticle(&get_context, get, &article),
                "read " + r.article_id())) {
        return 1;
      }
      if (article.state() != v1::Article::DRAFT ||
          article.revision_id() != "1" ||
          article.update_time().seconds() != article.create_time().seconds() ||
          article.update_time().nanos() != article.create_time().nanos()) {
        continue;
      }
    } else if (Fails(status, "create " + r.article_id())) {
      return 1;
    }
    grpc::ClientContext publish_context;
    Prepare(publish_context, key);
    v1::PublishArticleRequest publish;
    publish.set_name(article.name());
    publish.set_etag(article.etag());
    if (Fails(stub->PublishArticle(&publish_context, publish, &article),
              "publish " + r.article_id())) {
      return 1;
    }
    ++created;
  }
  std::cout << "seed articles: created and published " << created << " of "
            << seed.size() << "\n";
  return 0;
}

}  // namespace
}  // namespace training::content

int main(int argc, char** argv) {
  training::config::ParseFlagsOrExit(
      argc, argv,
      "training_content_seed: loads the seed learning material into a "
      "running content service (admin key in TRAINING_KEY).");
  return training::content::Run();
}
