#include "services/booking/bookings.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/events/outbox.h"
#include "common/logging/log.h"
#include "common/metrics/metrics.h"
#include "common/random/secure_bytes.h"
#include "common/requests/requests.h"
#include "common/runtime/crash_point.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "common/time/deadline.h"
#include "common/time/proto_time.h"
#include "services/booking/bookings_internal.h"

namespace training::booking {

using internal::BookingNotFound;
using internal::Busy;
using internal::CheckBookingName;
using internal::EndBooking;
using internal::Event;
using internal::Fingerprint;
using internal::IsActive;
using internal::NewEvent;
using internal::Refused;
using internal::SaveCounts;
using internal::StateWord;

// --- Access and views ---

absl::Status Bookings::Authorize(const Caller& caller,
                                 const StoredBooking& stored) const {
  if (caller.kind == Caller::Kind::kAdmin) return absl::OkStatus();
  if (caller.kind == Caller::Kind::kTokenHolder &&
      tokens_->Verify(stored.booking.name(), stored.token_version,
                      caller.manage_token)) {
    return absl::OkStatus();
  }
  return BookingNotFound();
}

absl::StatusOr<bool> Bookings::RetriesItsSubstitution(
    BookingTransaction& tx, const StoredBooking& stored, const Caller& caller,
    const v1::SubstituteAttendeeRequest& r,
    const std::string& fingerprint) const {
  if (caller.kind != Caller::Kind::kTokenHolder || r.request_id().empty() ||
      stored.token_version < 2 ||
      !tokens_->Verify(stored.booking.name(), stored.token_version - 1,
                       caller.manage_token)) {
    return false;
  }
  // Only a retry of what just happened: soon after the substitution, and
  // while nothing has changed the booking since. Later, the old token is
  // as dead as any other.
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<v1::Substitution> substitutions,
                   tx.Substitutions(stored.booking.reference()));
  if (substitutions.empty()) return false;
  const absl::Time substituted =
      FromProto(substitutions.back().substitute_time());
  if (now - substituted > kSubstitutionRetryWindow ||
      FromProto(stored.booking.update_time()) != substituted) {
    return false;
  }
  ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                   tx.FindRequest(r.request_id(), now));
  return record && record->fingerprint == fingerprint &&
         record->reference == stored.booking.reference();
}

absl::StatusOr<v1::Booking> Bookings::View(BookingTransaction& tx,
                                           const StoredBooking& stored,
                                           const Caller& caller,
                                           TokenInView token) {
  v1::Booking b = stored.booking;
  if (b.state() == v1::Booking::WAITLISTED) {
    ASSIGN_OR_RETURN(int position,
                     b.scope() == v1::Booking::ANY_DATE
                         ? tx.AnyDatePosition(b.course(), stored.seq)
                         : tx.WaitlistPosition(b.session(), stored.seq));
    b.set_waitlist_position(position);
  }
  if (b.state() != v1::Booking::OFFERED) b.clear_offer();
  ASSIGN_OR_RETURN(std::vector<v1::Substitution> substitutions,
                   tx.Substitutions(b.reference()));
  for (auto& s : substitutions) *b.add_substitutions() = std::move(s);
  if (caller.kind != Caller::Kind::kAdmin)
    b.mutable_attendee()->clear_access_needs();
  if (token == TokenInView::kOriginal && stored.token_version > 1 &&
      caller.kind != Caller::Kind::kAdmin) {
    // A replay of the CreateBooking of a place since passed on: whoever
    // made it gets the booking, but nothing of the colleague who holds it.
    const auto agency_type = b.attendee().agency_type();
    b.clear_attendee();
    b.mutable_attendee()->set_agency_type(agency_type);
  }
  if (token == TokenInView::kCurrent ||
      (token == TokenInView::kOriginal && stored.token_version == 1)) {
    b.set_manage_token(
        tokens_->Issue(b.name(), stored.token_version, stored.token_kid));
  }
  return b;
}

void Bookings::RefreshCache(const SessionInventory& inventory) {
  if (cache_ == nullptr || inventory.session.empty()) return;
  cache_->Write(AvailabilityOf(inventory, clock_->Now()), inventory.version);
}

// --- Booking ---

Bookings::Bookings(BookingStore* store, const Clock* clock, BookingKeys keys,
                   SessionDirectory* directory, AvailabilityCache* cache,
                   GroupCommitOptions options, Offload offload)
    : store_(store),
      clock_(clock),
      tokens_(keys.tokens),
      address_keys_(keys.addresses),
      cache_(cache),
      offload_(offload ? std::move(offload)
                       : [](std::function<void()> work) {
                           work();
                           return true;
                         }),
      learner_(store, directory, offload_),
      queue_(
          [this](const std::string& session,
                 const std::vector<const PendingBooking*>& batch) {
            return DecideBookings(session, batch);
          },
          options, offload_) {}

