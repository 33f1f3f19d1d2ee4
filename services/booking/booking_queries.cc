#include "services/booking/booking_queries.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "services/booking/domain.h"

namespace training::booking {

namespace {

std::vector<FieldViolation> CheckSessions(
    const v1::BatchGetAvailabilityRequest& r) {
  std::vector<FieldViolation> violations;
  if (r.sessions().empty() || r.sessions_size() > 200) {
    violations.push_back({"sessions", "must name 1 to 200 sessions"});
  }
  std::set<std::string> seen;
  for (const std::string& session : r.sessions()) {
    if (!IsSessionName(session) || !seen.insert(session).second) {
      violations.push_back({"sessions",
                            "must be session names "
                            "courses/{course}/sessions/{session}, no repeats"});
      break;
    }
  }
  return violations;
}

}  // namespace

absl::StatusOr<v1::Booking> BookingQueries::Get(
    const Caller& caller, const v1::GetBookingRequest& r) const {
  ASSIGN_OR_RETURN(std::string reference,
                   internal::CheckBookingName(r.name(), "name"));
  v1::Booking view;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredBooking> stored,
                         tx.FindBooking(reference));
        if (!stored) return internal::BookingNotFound();
        RETURN_IF_ERROR(context_.views->Authorize(caller, *stored));
        ASSIGN_OR_RETURN(view, context_.views->View(tx, *stored, caller,
                                                    TokenInView::kNone));
        return absl::OkStatus();
      }));
  return view;
}

absl::StatusOr<v1::ListBookingsResponse> BookingQueries::List(
    const Caller& caller, const v1::ListBookingsRequest& r) const {
  std::vector<FieldViolation> violations;
  if (r.page_size() < 0) {
    violations.push_back({"page_size", "must not be negative"});
  }
  if (!r.session().empty() && !IsSessionName(r.session())) {
    violations.push_back(
        {"session", "must be courses/{course}/sessions/{session}"});
  }
  const std::vector<int> states =
      internal::BookingStatesOf(r.states(), violations);
  const std::string filters = requests::FiltersFingerprint(r);
  const int64_t before_seq =
      internal::BeforeSeqOf(r.page_token(), filters, violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  std::string organisation = r.organisation();
  if (caller.kind != Caller::Kind::kAdmin) {
    // An agency key sees its own organisation's bookings, never another's.
    if (!organisation.empty() && organisation != caller.organisation) {
      return WithErrorInfo(
          absl::PermissionDeniedError(
              "organisation: agency keys see their own organisation only"),
          "ACCESS_DENIED");
    }
    organisation = caller.organisation;
  }
  const int limit = r.page_size() == 0 ? 50 : std::min(r.page_size(), 200);
  v1::ListBookingsResponse response;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        response.Clear();
        ASSIGN_OR_RETURN(std::vector<StoredBooking> page,
                         tx.ListBookings(r.session(), organisation, states,
                                         before_seq, limit + 1));
        const bool more = static_cast<int>(page.size()) > limit;
        if (more) page.resize(limit);
        for (const StoredBooking& stored : page) {
          ASSIGN_OR_RETURN(
              *response.add_bookings(),
              context_.views->View(tx, stored, caller, TokenInView::kNone));
        }
        if (more) {
          response.set_next_page_token(requests::EncodePageToken(
              {absl::StrCat(page.back().seq), page.back().booking.name()},
              filters));
        }
        return absl::OkStatus();
      }));
  return response;
}

void BookingQueries::AvailabilityAsync(
    const Caller& caller, const v1::BatchGetAvailabilityRequest& r,
    std::function<void(absl::StatusOr<v1::BatchGetAvailabilityResponse>)> done)
    const {
  std::vector<FieldViolation> violations = CheckSessions(r);
  if (!violations.empty()) {
    done(InvalidArgumentError(std::move(violations)));
    return;
  }
  if (context_.cache != nullptr) {
    const std::vector<std::string> sessions(r.sessions().begin(),
                                            r.sessions().end());
    if (auto figures = context_.cache->ReadInMemory(sessions)) {
      v1::BatchGetAvailabilityResponse response;
      for (v1::Availability& figure : *figures) {
        *response.add_availabilities() = std::move(figure);
      }
      done(std::move(response));
      return;
    }
  }
  internal::OffloadAsCaller<v1::BatchGetAvailabilityResponse>(
      offload_, caller, [this, caller, &r] { return Availability(caller, r); },
      std::move(done));
}

absl::StatusOr<v1::BatchGetAvailabilityResponse> BookingQueries::Availability(
    const Caller& caller, const v1::BatchGetAvailabilityRequest& r) const {
  std::vector<FieldViolation> violations = CheckSessions(r);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const std::vector<std::string> sessions(r.sessions().begin(),
                                          r.sessions().end());
  std::vector<std::optional<v1::Availability>> found(sessions.size());
  if (context_.cache != nullptr) found = context_.cache->Read(sessions);
  const bool all_cached =
      std::all_of(found.begin(), found.end(),
                  [](const auto& figure) { return figure.has_value(); });
  std::vector<SessionInventory> computed;
  std::vector<std::string> unknown;
  auto read = [&](BookingTransaction& tx) -> absl::Status {
    computed.clear();
    unknown.clear();
    const absl::Time now = context_.clock->Now();
    for (size_t i = 0; i < sessions.size(); ++i) {
      if (found[i]) continue;
      ASSIGN_OR_RETURN(std::optional<SessionInventory> inventory,
                       tx.ReadInventory(sessions[i]));
      if (!inventory) {
        unknown.push_back(sessions[i]);
        continue;
      }
      found[i] = AvailabilityOf(*inventory, now);
      computed.push_back(*std::move(inventory));
    }
    return absl::OkStatus();
  };
  if (!all_cached) {
    RETURN_IF_ERROR(context_.store->Run(BookingStore::Mode::kRead, read));
  }
  if (!unknown.empty()) {
    // Sessions announced moments ago may not have reached us as events
    // yet: the catalogue is asked, as when one is first booked.
    for (const std::string& session : unknown) {
      absl::Status learned = learner_->EnsureKnown(session, caller);
      if (absl::IsNotFound(learned)) {
        return absl::NotFoundError(
            "sessions: names a session the catalogue does not know");
      }
      RETURN_IF_ERROR(learned);
    }
    RETURN_IF_ERROR(context_.store->Run(BookingStore::Mode::kRead, read));
    if (!unknown.empty()) {
      return absl::UnavailableError("sessions: could not be loaded");
    }
  }
  for (const SessionInventory& inventory : computed) {
    context_.RefreshCache(inventory);
  }
  v1::BatchGetAvailabilityResponse response;
  for (auto& availability : found) {
    *response.add_availabilities() = *std::move(availability);
  }
  return response;
}

}  // namespace training::booking
