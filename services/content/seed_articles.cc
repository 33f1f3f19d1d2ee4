#include "services/content/seed_articles.h"

namespace training::content {

v1::CreateArticleRequest SeedArticle(const char* id, v1::Article::Kind kind,
                                     const char* title, const char* summary,
                                     const char* body,
                                     std::vector<const char*> tags,
                                     std::vector<const char*> courses,
                                     v1::Article::Audience audience) {
  v1::CreateArticleRequest r;
  r.set_article_id(id);
  v1::Article* a = r.mutable_article();
  a->set_kind(kind);
  a->set_title(title);
  a->set_summary(summary);
  a->set_body_markdown(body);
  for (const char* tag : tags) a->add_tags(tag);
  for (const char* course : courses) a->add_courses(course);
  a->set_audience(audience);
  return r;
}

std::vector<v1::CreateArticleRequest> SeedArticles() {
  std::vector<v1::CreateArticleRequest> all = SeedPracticeArticles();
  for (v1::CreateArticleRequest& r : SeedCourseArticles()) {
    all.push_back(std::move(r));
  }
  return all;
}

}  // namespace training::content