absl::StatusOr<v1::Booking> Bookings::CreateBooking(
    const Caller& caller, const v1::CreateBookingRequest& r) {
  absl::StatusOr<v1::Booking> result;
  absl::Notification finished;
  CreateBookingAsync(caller, r, [&](absl::StatusOr<v1::Booking> booking) {
    result = std::move(booking);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

void Bookings::CreateBookingAsync(
    const Caller& caller, const v1::CreateBookingRequest& r,
    std::function<void(absl::StatusOr<v1::Booking>)> done) {
  std::vector<FieldViolation> violations;
  if (!text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "is required, as a UUID"});
  }
  const v1::Booking& asked = r.booking();
  if (asked.scope() == v1::Booking::ANY_DATE) {
    // Not batched: it may touch every session of the course.
    auto shared_done =
        std::make_shared<std::function<void(absl::StatusOr<v1::Booking>)>>(
            std::move(done));
    if (!offload_([this, caller, &r, shared_done] {
          ScopedDeadline deadline(caller.deadline);
          (*shared_done)(CreateAnyDate(caller, r));
        })) {
      (*shared_done)(Busy());
    }
    return;
  }
  if (!IsSessionName(asked.session())) {
    violations.push_back(
        {"booking.session", "must be courses/{course}/sessions/{session}"});
  }
  ValidateAttendee(asked.attendee(), "booking.attendee", violations);
  if (!violations.empty()) {
    done(InvalidArgumentError(std::move(violations)));
    return;
  }
  if (learner_.IsKnown(asked.session())) {
    QueueBooking(caller, r, std::move(done));
    return;
  }
  learner_.WhenKnown(
      asked.session(), caller,
      [this, caller, &r, done = std::move(done)](absl::Status known) mutable {
        if (!known.ok()) {
          done(known);
          return;
        }
        QueueBooking(caller, r, std::move(done));
      });
}

void Bookings::QueueBooking(
    const Caller& caller, const v1::CreateBookingRequest& r,
    std::function<void(absl::StatusOr<v1::Booking>)> done) {
  const v1::Booking& asked = r.booking();
  auto pending = std::make_shared<PendingBooking>(PendingBooking{
      caller, &r, Fingerprint(r), EmailKey(asked.attendee().email())});
  queue_.Submit(asked.session(), *pending,
                [this, pending,
                 done = std::move(done)](absl::StatusOr<BookingResult> result) {
                  if (!result.ok()) {
                    done(result.status());
                  } else if (result->unknown_session) {
                    done(absl::UnavailableError(
                        "booking.session: the session is not known yet; "
                        "retry"));
                  } else {
                    if (!result->token_kid.empty()) {
                      // A booking just made is at token version 1.
                      result->view.set_manage_token(tokens_->Issue(
                          result->view.name(), 1, result->token_kid));
                    }
                    done(std::move(result->view));
                  }
                });
}

namespace {

metrics::HistogramFamily& BatchSizes() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_booking_batch_size", "Booking requests decided per commit.", {},
      {1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
  return family;
}

prometheus::Counter& BatchSplits() {
  static auto& counter =
      metrics::DefaultRegistry()
          .Counter("training_booking_batch_splits_total",
                   "Failed booking batches decided again in halves, to "
                   "isolate a request whose write failed.",
                   {})
          .Child({});
  return counter;
}

metrics::HistogramFamily& BatchCommitSeconds() {
  static auto& family = metrics::DefaultRegistry().Histogram(
      "training_booking_batch_commit_seconds",
      "Time to decide and commit one booking batch.", {});
  return family;
}

}  // namespace

std::vector<absl::StatusOr<Bookings::BookingResult>> Bookings::DecideBookings(
    const std::string& session,
    const std::vector<const PendingBooking*>& batch) {
  const absl::Time started = absl::Now();
  const absl::Time now = clock_->Now();
  const size_t n = batch.size();
  // The database is waited for as long as the most patient caller in the
  // batch waits, and no longer.
  absl::Time latest_deadline = absl::InfinitePast();
  for (const PendingBooking* p : batch) {
    latest_deadline = std::max(latest_deadline, p->caller.deadline);
  }
  ScopedDeadline deadline(latest_deadline);
  std::vector<std::optional<absl::Status>> refused;
  std::vector<std::optional<StoredBooking>> made;
  std::vector<int> positions;
  std::vector<std::optional<v1::Booking>> replays;
  std::vector<std::optional<size_t>> same_as;  // a retry of an earlier one
  bool unknown_session = false;
  SessionInventory inventory;
  int placed = 0;

  absl::Status status = store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        // Everything is decided again if the transaction is run again.
        refused.assign(n, std::nullopt);
        made.assign(n, std::nullopt);
        positions.assign(n, 0);
        replays.assign(n, std::nullopt);
        same_as.assign(n, std::nullopt);
        unknown_session = false;
        placed = 0;

        // One round trip reads the request records, locks the session and
        // reads its counts and which addresses already hold a place.
        std::vector<std::string> ids;
        std::vector<std::string> keys;
        for (const PendingBooking* p : batch) {
          ids.push_back(p->request->request_id());
          keys.push_back(p->email_key);
        }
        ASSIGN_OR_RETURN(BatchReading reading,
                         tx.ReadForBatch(session, ids, keys, now));
        const std::map<std::string, RequestRecord>& records = reading.records;
        // Requests to decide now, and retries of requests earlier in the
        // batch (by position of the first).
        std::vector<size_t> fresh;
        std::map<std::string, size_t> first_of_id;
        for (size_t i = 0; i < n; ++i) {
          const PendingBooking& p = *batch[i];
          const std::string& id = p.request->request_id();
          auto record = records.find(id);
          std::optional<std::string> fingerprint;
          if (record != records.end()) {
            fingerprint = record->second.fingerprint;
          } else if (auto earlier = first_of_id.find(id);
                     earlier != first_of_id.end()) {
            fingerprint = batch[earlier->second]->fingerprint;
            same_as[i] = earlier->second;
          }
          if (fingerprint && *fingerprint != p.fingerprint) {
            refused[i] = WithErrorInfo(
                InvalidArgumentError({{"request_id",
                                       "was already used for a different "
                                       "request"}}),
                "REQUEST_ID_REUSED");
          } else if (record != records.end()) {
            ASSIGN_OR_RETURN(std::optional<StoredBooking> earlier,
                             tx.FindBooking(record->second.reference));
            if (!earlier) return BookingNotFound();
            ASSIGN_OR_RETURN(replays[i], View(tx, *earlier, p.caller,
                                              TokenInView::kOriginal));
          } else if (!same_as[i]) {
            first_of_id[id] = i;
            fresh.push_back(i);
          }
        }
        if (fresh.empty()) return absl::OkStatus();

        if (!reading.inventory) {
          unknown_session = true;
          return absl::OkStatus();
        }
        inventory = *std::move(reading.inventory);
        std::vector<BookingAsk> asks;
        for (size_t i : fresh) {
          asks.push_back({batch[i]->request->booking().attendee().agency_type(),
                          batch[i]->email_key});
        }
        std::vector<absl::StatusOr<Placement>> decisions = DecideBatch(
            inventory, now, asks, std::move(reading.active_email_keys));

        std::vector<StoredBooking> rows;
        std::vector<size_t> row_of;
        std::vector<Event> events;
        std::vector<std::pair<std::string, RequestRecord>> records_made;
        ASSIGN_OR_RETURN(std::vector<std::string> references,
                         NewReferences(inventory.session, fresh.size()));
        for (size_t k = 0; k < fresh.size(); ++k) {
          const size_t i = fresh[k];
          if (!decisions[k].ok()) {
            refused[i] = decisions[k].status();
            continue;
          }
          const PendingBooking& p = *batch[i];
          StoredBooking stored;
          v1::Booking& b = stored.booking;
          b.set_reference(std::move(references[k]));
          b.set_name(BookingName(b.reference()));
          b.set_session(inventory.session);
          b.set_course(inventory.course);
          b.set_scope(v1::Booking::SESSION);
          *b.mutable_attendee() = p.request->booking().attendee();
          b.set_state(decisions[k]->state);
          if (p.caller.kind == Caller::Kind::kAgency) {
            b.set_booked_by_organisation(p.caller.organisation);
          }
          *b.mutable_create_time() = ToProto(now);
          *b.mutable_update_time() = ToProto(now);
          if (b.state() == v1::Booking::CONFIRMED) {
            *b.mutable_confirm_time() = ToProto(now);
          }
          stored.token_kid = tokens_->current_kid();
          positions[i] = decisions[k]->waitlist_position;

          Event event = NewEvent(p.caller, b.name());
          if (b.state() == v1::Booking::CONFIRMED) {
            auto* confirmed = event.mutable_booking_confirmed();
            confirmed->set_booking(b.name());
            confirmed->set_session(b.session());
          } else {
            auto* waitlisted = event.mutable_booking_waitlisted();
            waitlisted->set_booking(b.name());
            waitlisted->set_session(b.session());
            waitlisted->set_course(b.course());
            waitlisted->set_position(positions[i]);
          }
          events.push_back(std::move(event));
          records_made.push_back(
              {p.request->request_id(), {p.fingerprint, b.reference()}});
          rows.push_back(std::move(stored));
          row_of.push_back(i);
        }
        if (rows.empty()) return absl::OkStatus();
        absl::Status saved =
            tx.SaveBatch(rows, std::move(events), records_made,
                         reading.expired_request_ids, inventory, now);
        // A reference clash (30 random bits after the session's prefix) or
        // a concurrent use of one request id on another replica: decide the
        // whole batch again.
        if (absl::IsAlreadyExists(saved)) {
          return TransactionConflictError(
              "booking: reference clash or request id raced");
        }
        RETURN_IF_ERROR(saved);
        for (size_t k = 0; k < rows.size(); ++k) {
          made[row_of[k]] = std::move(rows[k]);
        }
        placed = static_cast<int>(rows.size());
        if (batch_hook_for_test_) return batch_hook_for_test_(ids);
        return absl::OkStatus();
      });
  BatchSizes().Observe({}, static_cast<double>(n));
  BatchCommitSeconds().Observe({},
                               absl::ToDoubleSeconds(absl::Now() - started));

  std::vector<absl::StatusOr<BookingResult>> results;
  results.reserve(n);
  if (!status.ok()) {
    // The batch did not commit: nobody was booked, and a retry with the
    // same request id is safe.
    if (absl::IsUnavailable(status) || absl::IsAborted(status) ||
        absl::IsDeadlineExceeded(status) || absl::IsResourceExhausted(status)) {
      const absl::Status failed = WithRetryInfo(
          absl::UnavailableError(
              "booking: could not be saved; retry with the same request_id"),
          absl::Milliseconds(500));
      for (size_t i = 0; i < n; ++i) results.push_back(failed);
      return results;
    }
    // A value the database refuses (INVALID_ARGUMENT, or a constraint)
    // fails for one request's sake: it must not fail its neighbours. The
    // halves are decided apart, in arrival order, until the failure is
    // alone. Anything else (a bug) would fail every half: not split.
    const bool one_requests_fault = absl::IsInvalidArgument(status) ||
                                    absl::IsFailedPrecondition(status) ||
                                    absl::IsOutOfRange(status);
    if (one_requests_fault && n > 1) return DecideInHalves(session, batch);
    log::Warning("booking.batch_not_saved",
                 {{"error", log::ScrubbedText(status.message())},
                  {"requests", static_cast<int64_t>(n)}});
    for (size_t i = 0; i < n; ++i) results.push_back(status);
    return results;
  }
  if (placed > 0) {
    // A crash here (committed, not answered) is what idempotent retries
    // are for; the cache heals within its TTL.
    runtime::CrashPoint("booking.after_commit");
    RefreshCache(inventory);
  }
  for (size_t i = 0; i < n; ++i) {
    if (unknown_session) {
      results.push_back(BookingResult{v1::Booking(), true, ""});
    } else if (same_as[i] && !refused[i]) {
      // A retry of a request earlier in the same batch gets its answer.
      results.push_back(results[*same_as[i]]);
    } else if (refused[i]) {
      results.push_back(*refused[i]);
    } else if (replays[i]) {
      results.push_back(BookingResult{*replays[i], false, ""});
    } else if (made[i]) {
      v1::Booking view = std::move(made[i]->booking);
      view.set_waitlist_position(positions[i]);
      view.mutable_attendee()->clear_access_needs();
      if (batch[i]->caller.kind == Caller::Kind::kAdmin) {
        *view.mutable_attendee() = batch[i]->request->booking().attendee();
      }
      results.push_back(
          BookingResult{std::move(view), false, made[i]->token_kid});
    } else {
      results.push_back(absl::InternalError("booking: lost in its batch"));
    }
  }
  return results;
}

