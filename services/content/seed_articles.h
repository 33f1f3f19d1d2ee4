#ifndef TRAINING_SERVICES_CONTENT_SEED_ARTICLES_H_
#define TRAINING_SERVICES_CONTENT_SEED_ARTICLES_H_

// The learning material `./dev up` loads beside the demo programme: what
// Motivational Interviewing is, its four principles and how each supports
// Family Safeguarding practice, Family Safeguarding's five key principles,
// a description of each demo course (linked to it; the course's `article`
// names it), a trainer's profile, questions and answers on booking, and
// reading for people booked on or back from the introduction. Written for
// the suite in its own words from the facts of the real programme.

#include <vector>

#include "training/content/v1/content_service.pb.h"

namespace training::content {

// Created as drafts with these ids, then published by the loader.
std::vector<v1::CreateArticleRequest> SeedArticles();

// The parts, each in its own file: what MI is, its principles and Family
// Safeguarding's (seed_practice_articles.cc); the courses, the trainer,
// booking questions and course reading (seed_course_articles.cc).
std::vector<v1::CreateArticleRequest> SeedPracticeArticles();
std::vector<v1::CreateArticleRequest> SeedCourseArticles();

// One seed article (the parts' shared shape).
v1::CreateArticleRequest SeedArticle(
    const char* id, v1::Article::Kind kind, const char* title,
    const char* summary, const char* body, std::vector<const char*> tags,
    std::vector<const char*> courses = {},
    v1::Article::Audience audience = v1::Article::PUBLIC);

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_SEED_ARTICLES_H_
