// Erasure of everything held about an e-mail address (the right to
// erasure): the person's own bookings, the contacts kept of them as a
// replaced attendee, and the address wherever someone else named it as
// their line manager; then the bytes the old row versions left behind.

#include "services/booking/personal_data.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/auth/address_hash.h"
#include "common/logging/log.h"
#include "common/requests/requests.h"
#include "common/status/errors.h"
#include "common/status_macros.h"
#include "common/text/text.h"
#include "services/booking/booking_events.h"
#include "services/booking/domain.h"

namespace training::booking {

using internal::EndBooking;
using internal::Fingerprint;
using internal::IsActive;

// What an erasure locks, in the one global order: sessions by name, then
// courses by name.
struct PersonalData::ErasureLocks {
  std::map<std::string, SessionInventory> sessions;
  std::set<std::string> courses;

  // A booking's session when it has one, and always its course: promoting
  // a session's waiting list locks its course too, and every course must
  // be taken here, in order, before any of that.
  void Need(const v1::Booking& b) {
    courses.insert(b.course());
    if (!b.session().empty()) {
      sessions.emplace(b.session(), SessionInventory{});
    }
  }
  bool Holds(const v1::Booking& b) const {
    return b.session().empty() ? courses.contains(b.course())
                               : sessions.contains(b.session());
  }
};

namespace {

using ErasureLocks = PersonalData::ErasureLocks;

// The request record of an erasure keeps its answer: "erased/mentions"
// (records made before line managers were erased hold "erased" alone).
std::string ErasureRecord(int erased, int mentions) {
  return absl::StrCat(erased, "/", mentions);
}
bool ParseErasureRecord(absl::string_view text, int& erased, int& mentions) {
  const size_t slash = text.find('/');
  mentions = 0;
  return absl::SimpleAtoi(text.substr(0, slash), &erased) &&
         (slash == absl::string_view::npos ||
          absl::SimpleAtoi(text.substr(slash + 1), &mentions));
}

absl::Status TakeLocks(BookingTransaction& tx, ErasureLocks& locks) {
  for (auto& [session, inventory] : locks.sessions) {
    ASSIGN_OR_RETURN(std::optional<SessionInventory> locked,
                     tx.LockInventory(session));
    if (!locked) return absl::InternalError("booking: session unknown");
    inventory = *std::move(locked);
  }
  for (const std::string& course : locks.courses) {
    RETURN_IF_ERROR(tx.LockCourse(course));
  }
  return absl::OkStatus();
}

// The bookings naming `email_key` as line manager. Every change of a
// booking writes its whole row from what it read under its session's (or
// course's) lock, so blanking the address under those same locks is what
// keeps a concurrent change from writing it back.
absl::StatusOr<std::vector<StoredBooking>> LineManagerMentions(
    BookingTransaction& tx, const std::string& email_key) {
  ASSIGN_OR_RETURN(std::vector<std::string> references,
                   tx.NamedAsLineManagerOn(email_key));
  std::vector<StoredBooking> mentions;
  for (const std::string& reference : references) {
    ASSIGN_OR_RETURN(std::optional<StoredBooking> stored,
                     tx.FindBooking(reference));
    if (stored) mentions.push_back(*std::move(stored));
  }
  return mentions;
}

}  // namespace

absl::StatusOr<v1::ErasePersonalDataResponse> PersonalData::Erase(
    const Caller& caller, const v1::ErasePersonalDataRequest& r) const {
  std::vector<FieldViolation> violations;
  if (!IsValidEmail(r.email())) {
    violations.push_back({"email", "must be an e-mail address"});
  }
  if (!r.request_id().empty() && !text::IsUuid(r.request_id())) {
    violations.push_back({"request_id", "must be a UUID"});
  }
  if (!violations.empty()) return InvalidArgumentError(std::move(violations));
  const std::string email_key = EmailKey(r.email());
  const std::string fingerprint = Fingerprint(r);
  v1::ErasePersonalDataResponse response;
  ErasureLocks locks;
  std::set<std::string> promote;  // sessions that lost a place
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        response.Clear();
        locks = ErasureLocks{};
        promote.clear();
        const absl::Time now = context_.clock->Now();
        ASSIGN_OR_RETURN(
            std::optional<RequestRecord> earlier,
            internal::EarlierRun(tx, r.request_id(), fingerprint, now));
        int erased_before = 0, mentions_before = 0;
        if (earlier && ParseErasureRecord(earlier->reference, erased_before,
                                          mentions_before)) {
          response.set_erased_bookings(erased_before);  // a retry: done
          response.set_line_manager_mentions_erased(mentions_before);
          return absl::OkStatus();
        }
        // Everything to lock, read before the locks and checked again
        // under them.
        ASSIGN_OR_RETURN(std::vector<StoredBooking> found,
                         tx.BookingsOfEmail(email_key));
        ASSIGN_OR_RETURN(std::vector<StoredBooking> mentions,
                         LineManagerMentions(tx, email_key));
        for (const StoredBooking& stored : found) {
          if (IsActive(stored.booking.state())) locks.Need(stored.booking);
        }
        for (const StoredBooking& stored : mentions) {
          locks.Need(stored.booking);
        }
        RETURN_IF_ERROR(TakeLocks(tx, locks));
        ASSIGN_OR_RETURN(found, tx.BookingsOfEmail(email_key));
        ASSIGN_OR_RETURN(mentions, LineManagerMentions(tx, email_key));
        for (const auto* list : {&found, &mentions}) {
          for (const StoredBooking& stored : *list) {
            const bool needs_lock =
                list == &mentions || IsActive(stored.booking.state());
            if (needs_lock && !locks.Holds(stored.booking)) {
              // Placed or named between the two reads: lock it too.
              return TransactionConflictError(
                  "erasure: a booking moved; run again");
            }
          }
        }
        return EraseUnderLocks(tx, caller, email_key, found, locks, promote,
                               response, r.request_id(), fingerprint, now);
      }));
  for (const std::string& session : promote) {
    context_.RefreshCache(locks.sessions.at(session));
  }
  // The old row versions still hold the person's data in the database's
  // files until overwritten: remove them before answering, so that an OK
  // means the data is gone. A retry (the erasure replayed) runs this again.
  RETURN_IF_ERROR(context_.store->ScrubFreedSpace());
  log::Info(
      "personal_data.erased",
      {{"bookings", response.erased_bookings()},
       {"line_manager_mentions", response.line_manager_mentions_erased()}});
  return response;
}