std::vector<absl::StatusOr<Bookings::BookingResult>> Bookings::DecideInHalves(
    const std::string& session,
    const std::vector<const PendingBooking*>& batch) {
  BatchSplits().Increment();
  const size_t half = batch.size() / 2;
  std::vector<absl::StatusOr<BookingResult>> results = DecideBookings(
      session,
      std::vector<const PendingBooking*>(batch.begin(), batch.begin() + half));
  for (auto& result :
       DecideBookings(session, std::vector<const PendingBooking*>(
                                   batch.begin() + half, batch.end()))) {
    results.push_back(std::move(result));
  }
  return results;
}

absl::StatusOr<v1::Booking> Bookings::GetBooking(
    const Caller& caller, const v1::GetBookingRequest& r) {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  v1::Booking view;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredBooking> stored,
                         tx.FindBooking(reference));
        if (!stored) return BookingNotFound();
        RETURN_IF_ERROR(Authorize(caller, *stored));
        ASSIGN_OR_RETURN(view, View(tx, *stored, caller, TokenInView::kNone));
        return absl::OkStatus();
      }));
  return view;
}

absl::StatusOr<v1::ListBookingsResponse> Bookings::ListBookings(
    const Caller& caller, const v1::ListBookingsRequest& r) {
  std::vector<FieldViolation> violations;
  if (r.page_size() < 0) {
    violations.push_back({"page_size", "must not be negative"});
  }
  if (!r.session().empty() && !IsSessionName(r.session())) {
    violations.push_back(
        {"session", "must be courses/{course}/sessions/{session}"});
  }
  std::vector<int> states;
  for (int state : r.states()) {
    if (state == v1::Booking::STATE_UNSPECIFIED ||
        !v1::Booking::State_IsValid(state)) {
      violations.push_back({"states", "must hold known booking states"});
      break;
    }
    states.push_back(state);
  }
  const std::string filters = requests::FiltersFingerprint(r);
  int64_t before_seq = 0;
  if (!r.page_token().empty()) {
    absl::StatusOr<requests::PageKey> key =
        requests::DecodePageToken(r.page_token(), filters);
    if (!key.ok() || !absl::SimpleAtoi(key->sort_key, &before_seq) ||
        before_seq <= 0) {
      violations.push_back(
          {"page_token",
           "is not a token this list returned for these filters"});
    }
  }
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
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        response.Clear();
        ASSIGN_OR_RETURN(std::vector<StoredBooking> page,
                         tx.ListBookings(r.session(), organisation, states,
                                         before_seq, limit + 1));
        const bool more = static_cast<int>(page.size()) > limit;
        if (more) page.resize(limit);
        for (const StoredBooking& stored : page) {
          ASSIGN_OR_RETURN(*response.add_bookings(),
                           View(tx, stored, caller, TokenInView::kNone));
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

// --- Changes to one booking ---

absl::StatusOr<v1::Booking> Bookings::ChangeBooking(
    const Caller& caller, const std::string& reference,
    const std::function<absl::Status(BookingTransaction&, StoredBooking&,
                                     SessionInventory&)>& change,
    TokenInView token, ChangeAccess access) {
  if (!access) {
    access = [&](BookingTransaction&, const StoredBooking& found) {
      return Authorize(caller, found);
    };
  }
  StoredBooking stored;
  SessionInventory inventory;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredBooking> found,
                         tx.FindBooking(reference));
        if (!found) return BookingNotFound();
        RETURN_IF_ERROR(access(tx, *found));
        // Lock the session first, then read the booking again: its state
        // (and its token version) is only trustworthy under the lock. An
        // any-date entry still waiting has no session: the course's lock guards
        // it instead.
        inventory = SessionInventory{};
        if (found->booking.session().empty()) {
          RETURN_IF_ERROR(tx.LockCourse(found->booking.course()));
        } else {
          ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                           tx.LockInventory(found->booking.session()));
          if (!locked) return absl::InternalError("booking: session unknown");
          inventory = *std::move(locked);
        }
        ASSIGN_OR_RETURN(found, tx.FindBooking(reference));
        if (found->booking.session() != inventory.session) {
          return TransactionConflictError(
              "booking: placed meanwhile; run again");
        }
        RETURN_IF_ERROR(access(tx, *found));
        stored = *std::move(found);
        return change(tx, stored, inventory);
      }));
  RefreshCache(inventory);
  v1::Booking view;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<StoredBooking> now_stored,
                         tx.FindBooking(reference));
        if (!now_stored) return BookingNotFound();
        ASSIGN_OR_RETURN(view, View(tx, *now_stored, caller, token));
        return absl::OkStatus();
      }));
  return view;
}

