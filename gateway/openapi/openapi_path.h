#ifndef TRAINING_GATEWAY_OPENAPI_OPENAPI_PATH_H_
#define TRAINING_GATEWAY_OPENAPI_OPENAPI_PATH_H_

// A route's path template as an OpenAPI path. OpenAPI's path parameters
// cannot hold a slash, so a variable that binds several segments
// (`{name=courses/*/sessions/*}`) is written out segment by segment, each
// wildcard a parameter named after the collection before it:
// `/v1/courses/{course}/sessions/{session}`. A client fills in the ids; the
// gateway binds the segments to `name` as the rule says.

#include <string>
#include <vector>

#include "gateway/transcode/route_table.h"

namespace training::gateway::openapi {

struct PathParameter {
  std::string name;  // "course"
  // The request field the segment is part of ("name", "course.name"), and
  // the variable's whole pattern ("courses/{course}/sessions/{session}").
  std::string field;
  std::string pattern;
  bool whole_field = false;    // the parameter is the field's whole value
  bool many_segments = false;  // a `**`: may hold slashes
};

struct OpenApiPath {
  std::string path;  // "/v1/courses/{course}/sessions/{session}:cancel"
  std::vector<PathParameter> parameters;
};

OpenApiPath ToOpenApiPath(const transcode::PathTemplate& path);

// "course" from "courses", "delivery" from "deliveries".
std::string Singular(const std::string& plural);

}  // namespace training::gateway::openapi

#endif  // TRAINING_GATEWAY_OPENAPI_OPENAPI_PATH_H_
