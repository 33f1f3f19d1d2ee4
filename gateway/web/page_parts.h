#ifndef TRAINING_GATEWAY_WEB_PAGE_PARTS_H_
#define TRAINING_GATEWAY_WEB_PAGE_PARTS_H_

// Pieces several pages show the same way: a session's title, time and
// place, and a form's mistakes as the design system shows them.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/web/booking_form.h"
#include "gateway/web/components/html.h"
#include "training/booking/v1/resources.pb.h"
#include "training/catalogue/v1/resources.pb.h"

namespace training::gateway::web {

// The session's own title, or its course's.
std::string SessionTitle(const catalogue::v1::Session& session);
// "Monday 5 July 2027, 9:30am to 12:30pm", in the session's zone.
std::string SessionWhen(const catalogue::v1::Session& session);
// "Online" or "In person, CM1 area".
std::string SessionWhere(const catalogue::v1::Session& session);
// Course, date and time, and where, as summary list rows.
// A session's course, date and time, and place as summary-list rows; for
// a session with no name (an any-date entry's, see
// WebPages::SessionOfBooking), the course and "Any date".
Params SessionRows(const catalogue::v1::Session& session);

// The design system's panel saying `title`, with the booking's reference.
std::string ReferencePanel(const std::string& title,
                           const std::string& reference);

// The path of an article's page, from its name `articles/{id}`.
std::string ArticlePagePath(const std::string& article);

// Whether the session has started at `now`: its place can no longer be
// given up or passed on from the pages.
bool HasStarted(const catalogue::v1::Session& session, absl::Time now);

// The answers as the booking service's Attendee.
booking::v1::Attendee AttendeeOf(const BookingAnswers& answers);

// The errorMessage option for `field`'s question: null when it has none.
Params ErrorMessageFor(const std::vector<FormError>& errors,
                       const std::string& field);
// The error summary linking to each question; "" when there is no error.
std::string ErrorSummaryFor(const std::vector<FormError>& errors);

}  // namespace training::gateway::web

#endif  // TRAINING_GATEWAY_WEB_PAGE_PARTS_H_