absl::Status Bookings::Promote(BookingTransaction& tx,
                               SessionInventory& inventory,
                               const Caller& caller) {
  const absl::Time now = clock_->Now();
  if (inventory.session.empty() || !TakesPromotions(inventory, now) ||
      inventory.capacity - inventory.confirmed - inventory.offers <= 0) {
    return absl::OkStatus();
  }
  // After the session's row: any-date entries are shared by the course.
  RETURN_IF_ERROR(tx.LockCourse(inventory.course));
  // Held places may pass over people of other agencies, so read a little
  // more of the queue than there are places.
  const int scan =
      std::max(1, inventory.capacity - inventory.confirmed - inventory.offers) +
      200;
  ASSIGN_OR_RETURN(std::vector<StoredBooking> head,
                   tx.HeadOfWaitlist(inventory, scan));
  std::vector<Event> events;
  for (StoredBooking& next : head) {
    if (inventory.capacity - inventory.confirmed - inventory.offers <= 0) break;
    v1::Booking& b = next.booking;
    const int agency_type = b.attendee().agency_type();
    if (PlacesFor(inventory, agency_type, now) <= 0) continue;
    const bool any_date = b.scope() == v1::Booking::ANY_DATE;
    if (any_date) {
      // Someone already on this session keeps that booking; the entry
      // waits for another date.
      ASSIGN_OR_RETURN(bool active,
                       tx.HasActiveBooking(inventory.session,
                                           EmailKey(b.attendee().email()), ""));
      if (active) continue;
      b.set_session(inventory.session);
      --inventory.any_date_waiting;
    } else {
      --inventory.waiting;
    }
    ++inventory.occupants_by_type[agency_type];
    *b.mutable_update_time() = ToProto(now);
    Event event = NewEvent(caller, b.name());
    if (inventory.offer_policy.offer) {
      b.set_state(v1::Booking::OFFERED);
      v1::Offer& offer = *b.mutable_offer();
      offer.set_session(inventory.session);
      *offer.mutable_offer_time() = ToProto(now);
      *offer.mutable_expire_time() = ToProto(OfferExpiry(inventory, now));
      ++inventory.offers;
      auto* offered = event.mutable_place_offered();
      offered->set_booking(b.name());
      offered->set_session(inventory.session);
      *offered->mutable_expire_time() = offer.expire_time();
    } else {
      b.set_state(v1::Booking::CONFIRMED);
      *b.mutable_confirm_time() = ToProto(now);
      ++inventory.confirmed;
      auto* promoted = event.mutable_booking_promoted();
      promoted->set_booking(b.name());
      promoted->set_session(inventory.session);
      promoted->set_via(events::v1::BookingPromoted::AUTO_CONFIRM);
    }
    RETURN_IF_ERROR(tx.UpdateBooking(next));
    events.push_back(std::move(event));
  }
  return tx.AddEvents(std::move(events));
}