absl::Status PersonalData::EraseUnderLocks(
    BookingTransaction& tx, const Caller& caller, const std::string& email_key,
    std::vector<StoredBooking>& found, ErasureLocks& locks,
    std::set<std::string>& promote, v1::ErasePersonalDataResponse& response,
    const std::string& request_id, const std::string& fingerprint,
    absl::Time now) const {
  std::vector<Event> events;
  std::vector<std::string> erased;
  for (StoredBooking& stored : found) {
    v1::Booking& b = stored.booking;
    // A place on a session still to come would be held by nobody: it is
    // cancelled, never late, and passed to the waiting list; a waiting
    // any-date entry leaves its list.
    auto locked = locks.sessions.find(b.session());
    const bool still_to_come =
        b.session().empty() ||
        (locked != locks.sessions.end() && locked->second.start > now);
    if (IsActive(b.state()) && still_to_come) {
      SessionInventory no_session;
      const v1::Booking::State before = b.state();
      EndBooking(stored, b.session().empty() ? no_session : locked->second,
                 before == v1::Booking::WAITLISTED ? v1::Booking::LEFT_WAITLIST
                                                   : v1::Booking::CANCELLED,
                 v1::Cancellation::ADMIN, "", now);
      b.mutable_cancellation()->set_late(false);
      RETURN_IF_ERROR(tx.UpdateBooking(stored));
      if (!b.session().empty()) promote.insert(b.session());
      events.push_back(
          CancelledEvent(caller, b, before,
                         events::v1::BookingCancelled::PERSONAL_DATA_ERASED));
    }
    RETURN_IF_ERROR(tx.EraseAttendee(b.reference()));
    erased.push_back(b.name());
  }
  for (const std::string& session : promote) {
    SessionInventory& inventory = locks.sessions.at(session);
    RETURN_IF_ERROR(waitlist_->Promote(tx, inventory, caller));
    RETURN_IF_ERROR(tx.SaveCounts(inventory));
  }
  RETURN_IF_ERROR(tx.ForgetContactsOf(email_key));
  ASSIGN_OR_RETURN(std::vector<std::string> blanked,
                   tx.ForgetLineManager(email_key));
  std::vector<std::string> named;
  for (const std::string& reference : blanked) {
    named.push_back(BookingName(reference));
  }
  response.set_erased_bookings(static_cast<int>(found.size()));
  response.set_line_manager_mentions_erased(static_cast<int>(blanked.size()));
  if (!found.empty() || !blanked.empty()) {
    const auth::AddressHash hash = auth::HashAddress(*address_keys_, email_key);
    events.push_back(ErasedEvent(caller, erased, named, hash.hash, hash.kid));
  }
  RETURN_IF_ERROR(tx.AddEvents(std::move(events)));
  if (!request_id.empty()) {
    RETURN_IF_ERROR(tx.RecordRequest(
        request_id,
        {fingerprint, ErasureRecord(response.erased_bookings(),
                                    response.line_manager_mentions_erased())},
        now));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PersonalData::ForgetEndedContacts() const {
  int64_t forgotten = 0;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            forgotten, tx.ForgetContactsOfEndedSessions(context_.clock->Now()));
        return absl::OkStatus();
      }));
  return forgotten;
}

absl::StatusOr<int64_t> PersonalData::ForgetAccessNeeds(
    absl::Duration retention) const {
  int64_t forgotten = 0;
  RETURN_IF_ERROR(context_.store->Run(
      BookingStore::Mode::kWrite, [&](BookingTransaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            forgotten, tx.ForgetAccessNeeds(context_.clock->Now() - retention));
        return absl::OkStatus();
      }));
  return forgotten;
}

}  // namespace training::booking
