#include "gateway/web/components/html.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text/html_escape.h"

namespace training::gateway::web {
namespace {

std::string Scalar(const Params& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value.dump();
}

}  // namespace

std::string Escape(absl::string_view text) { return text::HtmlEscape(text); }

const Params& Get(const Params& params, absl::string_view key) {
  static const Params* const kNull = new Params(nullptr);
  if (!params.is_object()) return *kNull;
  auto it = params.find(std::string(key));
  return it == params.end() ? *kNull : *it;
}

bool Truthy(const Params& value) {
  if (value.is_null()) return false;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) return !value.get<std::string>().empty();
  if (value.is_number()) return value.get<double>() != 0;
  return true;
}

std::string Str(const Params& params, absl::string_view key) {
  return Scalar(Get(params, key));
}

std::string HtmlOr(const Params& params, absl::string_view html_key,
                   absl::string_view text_key) {
  if (Has(params, html_key)) {
    return std::string(absl::StripAsciiWhitespace(Str(params, html_key)));
  }
  return Escape(Str(params, text_key));
}

std::string ClassesSuffix(const Params& params, absl::string_view key) {
  return Has(params, key) ? absl::StrCat(" ", Str(params, key)) : "";
}

std::string Attributes(const Params& attributes) {
  if (attributes.is_string()) return attributes.get<std::string>();
  if (!attributes.is_object()) return "";
  std::string out;
  for (const auto& [name, item] : attributes.items()) {
    const bool options = item.is_object();
    const Params& value = options ? Get(item, "value") : item;
    const bool optional =
        options && Get(item, "optional").is_boolean() && Get(item, "optional");
    if (optional && value.is_boolean() && value.get<bool>()) {
      absl::StrAppend(&out, " ", Escape(name));
    } else if (!optional || !(value.is_null() ||
                              (value.is_boolean() && !value.get<bool>()))) {
      absl::StrAppend(&out, " ", Escape(name), "=\"", Escape(Scalar(value)),
                      "\"");
    }
  }
  return out;
}

}  // namespace training::gateway::web