absl::Status Bookings::WithdrawOffersBeyondCapacity(
    BookingTransaction& tx, SessionInventory& inventory) {
  if (inventory.offers == 0 ||
      inventory.confirmed + inventory.offers <= inventory.capacity) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(
      std::vector<StoredBooking> offered,
      tx.SessionBookings(inventory.session, {v1::Booking::OFFERED}));
  const absl::Time now = clock_->Now();
  for (auto it = offered.rbegin(); it != offered.rend(); ++it) {
    if (inventory.confirmed + inventory.offers <= inventory.capacity) break;
    v1::Booking& b = it->booking;
    b.set_state(v1::Booking::WAITLISTED);
    b.clear_offer();
    *b.mutable_update_time() = ToProto(now);
    --inventory.offers;
    --inventory.occupants_by_type[b.attendee().agency_type()];
    if (b.scope() == v1::Booking::ANY_DATE) {
      b.clear_session();
      ++inventory.any_date_waiting;
    } else {
      ++inventory.waiting;
    }
    RETURN_IF_ERROR(tx.UpdateBooking(*it));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Booking> Bookings::CancelBooking(
    const Caller& caller, const v1::CancelBookingRequest& r) {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  if (text::Utf8Length(r.reason()) > 500) {
    return InvalidArgumentError({{"reason", "must be at most 500 characters"}});
  }
  return ChangeBooking(
      caller, reference,
      [&](BookingTransaction& tx, StoredBooking& stored,
          SessionInventory& inventory) -> absl::Status {
        v1::Booking& b = stored.booking;
        if (!r.etag().empty() && r.etag() != b.etag()) {
          return WithErrorInfo(
              absl::AbortedError("etag: the booking changed since it was read"),
              "ETAG_MISMATCH");
        }
        if (!IsActive(b.state())) return absl::OkStatus();  // already ended
        const v1::Booking::State before = b.state();
        const absl::Time now = clock_->Now();
        EndBooking(stored, inventory, v1::Booking::CANCELLED,
                   caller.kind == Caller::Kind::kAdmin
                       ? v1::Cancellation::ADMIN
                       : v1::Cancellation::ATTENDEE,
                   r.reason(), now);
        RETURN_IF_ERROR(tx.UpdateBooking(stored));
        RETURN_IF_ERROR(tx.ForgetPreviousContacts(b.reference()));
        Event event = NewEvent(caller, b.name());
        auto* cancelled = event.mutable_booking_cancelled();
        cancelled->set_booking(b.name());
        cancelled->set_session(b.session());
        cancelled->set_late(b.cancellation().late());
        cancelled->set_previous_state(StateWord(before));
        RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        // The freed place goes to the head of the waiting list in this same
        // transaction, so it is never given twice nor left empty.
        RETURN_IF_ERROR(Promote(tx, inventory, caller));
        return SaveCounts(tx, inventory);
      });
}

absl::StatusOr<v1::Booking> Bookings::LeaveWaitlist(
    const Caller& caller, const v1::LeaveWaitlistRequest& r) {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  return ChangeBooking(
      caller, reference,
      [&](BookingTransaction& tx, StoredBooking& stored,
          SessionInventory& inventory) -> absl::Status {
        v1::Booking& b = stored.booking;
        if (b.state() == v1::Booking::LEFT_WAITLIST) return absl::OkStatus();
        if (b.state() != v1::Booking::WAITLISTED) {
          return Refused("name: the booking is not on a waiting list",
                         "NOT_WAITLISTED");
        }
        EndBooking(stored, inventory, v1::Booking::LEFT_WAITLIST,
                   caller.kind == Caller::Kind::kAdmin
                       ? v1::Cancellation::ADMIN
                       : v1::Cancellation::ATTENDEE,
                   "", clock_->Now());
        RETURN_IF_ERROR(tx.UpdateBooking(stored));
        Event event = NewEvent(caller, b.name());
        auto* cancelled = event.mutable_booking_cancelled();
        cancelled->set_booking(b.name());
        cancelled->set_session(b.session());
        cancelled->set_previous_state("waitlisted");
        RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        return SaveCounts(tx, inventory);
      });
}

// --- Offers ---

absl::StatusOr<v1::Booking> Bookings::AcceptOffer(
    const Caller& caller, const v1::AcceptOfferRequest& r) {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  return ChangeBooking(
      caller, reference,
      [&](BookingTransaction& tx, StoredBooking& stored,
          SessionInventory& inventory) -> absl::Status {
        v1::Booking& b = stored.booking;
        if (b.state() == v1::Booking::CONFIRMED && b.has_offer()) {
          return absl::OkStatus();  // accepted already: a retry
        }
        if (b.state() != v1::Booking::OFFERED) {
          return Refused("name: the booking has no open offer", "NO_OFFER");
        }
        const absl::Time now = clock_->Now();
        if (now >= FromProto(b.offer().expire_time())) {
          return Refused("name: the offer has expired", "OFFER_EXPIRED");
        }
        b.set_state(v1::Booking::CONFIRMED);
        *b.mutable_confirm_time() = ToProto(now);
        *b.mutable_update_time() = ToProto(now);
        --inventory.offers;
        ++inventory.confirmed;
        RETURN_IF_ERROR(tx.UpdateBooking(stored));
        Event event = NewEvent(caller, b.name());
        auto* promoted = event.mutable_booking_promoted();
        promoted->set_booking(b.name());
        promoted->set_session(b.session());
        promoted->set_via(events::v1::BookingPromoted::OFFER_ACCEPTED);
        RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        return SaveCounts(tx, inventory);
      });
}

absl::StatusOr<v1::Booking> Bookings::DeclineOffer(
    const Caller& caller, const v1::DeclineOfferRequest& r) {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  return ChangeBooking(
      caller, reference,
      [&](BookingTransaction& tx, StoredBooking& stored,
          SessionInventory& inventory) -> absl::Status {
        v1::Booking& b = stored.booking;
        if (b.state() == v1::Booking::CANCELLED &&
            b.cancellation().cause() == v1::Cancellation::OFFER_DECLINED) {
          return absl::OkStatus();  // declined already: a retry
        }
        if (b.state() != v1::Booking::OFFERED) {
          return Refused("name: the booking has no open offer", "NO_OFFER");
        }
        return EndOffer(tx, stored, inventory, v1::Cancellation::OFFER_DECLINED,
                        caller);
      });
}

absl::Status Bookings::EndOffer(BookingTransaction& tx, StoredBooking& stored,
                                SessionInventory& inventory,
                                v1::Cancellation::Cause cause,
                                const Caller& caller) {
  v1::Booking& b = stored.booking;
  EndBooking(stored, inventory, v1::Booking::CANCELLED, cause, "",
             clock_->Now());
  b.mutable_cancellation()->set_late(false);
  RETURN_IF_ERROR(tx.UpdateBooking(stored));
  Event event = NewEvent(caller, b.name());
  if (cause == v1::Cancellation::OFFER_EXPIRED) {
    event.mutable_offer_expired()->set_booking(b.name());
    event.mutable_offer_expired()->set_session(b.session());
  } else {
    event.mutable_offer_declined()->set_booking(b.name());
    event.mutable_offer_declined()->set_session(b.session());
  }
  RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
  // The place passes on to the next in line, in this same transaction.
  RETURN_IF_ERROR(Promote(tx, inventory, caller));
  return SaveCounts(tx, inventory);
}

absl::StatusOr<int> Bookings::ExpireDueOffers(absl::Duration lease) {
  Caller caller;
  caller.kind = Caller::Kind::kService;
  std::vector<std::string> due;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(due, tx.ClaimDueOffers(clock_->Now(), lease, 100));
        return absl::OkStatus();
      }));
  int expired = 0;
  for (const std::string& reference : due) {
    SessionInventory inventory;
    bool ended = false;
    RETURN_IF_ERROR(store_->Run(
        BookingStore::Mode::kWrite,
        [&](BookingTransaction& tx) -> absl::Status {
          ended = false;
          ASSIGN_OR_RETURN(std::optional<StoredBooking> found,
                           tx.FindBooking(reference));
          if (!found || found->booking.state() != v1::Booking::OFFERED) {
            return absl::OkStatus();
          }
          ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                           tx.LockInventory(found->booking.session()));
          if (!locked) return absl::OkStatus();
          inventory = *std::move(locked);
          // Decided under the lock: whoever comes second finds it ended.
          ASSIGN_OR_RETURN(found, tx.FindBooking(reference));
          if (found->booking.state() != v1::Booking::OFFERED ||
              FromProto(found->booking.offer().expire_time()) > clock_->Now()) {
            return absl::OkStatus();
          }
          ended = true;
          return EndOffer(tx, *found, inventory,
                          v1::Cancellation::OFFER_EXPIRED, caller);
        }));
    if (ended) {
      ++expired;
      RefreshCache(inventory);
    }
  }
  return expired;
}

