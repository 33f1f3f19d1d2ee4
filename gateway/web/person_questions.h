#ifndef TRAINING_GATEWAY_WEB_PERSON_QUESTIONS_H_
#define TRAINING_GATEWAY_WEB_PERSON_QUESTIONS_H_

// The questions about a person, as the booking form and the send-a-
// colleague form ask them: the same fields, names and rules
// (booking_form.h), worded for whoever is being described.

#include <map>
#include <string>
#include <vector>

#include "gateway/web/booking_form.h"
#include "kainjow/mustache.hpp"

namespace training::gateway::web {

// Sets the booking_form template's question fields (full_name … consent)
// and section headings from `values` (FormFromAnswers) and `errors`.
void PersonQuestions(Person who,
                     const std::map<std::string, std::string>& values,
                     const std::vector<FormError>& errors,
                     kainjow::mustache::data& data);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_PERSON_QUESTIONS_H_
