#include "gateway/openapi/openapi_components.h"

#include <string>

namespace training::gateway::openapi {
namespace {

Json HeaderRef(const char* name) { return ComponentRef("headers", name); }

Json StringHeader(const char* description) {
  return {{"description", description}, {"schema", {{"type", "string"}}}};
}

Json IntegerHeader(const char* description) {
  return {{"description", description},
          {"schema", {{"type", "integer"}, {"minimum", 0}}}};
}

Json ErrorSchema() {
  return {{"type", "object"},
          {"description",
           "Every error, in the shape of Google's JSON error mapping: the HTTP "
           "status, the gRPC status name, a message for people, and details "
           "for programs (`google.rpc.BadRequest` with one violation per bad "
           "field, `google.rpc.ErrorInfo` with a reason, "
           "`google.rpc.RetryInfo`)."},
          {"required", {"error"}},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"required", {"code", "status", "message", "details"}},
              {"properties",
               {{"code",
                 {{"type", "integer"}, {"description", "The HTTP status."}}},
                {"status",
                 {{"type", "string"},
                  {"description",
                   "The gRPC status name: INVALID_ARGUMENT, NOT_FOUND, "
                   "FAILED_PRECONDITION, ..."}}},
                {"message", {{"type", "string"}}},
                {"details",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"required", {"@type"}},
                    {"properties", {{"@type", {{"type", "string"}}}}},
                    {"additionalProperties", true}}}}}}}}}}}};
}

Json ErrorResponse(const char* description, bool retry_after, bool rate_limit) {
  Json response = {{"description", description},
                   {"content",
                    {{"application/json",
                      {{"schema", ComponentRef("schemas", kErrorSchema)}}}}}};
  if (retry_after || rate_limit) {
    Json headers = Json::object();
    if (retry_after) headers["Retry-After"] = HeaderRef("RetryAfter");
    if (rate_limit) {
      headers["RateLimit-Limit"] = HeaderRef("RateLimitLimit");
      headers["RateLimit-Remaining"] = HeaderRef("RateLimitRemaining");
      headers["RateLimit-Reset"] = HeaderRef("RateLimitReset");
    }
    response["headers"] = std::move(headers);
  }
  return response;
}

Json HeaderParameter(const char* name, const char* description,
                     Json schema = {{"type", "string"}}) {
  return {{"name", name},
          {"in", "header"},
          {"required", false},
          {"description", description},
          {"schema", std::move(schema)}};
}

}  // namespace

Json ComponentRef(const char* kind, const char* name) {
  return {{"$ref", std::string("#/components/") + kind + "/" + name}};
}

Json GatewayComponents() {
  Json components;
  components["schemas"] = {{kErrorSchema, ErrorSchema()}};
  components["responses"] = {
      {"BadRequest",
       ErrorResponse("A field, parameter or header is not valid; nothing "
                     "changed. `google.rpc.BadRequest` names each.",
                     false, false)},
      {"Unauthenticated",
       ErrorResponse("The credentials are missing, unknown, expired or "
                     "revoked.",
                     false, false)},
      {"PermissionDenied",
       ErrorResponse("The credentials do not admit this operation.", false,
                     false)},
      {"NotFound",
       ErrorResponse("No such resource (or one these credentials may not "
                     "see).",
                     false, false)},
      {"Conflict",
       ErrorResponse("The resource's state does not allow this change "
                     "(FAILED_PRECONDITION, ABORTED) or it already exists "
                     "(ALREADY_EXISTS); `google.rpc.ErrorInfo` gives the "
                     "reason.",
                     false, false)},
      {"PreconditionFailed",
       ErrorResponse("If-Match named an etag the resource no longer has.",
                     false, false)},
      {"UnsupportedMediaType",
       ErrorResponse("The body's Content-Type is not application/json.", false,
                     false)},
      {"IdempotencyKeyReused",
       ErrorResponse("The Idempotency-Key was used before with a different "
                     "request.",
                     false, false)},
      {"TooManyRequests",
       ErrorResponse("Over the rate limit: try again after Retry-After "
                     "seconds.",
                     true, true)},
      {"Unavailable",
       ErrorResponse("The service behind this operation cannot answer now; "
                     "try again after Retry-After seconds.",
                     true, false)},
      {"Error", ErrorResponse("Any other error.", false, false)}};
  components["parameters"] = {
      {"IdempotencyKey",
       HeaderParameter(
           "Idempotency-Key",
           "Makes the change once however often it is sent: a repeat with "
           "the same key and the same request gets the first answer; with a "
           "different request, 422. With credentials, any 1-255 visible "
           "ASCII characters (scoped to those credentials); without, a "
           "random (version 4) UUID.",
           {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}})},
      {"IfMatch",
       HeaderParameter("If-Match",
                       "The etag the resource must still have (from ETag); "
                       "412 when it has changed. `*` asks for no check.")},
      {"IfNoneMatch",
       HeaderParameter("If-None-Match",
                       "An etag from an earlier answer: 304 with no body "
                       "when the resource still has it.")},
      {"RequestTimeout",
       HeaderParameter("X-Request-Timeout",
                       "A shorter deadline for this request: seconds (2.5) "
                       "or a duration (500ms). 504 when it passes.")}};
  components["headers"] = {
      {"ETag", StringHeader("The resource's current etag, for If-Match and "
                            "If-None-Match.")},
      {"CacheControl",
       StringHeader("Public answers to anonymous requests may be cached "
                    "for a few seconds.")},
      {"RetryAfter", IntegerHeader("Seconds to wait before trying again.")},
      {"RateLimitLimit",
       IntegerHeader("Requests allowed in a burst by the limit that applies.")},
      {"RateLimitRemaining",
       IntegerHeader("Requests left in the current burst.")},
      {"RateLimitReset",
       IntegerHeader("Seconds until the burst is whole again.")}};
  components["securitySchemes"] = {
      {kApiKeyScheme,
       {{"type", "http"},
        {"scheme", "bearer"},
        {"bearerFormat", "API key"},
        {"description",
         "An agency or admin API key: `Authorization: Bearer <key>`. The "
         "scopes an operation lists are those the key must hold; `admin` "
         "means an admin key."}}},
      {kManageTokenScheme,
       {{"type", "http"},
        {"scheme", "bearer"},
        {"bearerFormat", "manage token"},
        {"description",
         "A booking's manage token, returned once when the booking is "
         "made: `Authorization: Bearer <token>`. It admits the operations "
         "on that booking only."}}}};
  return components;
}

const char* ApiOverview() {
  return R"(The REST/JSON face of the multi-agency safeguarding training suite: courses and sessions, bookings and fair waiting lists, notifications and learning content. Every operation is also a gRPC method (named in `x-grpc-method`); the two are the same contract.

**Errors** have one shape (`Error`): the HTTP status, the gRPC status name, a message, and details. A bad request changes nothing.

**Retries**: send an `Idempotency-Key` with every change that takes one; a repeat gets the first answer, so a request whose answer was lost can be sent again safely.

**Concurrency**: resources carry an `etag`; send it back in `If-Match` (or in the body) so that a change made meanwhile is not overwritten (412).

**Caching**: anonymous reads of public resources may be cached for a few seconds; `If-None-Match` gives 304 when nothing changed.

**Limits**: requests are rate limited per API key and per client address (429 with `Retry-After`); bodies up to 1 MiB; lists are paged (`pageSize`, `pageToken`, `nextPageToken`).)";
}

}  // namespace training::gateway::openapi