absl::StatusOr<int> Bookings::ReleaseDueHolds() {
  Caller caller;
  caller.kind = Caller::Kind::kService;
  std::vector<std::string> due;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kRead, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(due, tx.DueHoldReleases(clock_->Now(), 100));
        return absl::OkStatus();
      }));
  for (const std::string& session : due) {
    SessionInventory inventory;
    RETURN_IF_ERROR(
        store_->Run(BookingStore::Mode::kWrite,
                    [&](BookingTransaction& tx) -> absl::Status {
                      ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                                       tx.LockInventory(session));
                      if (!locked) return absl::OkStatus();
                      inventory = *std::move(locked);
                      const absl::Time now = clock_->Now();
                      // Places just released open to the waiting list.
                      RETURN_IF_ERROR(Promote(tx, inventory, caller));
                      RETURN_IF_ERROR(tx.SetReleaseDue(
                          session, NextRelease(inventory.holds, now)));
                      return tx.SaveCounts(inventory);
                    }));
    RefreshCache(inventory);
  }
  return static_cast<int>(due.size());
}

// --- Any date of a course ---

absl::StatusOr<v1::Booking> Bookings::CreateAnyDate(
    const Caller& caller, const v1::CreateBookingRequest& r) {
  const v1::Booking& asked = r.booking();
  std::vector<FieldViolation> violations;
  if (!text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "is required, as a UUID"});
  }
  const std::string& course = asked.course();
  if (course.substr(0, 8) != "courses/" || course.size() == 8 ||
      course.find('/', 8) != std::string::npos) {
    violations.push_back({"booking.course", "must be courses/{course}"});
  }
  if (!asked.session().empty()) {
    violations.push_back(
        {"booking.session", "must be empty for an any-date entry"});
  }
  if (!v1::Booking::DeliveryPreference_IsValid(asked.delivery_preference())) {
    violations.push_back(
        {"booking.delivery_preference", "must be a known preference"});
  }
  ValidateAttendee(asked.attendee(), "booking.attendee", violations);
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const std::string fingerprint = Fingerprint(r);
  const std::string email_key = EmailKey(asked.attendee().email());
  const int agency_type = asked.attendee().agency_type();
  v1::Booking view;
  SessionInventory placed_on;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        placed_on = SessionInventory{};
        const absl::Time now = clock_->Now();
        // Every session of the course, locked in name order, then the
        // course: the order every multi-session change uses.
        ASSIGN_OR_RETURN(std::vector<std::string> names,
                         tx.SessionsOfCourse(course, now));
        std::vector<SessionInventory> sessions;
        for (const std::string& name : names) {
          ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                           tx.LockInventory(name));
          if (locked) sessions.push_back(*std::move(locked));
        }
        RETURN_IF_ERROR(tx.LockCourse(course));
        // The request record under the locks: the same request sent to
        // another replica meanwhile is then found and replayed, not taken
        // for a second entry of the same address.
        ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                         tx.FindRequest(r.request_id(), now));
        if (record && record->fingerprint != fingerprint) {
          return WithErrorInfo(
              InvalidArgumentError({{"request_id",
                                     "was already used for a different "
                                     "request"}}),
              "REQUEST_ID_REUSED");
        }
        if (record) {
          ASSIGN_OR_RETURN(std::optional<StoredBooking> earlier,
                           tx.FindBooking(record->reference));
          if (!earlier) return BookingNotFound();
          ASSIGN_OR_RETURN(view,
                           View(tx, *earlier, caller, TokenInView::kOriginal));
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(std::optional<CourseRules> rules,
                         tx.FindCourseRules(course));
        if (!rules) {
          return absl::NotFoundError("booking.course: no such course");
        }
        if (!rules->published) {
          return Refused("booking.course: not open for booking",
                         "COURSE_NOT_PUBLISHED");
        }
        if (std::find(rules->eligible_agency_types.begin(),
                      rules->eligible_agency_types.end(),
                      agency_type) == rules->eligible_agency_types.end()) {
          return Refused(
              "booking.attendee.agency_type: not eligible for this course",
              "AGENCY_TYPE_NOT_ELIGIBLE");
        }
        // One any-date entry per address per course, until its place has
        // been and gone: a confirmed entry still counts, or a second one
        // could take a second date of the same course.
        ASSIGN_OR_RETURN(bool entered_already,
                         tx.HasActiveAnyDateEntry(course, email_key, now));
        if (entered_already) {
          return WithErrorInfo(
              absl::AlreadyExistsError(
                  "booking.attendee.email: already holds an any-date entry "
                  "for this course"),
              "ALREADY_BOOKED");
        }
        // A free place on a matching date is taken at once, earliest first.
        std::sort(sessions.begin(), sessions.end(),
                  [](const SessionInventory& a, const SessionInventory& b) {
                    return std::tie(a.start, a.session) <
                           std::tie(b.start, b.session);
                  });
        StoredBooking stored;
        v1::Booking& b = stored.booking;
        for (SessionInventory& session : sessions) {
          if (!PreferenceAccepts(asked.delivery_preference(),
                                 session.delivery_mode) ||
              !CheckBookable(session, now).ok() ||
              PlacesFor(session, agency_type, now) <= 0) {
            continue;
          }
          ASSIGN_OR_RETURN(bool active,
                           tx.HasActiveBooking(session.session, email_key, ""));
          if (active) continue;
          PlaceBooking(session, agency_type, now);
          placed_on = session;
          b.set_session(session.session);
          b.set_state(v1::Booking::CONFIRMED);
          *b.mutable_confirm_time() = ToProto(now);
          break;
        }
        if (placed_on.session.empty()) b.set_state(v1::Booking::WAITLISTED);
        ASSIGN_OR_RETURN(*b.mutable_reference(), NewReference(course));
        b.set_name(BookingName(b.reference()));
        b.set_course(course);
        b.set_scope(v1::Booking::ANY_DATE);
        b.set_delivery_preference(asked.delivery_preference());
        *b.mutable_attendee() = asked.attendee();
        if (caller.kind == Caller::Kind::kAgency) {
          b.set_booked_by_organisation(caller.organisation);
        }
        *b.mutable_create_time() = ToProto(now);
        *b.mutable_update_time() = ToProto(now);
        stored.token_kid = tokens_->current_kid();
        std::vector<StoredBooking> rows = {stored};
        absl::Status inserted = tx.InsertBookings(rows);
        if (absl::IsAlreadyExists(inserted)) {
          return TransactionConflictError("booking: reference clash");
        }
        RETURN_IF_ERROR(inserted);
        Event event = NewEvent(caller, b.name());
        if (b.state() == v1::Booking::CONFIRMED) {
          event.mutable_booking_confirmed()->set_booking(b.name());
          event.mutable_booking_confirmed()->set_session(b.session());
          RETURN_IF_ERROR(tx.SaveCounts(placed_on));
        } else {
          auto* waitlisted = event.mutable_booking_waitlisted();
          waitlisted->set_booking(b.name());
          waitlisted->set_course(course);
          ASSIGN_OR_RETURN(int position,
                           tx.AnyDatePosition(course, rows[0].seq));
          waitlisted->set_position(position);
        }
        RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        RETURN_IF_ERROR(tx.RecordRequest(r.request_id(),
                                         {fingerprint, b.reference()}, now));
        ASSIGN_OR_RETURN(view,
                         View(tx, rows[0], caller, TokenInView::kOriginal));
        return absl::OkStatus();
      }));
  RefreshCache(placed_on);
  return view;
}

