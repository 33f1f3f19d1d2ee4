#ifndef TRAINING_SERVICES_CONTENT_CALLER_H_
#define TRAINING_SERVICES_CONTENT_CALLER_H_

#include <string>

namespace training::content {

// Who is calling, as far as the content service cares, and what to stamp on
// the revisions and events a change causes.
struct Caller {
  // An admin key: reads everything, writes.
  bool admin = false;
  // The key's name, recorded as a revision's author.
  std::string key_name;
  // A bearer credential that is no key: perhaps a booking's manage token,
  // checked against the booking the request names.
  std::string manage_token;
  std::string request_id;
  std::string traceparent;
  std::string tracestate;
};

}  // namespace training::content

#endif  // TRAINING_SERVICES_CONTENT_CALLER_H_
