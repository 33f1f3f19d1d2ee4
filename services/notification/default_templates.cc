#include "services/notification/default_templates.h"

namespace training::notification {
namespace {

// What closes every message.
constexpr char kSignOff[] =
    "\n\nIf you have a question, write to the training team at "
    "((team_email)).\n\nThe Safeguarding Children Partnership training "
    "team";

constexpr char kWhenAndWhere[] =
    "Date: ((session_date))\n"
    "Time: ((session_time)), ((time_zone))\n"
    "Place: ((place))\n";

// The first line of a line manager's copy.
constexpr char kCopyNote[] =
    "((line_manager_copy??This is a copy for the line manager named on the "
    "booking.\n\n))";

// What only the attendee's own message says: the invite and the link that
// manages the booking (a copy carries neither).
constexpr char kInviteAndLink[] =
    "((for_attendee??A calendar invite is attached.\n\n"
    "To cancel, or to send a colleague in your place, use this link:\n))"
    "((manage_link))";

std::string Body(std::string text) { return text + kSignOff; }

}  // namespace

const std::vector<DefaultTemplate>& DefaultTemplates() {
  static const auto* templates = new std::vector<DefaultTemplate>{
      {v1::BOOKING_CONFIRMED,
       "Your place is booked: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "Your place on ((course_title)) is booked.\n\n" +
            kWhenAndWhere +
            "Booking reference: ((reference))\n\n"
            "((is_online??We will e-mail the link to join before the "
            "session.\n\n))" +
            kInviteAndLink),
       "", true},
      {v1::BOOKING_WAITLISTED,
       "You are on the waiting list: ((course_title)), ((session_date))",
       Body(std::string("Hello ((name)),\n\n"
                        "The session is full, so you are on its waiting "
                        "list, at number ((waitlist_position)).\n\n") +
            kWhenAndWhere +
            "Booking reference: ((reference))\n\n"
            "We will e-mail you if a place comes up. To leave the waiting "
            "list, use this link:\n((manage_link))"),
       "", false},
      {v1::PLACE_OFFERED,
       "A place is free for you: ((course_title)), ((session_date))",
       Body(std::string("Hello ((name)),\n\n"
                        "A place has come up on ((course_title)) and it is "
                        "yours if you want it.\n\n") +
            kWhenAndWhere +
            "\nAccept or decline by ((offer_deadline)). After that the "
            "place goes to the next person waiting.\n\n"
            "Accept or decline here:\n((manage_link))"),
       "", false},
      {v1::BOOKING_PROMOTED,
       "Your place is booked: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "Good news: you now have a place on ((course_title)).\n\n" +
            kWhenAndWhere + "Booking reference: ((reference))\n\n" +
            kInviteAndLink),
       "", true},
      {v1::OFFER_EXPIRED, "The place we offered has gone: ((course_title))",
       Body("Hello ((name)),\n\n"
            "We offered you a place on ((course_title)) on ((session_date)), "
            "but we did not hear back in time, so it has gone to the next "
            "person waiting.\n\n"
            "You can book another date of the course at any time."),
       "", false},
      {v1::BOOKING_CANCELLED,
       "Your booking is cancelled: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "Your booking ((reference)) for ((course_title)) on "
            "((session_date)) is cancelled.\n\n"
            "If you did not mean to cancel, you can book again while places "
            "are left.((late?? As this was close to the session, it counts "
            "as a late cancellation.))"),
       "", true},
      {v1::BOOKING_CANCELLED_BY_TEAM,
       "We have cancelled your booking: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "The training team has cancelled your booking ((reference)) for "
            "((course_title)) on ((session_date)).\n\n"
            "If you think this is a mistake, please get in touch."),
       "", true},
      {v1::SESSION_CANCELLED,
       "Session cancelled: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "We are sorry: the ((course_title)) session on ((session_date)) "
            "is cancelled, so your booking ((reference)) is too.\n\n"
            "Reason: ((cancellation_reason))\n\n"
            "Please book another date of the course."),
       "", true},
      {v1::ATTENDEE_REPLACED,
       "A colleague has taken your place: ((course_title))",
       Body("Hello ((name)),\n\n"
            "A colleague has taken your place on ((course_title)) on "
            "((session_date)) (booking ((reference))). You no longer have a "
            "place, and the event is removed from your calendar."),
       "", false},
      {v1::ATTENDEE_SUBSTITUTED,
       "Your place is booked: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "A colleague has passed their place on ((course_title)) to "
            "you.\n\n" +
            kWhenAndWhere + "Booking reference: ((reference))\n\n" +
            kInviteAndLink),
       "", true},
      {v1::SESSION_CHANGED,
       "Change to your session: ((course_title)), ((session_date))",
       Body(std::string("Hello ((name)),\n\n"
                        "((what_changed))\n\n"
                        "The session is now:\n\n") +
            kWhenAndWhere +
            "Booking reference: ((reference))\n\n"
            "An updated calendar invite is attached.\n\n"
            "If you can no longer come, please cancel so that someone else "
            "can have the place:\n((manage_link))"),
       "", false},
      {v1::ENQUIRY_ACKNOWLEDGEMENT,
       "We have your question, reference ((reference))",
       Body("Hello,\n\n"
            "Thank you for getting in touch about ((about)). The training "
            "team has your question and will reply to this address, "
            "usually within three working days.\n\n"
            "Your reference: ((reference))\n\n"
            "If you did not send us a question, you can ignore this "
            "message."),
       "", false},
      {v1::ENQUIRY_FORWARD, "Enquiry ((reference)): ((about))",
       "A question came through the \"get in touch\" form.\n\n"
       "From: ((name)) <((enquirer_email))>\n"
       "About: ((about))\n"
       "Reference: ((reference))\n\n"
       "((enquiry_text))\n\n"
       "This copy is for the training team: reply to it to answer them.",
       "", false},
      {v1::REMINDER, "Reminder: ((course_title)), ((session_date))",
       Body(std::string(kCopyNote) +
            "Hello ((name)),\n\n"
            "This is a reminder of your place on ((course_title)).\n\n" +
            kWhenAndWhere +
            "Booking reference: ((reference))\n\n"
            "((is_online??We will e-mail the link to join before the "
            "session.\n\n))"
            "((for_attendee??If you can no longer come, please cancel so "
            "that someone else can have the place, or send a colleague:\n))"
            "((manage_link))"),
       "", false},
      {v1::JOINING_INSTRUCTIONS,
       "How to join: ((course_title)), ((session_date))",
       Body("Hello ((name)),\n\n"
            "Here is the link to join ((course_title)) online on "
            "((session_date)), ((session_time)) ((time_zone)):\n\n"
            "((joining_link))\n\n"
            "Please join a few minutes early, with your camera on if you "
            "can: the session is interactive. The link is for you alone; "
            "please do not pass it on.\n\n"
            "Booking reference: ((reference))"),
       "", false},
      {v1::FEEDBACK_REQUEST, "How was ((course_title))?",
       Body("Hello ((name)),\n\n"
            "Thank you for coming to ((course_title)) on ((session_date)). "
            "Please tell us how it went for you; it takes about five "
            "minutes and helps us improve the programme:\n\n"
            "((feedback_link))\n\n"
            "If you would rather not be asked for feedback again, use this "
            "link:\n((opt_out_link))"),
       "", false},
      {v1::NO_SHOW_NOTICE, "We missed you: ((course_title))",
       Body("Hello ((name)),\n\n"
            "You had a place on ((course_title)) on ((session_date)) "
            "(booking ((reference))), but we did not see you there, so it "
            "is recorded as a no-show.\n\n"
            "((no_show_policy))\n\n"
            "If you cannot come to a session you have booked, please cancel "
            "so that someone on the waiting list can have the place. If you "
            "think this record is wrong, please write to us."),
       "", false},
  };
  return *templates;
}

}  // namespace training::notification