absl::StatusOr<v1::Booking> Bookings::SubstituteAttendee(
    const Caller& caller, const v1::SubstituteAttendeeRequest& r) {
  ASSIGN_OR_RETURN(std::string reference, CheckBookingName(r.name(), "name"));
  std::vector<FieldViolation> violations;
  ValidateAttendee(r.attendee(), "attendee", violations);
  if (!r.request_id().empty() && !text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "must be a UUID"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const std::string fingerprint = Fingerprint(r);
  return ChangeBooking(
      caller, reference,
      [&](BookingTransaction& tx, StoredBooking& stored,
          SessionInventory& inventory) -> absl::Status {
        const absl::Time now = clock_->Now();
        if (!r.request_id().empty()) {
          ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                           tx.FindRequest(r.request_id(), now));
          if (record && record->fingerprint == fingerprint) {
            return absl::OkStatus();  // a retry: already done
          }
          if (record) {
            return InvalidArgumentError(
                {{"request_id", "was already used for a different request"}});
          }
        }
        v1::Booking& b = stored.booking;
        if (b.state() != v1::Booking::CONFIRMED) {
          return Refused("name: only a confirmed place can be passed on",
                         "NOT_CONFIRMED");
        }
        RETURN_IF_ERROR(CheckEligible(inventory, r.attendee().agency_type()));
        ASSIGN_OR_RETURN(
            bool duplicate,
            tx.HasActiveBooking(b.session(), EmailKey(r.attendee().email()),
                                b.reference()));
        if (duplicate) {
          return WithErrorInfo(
              absl::AlreadyExistsError(
                  "attendee.email: already holds a booking for this session"),
              "ALREADY_BOOKED");
        }
        v1::Substitution substitution;
        *substitution.mutable_substitute_time() = ToProto(now);
        substitution.set_actor(
            caller.kind == Caller::Kind::kAdmin ? "admin" : "attendee");
        ASSIGN_OR_RETURN(const std::string contact_bytes,
                         random::SecureBytes(16));
        const std::string contact_id = absl::WebSafeBase64Escape(contact_bytes);
        RETURN_IF_ERROR(tx.AddSubstitution(b.reference(), substitution,
                                           contact_id, b.attendee()));
        // The place is the colleague's now: the replaced attendee's token
        // stops opening it, and the answer carries the colleague's.
        ASSIGN_OR_RETURN(stored.token_version,
                         tx.RenewTokenVersion(b.reference()));
        *b.mutable_attendee() = r.attendee();
        *b.mutable_update_time() = ToProto(now);
        RETURN_IF_ERROR(tx.UpdateBooking(stored));
        Event event = NewEvent(caller, b.name());
        auto* substituted = event.mutable_attendee_substituted();
        substituted->set_booking(b.name());
        substituted->set_session(b.session());
        substituted->set_previous_contact_id(contact_id);
        RETURN_IF_ERROR(tx.AddEvent(std::move(event)));
        if (!r.request_id().empty()) {
          RETURN_IF_ERROR(tx.RecordRequest(r.request_id(),
                                           {fingerprint, b.reference()}, now));
        }
        return absl::OkStatus();
      },
      TokenInView::kCurrent,
      [&](BookingTransaction& tx, const StoredBooking& found) -> absl::Status {
        absl::Status own = Authorize(caller, found);
        if (own.ok()) return own;
        ASSIGN_OR_RETURN(bool retry, RetriesItsSubstitution(tx, found, caller,
                                                            r, fingerprint));
        return retry ? absl::OkStatus() : own;
      });
}

absl::StatusOr<int64_t> Bookings::ForgetEndedContacts() {
  int64_t forgotten = 0;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(forgotten,
                         tx.ForgetContactsOfEndedSessions(clock_->Now()));
        return absl::OkStatus();
      }));
  return forgotten;
}

