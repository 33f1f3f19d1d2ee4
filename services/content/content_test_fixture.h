#ifndef TRAINING_SERVICES_CONTENT_CONTENT_TEST_FIXTURE_H_
#define TRAINING_SERVICES_CONTENT_CONTENT_TEST_FIXTURE_H_

// What the content tests on both engines share: a fresh database with the
// content store, the editor and the reader over it, a booking-access seam
// the test sets answers on, and helpers that create articles.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/sql/database.h"
#include "common/sql/testing/engines.h"
#include "common/sql/testing/test_databases.h"
#include "common/status/errors.h"
#include "common/testing/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/content/article_editor.h"
#include "services/content/article_reader.h"
#include "services/content/booking_access.h"
#include "services/content/store_sql.h"

namespace training::content {

// Booking's answers, set by the test: a unit seam, since the real booking
// service is exercised by tests/content_audience_test.cc.
class ScriptedBookingAccess final : public BookingAccess {
 public:
  void Open(const std::string& booking, const std::string& token,
            BookingFacts facts) {
    absl::MutexLock lock(&mu_);
    opened_[{booking, token}] = std::move(facts);
  }
  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  int asked() const {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

  // BookingAccess:
  absl::StatusOr<BookingFacts> Check(const std::string& booking,
                                     const std::string& token) override {
    absl::MutexLock lock(&mu_);
    ++asked_;
    if (down_) {
      return WithRetryInfo(absl::UnavailableError("booking: down"),
                           absl::Seconds(5));
    }
    auto it = opened_.find({booking, token});
    if (it == opened_.end()) return BookingAccessDenied();
    return it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, BookingFacts> opened_
      ABSL_GUARDED_BY(mu_);
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  int asked_ ABSL_GUARDED_BY(mu_) = 0;
};

inline Caller AdminCaller() {
  Caller caller;
  caller.admin = true;
  caller.key_name = "training-team";
  return caller;
}

inline Caller TokenHolder(const std::string& token) {
  Caller caller;
  caller.manage_token = token;
  return caller;
}

class ContentTest : public ::testing::TestWithParam<sql::Engine> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::string url,
                         sql::testing::NewTestDatabaseUrl(GetParam()));
    ASSERT_OK_AND_ASSIGN(db_, sql::Database::Open(url));
    ASSERT_OK_AND_ASSIGN(store_, SqlContentStore::Open(db_.get()));
    editor_ = std::make_unique<ArticleEditor>(store_.get(), &clock_);
    reader_ = std::make_unique<ArticleReader>(store_.get(), &booking_);
  }

  static v1::CreateArticleRequest NewArticle(const std::string& id,
                                             const std::string& title,
                                             const std::string& body) {
    v1::CreateArticleRequest r;
    r.set_article_id(id);
    r.mutable_article()->set_title(title);
    r.mutable_article()->set_summary(absl::StrCat("About ", title, "."));
    r.mutable_article()->set_body_markdown(body);
    return r;
  }

  // Creates and publishes; returns the published article.
  absl::StatusOr<v1::Article> Published(v1::CreateArticleRequest r) {
    absl::StatusOr<v1::Article> created = editor_->CreateArticle(admin_, r);
    if (!created.ok()) return created.status();
    v1::PublishArticleRequest publish;
    publish.set_name(created->name());
    return editor_->PublishArticle(admin_, publish);
  }

  absl::StatusOr<v1::Article> Get(const Caller& caller, const std::string& name,
                                  const std::string& booking = "") {
    v1::GetArticleRequest r;
    r.set_name(name);
    r.set_booking(booking);
    return reader_->GetArticle(caller, r);
  }

  // The names a search finds, in order.
  absl::StatusOr<std::vector<std::string>> Found(
      const Caller& caller, const std::string& query,
      const std::string& booking = "") {
    v1::SearchArticlesRequest r;
    r.set_query(query);
    r.set_booking(booking);
    absl::StatusOr<v1::SearchArticlesResponse> response =
        reader_->SearchArticles(caller, r);
    if (!response.ok()) return response.status();
    std::vector<std::string> names;
    for (const v1::SearchResult& result : response->results()) {
      names.push_back(result.article().name());
    }
    return names;
  }

  absl::StatusOr<std::vector<std::string>> Listed(
      const Caller& caller, v1::ListArticlesRequest r = {}) {
    absl::StatusOr<v1::ListArticlesResponse> response =
        reader_->ListArticles(caller, r);
    if (!response.ok()) return response.status();
    std::vector<std::string> names;
    for (const v1::Article& article : response->articles()) {
      names.push_back(article.name());
    }
    return names;
  }

  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
  ScriptedBookingAccess booking_;
  const Caller admin_ = AdminCaller();
  const Caller anyone_{};
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<SqlContentStore> store_;
  std::unique_ptr<ArticleEditor> editor_;
  std::unique_ptr<ArticleReader> reader_;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_CONTENT_TEST_FIXTURE_H_
