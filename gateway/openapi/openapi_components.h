#ifndef TRAINING_GATEWAY_OPENAPI_OPENAPI_COMPONENTS_H_
#define TRAINING_GATEWAY_OPENAPI_OPENAPI_COMPONENTS_H_

// The parts of the OpenAPI document that are the gateway's own rather than
// the contract's: the error shape, the error responses, the headers the
// gateway maps (Idempotency-Key, If-Match, If-None-Match, ETag, Retry-After,
// the RateLimit fields), the two bearer credentials, and the overview.

#include "gateway/openapi/json_schema.h"

namespace training::gateway::openapi {

// Names of the shared components, for references.
inline constexpr char kErrorSchema[] = "Error";
inline constexpr char kApiKeyScheme[] = "apiKey";
inline constexpr char kManageTokenScheme[] = "manageToken";

// components.{schemas (the error only), responses, parameters, headers,
// securitySchemes}.
Json GatewayComponents();

// The document's info.description: how errors, idempotency, concurrency,
// caching and limits work across every operation.
const char* ApiOverview();

// {"$ref": "#/components/<kind>/<name>"}.
Json ComponentRef(const char* kind, const char* name);

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_OPENAPI_COMPONENTS_H_