absl::StatusOr<int64_t> Bookings::ForgetAccessNeeds(absl::Duration retention) {
  int64_t forgotten = 0;
  RETURN_IF_ERROR(store_->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(forgotten,
                         tx.ForgetAccessNeeds(clock_->Now() - retention));
        return absl::OkStatus();
      }));
  return forgotten;
}

// --- Availability ---

absl::StatusOr<v1::BatchGetAvailabilityResponse> Bookings::BatchGetAvailability(
    const Caller& caller, const v1::BatchGetAvailabilityRequest& r) {
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
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const std::vector<std::string> sessions(r.sessions().begin(),
                                          r.sessions().end());
  std::vector<std::optional<v1::Availability>> found(sessions.size());
  if (cache_ != nullptr) found = cache_->Read(sessions);
  std::vector<SessionInventory> computed;
  std::vector<std::string> unknown;
  auto read = [&](BookingTransaction& tx) -> absl::Status {
    computed.clear();
    unknown.clear();
    const absl::Time now = clock_->Now();
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
  RETURN_IF_ERROR(store_->Run(BookingStore::Mode::kRead, read));
  if (!unknown.empty()) {
    // Sessions announced moments ago may not have reached us as events
    // yet: the catalogue is asked, as when one is first booked.
    for (const std::string& session : unknown) {
      absl::Status learned = learner_.EnsureKnown(session, caller);
      if (absl::IsNotFound(learned)) {
        return absl::NotFoundError(
            "sessions: names a session the catalogue does not know");
      }
      RETURN_IF_ERROR(learned);
    }
    RETURN_IF_ERROR(store_->Run(BookingStore::Mode::kRead, read));
    if (!unknown.empty()) {
      return absl::UnavailableError("sessions: could not be loaded");
    }
  }
  for (const SessionInventory& inventory : computed) RefreshCache(inventory);
  v1::BatchGetAvailabilityResponse response;
  for (auto& availability : found) {
    *response.add_availabilities() = *std::move(availability);
  }
  return response;
}

// --- Catalogue events ---

absl::Status Bookings::ApplyCatalogueEvent(BookingTransaction& tx,
                                           const Event& event) {
  Caller caller;
  caller.kind = Caller::Kind::kService;
  caller.request_id = event.request_id();
  caller.traceparent = event.traceparent();
  caller.tracestate = event.tracestate();
  switch (event.payload_case()) {
    case Event::kCoursePublished: {
      ASSIGN_OR_RETURN(CourseRules rules,
                       RulesFromCatalogue(event.course_published().course()));
      return tx.PutCourseRules(rules).status();
    }
    case Event::kCourseChanged: {
      ASSIGN_OR_RETURN(CourseRules rules,
                       RulesFromCatalogue(event.course_changed().course()));
      return tx.PutCourseRules(rules).status();
    }
    case Event::kCourseArchived:
      // Archived courses take no new bookings; existing ones stand.
      return tx.ArchiveCourse(event.course_archived().course(),
                              FromProto(event.occur_time()));
    case Event::kSessionScheduled: {
      // The session's row first, then the course's: the one lock order.
      const auto& session = event.session_scheduled().session();
      // Both checked before either is written.
      ASSIGN_OR_RETURN(SessionFacts facts, FactsFromCatalogue(session));
      ASSIGN_OR_RETURN(CourseRules rules,
                       RulesFromCatalogue(event.session_scheduled().course()));
      RETURN_IF_ERROR(tx.PutSessionFacts(facts).status());
      RETURN_IF_ERROR(tx.PutCourseRules(rules).status());
      // A new date offers its places to the course's any-date entries.
      ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                       tx.LockInventory(session.name()));
      if (!locked) return absl::OkStatus();
      RETURN_IF_ERROR(Promote(tx, *locked, caller));
      return tx.SaveCounts(*locked);
    }
    case Event::kSessionChanged: {
      const auto& session = event.session_changed().session();
      ASSIGN_OR_RETURN(SessionFacts facts, FactsFromCatalogue(session));
      ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                       tx.LockInventory(session.name()));
      if (!locked) return absl::OkStatus();
      ASSIGN_OR_RETURN(bool applied, tx.PutSessionFacts(facts));
      if (!applied) return absl::OkStatus();
      ASSIGN_OR_RETURN(locked, tx.LockInventory(session.name()));
      SessionInventory inventory = *std::move(locked);
      // A lowered capacity bumps nobody confirmed, but takes back the
      // newest offers that no longer fit: they wait again, at their place
      // in the queue. A raised one promotes as many as now fit.
      RETURN_IF_ERROR(WithdrawOffersBeyondCapacity(tx, inventory));
      RETURN_IF_ERROR(Promote(tx, inventory, caller));
      RETURN_IF_ERROR(tx.SaveCounts(inventory));
      if (cache_ != nullptr) cache_->Invalidate(inventory.session);
      return absl::OkStatus();
    }
    case Event::kSessionCancelled: {
      const std::string& name = event.session_cancelled().session();
      ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                       tx.LockInventory(name));
      if (!locked) return absl::OkStatus();
      SessionInventory inventory = *std::move(locked);
      RETURN_IF_ERROR(tx.CancelSession(name));
      inventory.scheduled = false;
      const absl::Time now = clock_->Now();
      ASSIGN_OR_RETURN(std::vector<StoredBooking> active,
                       tx.ActiveBookings(name));
      for (StoredBooking& stored : active) {
        const v1::Booking::State before = stored.booking.state();
        EndBooking(stored, inventory, v1::Booking::CANCELLED,
                   v1::Cancellation::SESSION_CANCELLED,
                   event.session_cancelled().reason(), now);
        // Nobody is late when the session itself is called off.
        stored.booking.mutable_cancellation()->set_late(false);
        RETURN_IF_ERROR(tx.UpdateBooking(stored));
        RETURN_IF_ERROR(tx.ForgetPreviousContacts(stored.booking.reference()));
        Event cancelled = NewEvent(caller, stored.booking.name());
        auto* payload = cancelled.mutable_booking_cancelled();
        payload->set_booking(stored.booking.name());
        payload->set_session(name);
        payload->set_session_cancelled(true);
        payload->set_previous_state(StateWord(before));
        RETURN_IF_ERROR(tx.AddEvent(std::move(cancelled)));
      }
      RETURN_IF_ERROR(tx.SaveCounts(inventory));
      if (cache_ != nullptr) cache_->Invalidate(name);
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();  // not ours to act on
  }
}

}  // namespace training::booking
