#ifndef TRAINING_SERVICES_CATALOGUE_DEMO_PROGRAMME_H_
#define TRAINING_SERVICES_CATALOGUE_DEMO_PROGRAMME_H_

// The demo programme `./dev up` loads: the partnership's Introduction to
// Motivational Interviewing programme (monthly half-day workshops across the
// county and online, a three-day introduction for social care staff,
// development groups and webinars), with its trainers and venues. Sessions
// are scheduled by local wall-clock time in Europe/London over the months
// after `today`, so the demo always shows a future programme.

#include <vector>

#include "absl/time/civil_time.h"
#include "training/catalogue/v1/catalogue_service.pb.h"

namespace training::catalogue {

struct DemoProgramme {
  std::vector<v1::CreateVenueRequest> venues;
  std::vector<v1::CreateTrainerRequest> trainers;
  // Created as drafts, then published by the loader.
  std::vector<v1::CreateCourseRequest> courses;
  // Each with `parent` set to its course.
  std::vector<v1::CreateSessionRequest> sessions;
};

DemoProgramme MakeDemoProgramme(absl::CivilDay today);

}  // namespace training::catalogue

#endif  // TRAINING_SERVICES_CATALOGUE_DEMO_PROGRAMME_H_
