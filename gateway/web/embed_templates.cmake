# Writes OUTPUT, a C++ file defining training::gateway::web::EmbeddedTemplates():
# every *.mustache file of TEMPLATE_DIR by name (without the extension), so
# that the gateway binary carries its templates and needs no files at run
# time besides its assets.
file(GLOB templates "${TEMPLATE_DIR}/*.mustache")
list(SORT templates)
set(body "// Generated from gateway/web/templates by embed_templates.cmake.\n")
string(APPEND body "#include \"gateway/web/embedded_templates.h\"\n\n")
string(APPEND body "namespace training::gateway::web {\n\n")
string(APPEND body "const std::map<std::string, std::string>& EmbeddedTemplates() {\n")
string(APPEND body "  static const auto* templates = new std::map<std::string, std::string>{\n")
foreach(path IN LISTS templates)
  get_filename_component(name "${path}" NAME_WE)
  file(READ "${path}" text)
  string(FIND "${text}" ")tmpl\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${path} contains the raw-string delimiter )tmpl\"")
  endif()
  string(APPEND body "      {\"${name}\", R\"tmpl(${text})tmpl\"},\n")
endforeach()
string(APPEND body "  };\n  return *templates;\n}\n\n}  // namespace training::gateway::web\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
