# Writes a C++ source holding a file's bytes, so that a binary carries the
# file (the gateway, its commented descriptor set) and ccache sees a change
# of content as a change of source.
#   cmake -DINPUT=f -DOUTPUT=f.cc -DFUNCTION=ns::Name -P embed_file.cmake
# The source defines `absl::string_view <FUNCTION>()`; HEADER names the
# header that declares it.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
string(REGEX MATCH "^(.*)::([A-Za-z0-9_]+)$" unused "${FUNCTION}")
set(namespace "${CMAKE_MATCH_1}")
set(name "${CMAKE_MATCH_2}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/embed_file.cmake.
#include \"${HEADER}\"

namespace ${namespace} {
namespace {
alignas(8) const unsigned char kBytes[${size}] = {
${bytes}};
}  // namespace

absl::string_view ${name}() {
  return absl::string_view(reinterpret_cast<const char*>(kBytes), ${size});
}

}  // namespace ${namespace}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
