#ifndef TRAINING_COMMON_EVENTS_TESTING_EVENTS_H_
#define TRAINING_COMMON_EVENTS_TESTING_EVENTS_H_

// Shared by the events tests and their helper process: a table `effects`
// where a test handler counts how often each event's effect happened.

#include <vector>

#include "common/events/consumer.h"
#include "common/sql/migrations.h"

namespace training::events::testing {

std::vector<sql::Migration> EffectMigrations();

// A handler that adds one to effects(event_id); an event whose type is
// "fail" is refused with "refused by the test handler" while `*fail` is
// true (when `fail` is given).
EventHandler CountEffect(const bool* fail = nullptr);

}  // namespace training::events::testing

#endif  // TRAINING_COMMON_EVENTS_TESTING_EVENTS_H_
