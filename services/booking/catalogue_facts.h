#ifndef TRAINING_SERVICES_BOOKING_CATALOGUE_FACTS_H_
#define TRAINING_SERVICES_BOOKING_CATALOGUE_FACTS_H_

// The catalogue's courses and sessions translated into what booking keeps
// of them (domain_types.h), range-checked: they arrive as events over
// Redis, and a capacity, count, time or name out of range is
// INVALID_ARGUMENT naming the field, never stored.

#include "absl/status/statusor.h"
#include "services/booking/domain_types.h"
#include "training/catalogue/v1/resources.pb.h"

namespace training::booking {

absl::StatusOr<CourseRules> RulesFromCatalogue(
    const training::catalogue::v1::Course& course);
absl::StatusOr<SessionFacts> FactsFromCatalogue(
    const training::catalogue::v1::Session& session);

}  // namespace training::booking

#endif  // TRAINING_SERVICES_BOOKING_CATALOGUE_FACTS_H_
