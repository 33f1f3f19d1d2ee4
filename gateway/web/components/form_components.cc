// The form components: label, hint, error message, fieldset, input,
// textarea, radios, checkboxes and button, after the package's templates.

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/web/components/components.h"

namespace training::gateway::web {
namespace {

// " govuk-form-group--error" and formGroup's classes and attributes.
std::string FormGroupOpen(const Params& params) {
  const Params& group = Get(params, "formGroup");
  return absl::StrCat(
      "<div class=\"govuk-form-group",
      Has(params, "errorMessage") ? " govuk-form-group--error" : "",
      ClassesSuffix(group), "\"", Attributes(Get(group, "attributes")), ">");
}

// Appends `id` to a space-separated aria-describedby list.
void DescribedBy(std::string& list, const std::string& id) {
  list = list.empty() ? id : absl::StrCat(list, " ", id);
}

// The hint and error message of a field whose ids start with `id`; adds
// their ids to `described_by`.
std::string HintAndError(const Params& params, const std::string& id,
                         std::string& described_by) {
  std::string out;
  if (Has(params, "hint")) {
    const Params& hint = Get(params, "hint");
    const std::string hint_id = id + "-hint";
    DescribedBy(described_by, hint_id);
    out += Hint({{"id", hint_id},
                 {"classes", Get(hint, "classes")},
                 {"attributes", Get(hint, "attributes")},
                 {"html", Get(hint, "html")},
                 {"text", Get(hint, "text")}});
  }
  if (Has(params, "errorMessage")) {
    Params error = Get(params, "errorMessage");
    const std::string error_id = id + "-error";
    DescribedBy(described_by, error_id);
    error["id"] = error_id;
    out += ErrorMessage(error);
  }
  return out;
}

// What an input, a textarea and a select begin with: the form group, the
// label, hint and error message; `id` and `described_by` come back for the
// control itself.
struct FieldStart {
  std::string id;
  std::string described_by;
  std::string html;
};

Params LabelFor(const Params& label, const std::string& id,
                const std::string& extra_classes = "");

FieldStart StartField(const Params& params) {
  FieldStart f;
  f.id = Has(params, "id") ? Str(params, "id") : Str(params, "name");
  f.described_by = Str(params, "describedBy");
  f.html = FormGroupOpen(params);
  f.html += Label(LabelFor(Get(params, "label"), f.id));
  f.html += HintAndError(params, f.id, f.described_by);
  return f;
}

Params LabelFor(const Params& label, const std::string& id,
                const std::string& extra_classes) {
  std::string classes = extra_classes;
  if (Has(label, "classes")) {
    classes = classes.empty()
                  ? Str(label, "classes")
                  : absl::StrCat(classes, " ", Str(label, "classes"));
  }
  Params out = {{"html", Get(label, "html")},
                {"text", Get(label, "text")},
                {"classes", classes},
                {"isPageHeading", Get(label, "isPageHeading")},
                {"attributes", Get(label, "attributes")},
                {"for", id}};
  return out;
}

// One radio or checkbox; `kind` is "radios" or "checkboxes".
struct ChoiceItem {
  const char* kind;
  const char* type;
  std::string id;
  std::string name;
  bool checked;
  std::string described_by;  // besides the item's own hint
};

std::string Choice(const Params& item, const ChoiceItem& c) {
  if (Has(item, "divider")) {
    return absl::StrCat("<div class=\"govuk-", c.kind, "__divider\">",
                        Escape(Str(item, "divider")), "</div>");
  }
  const Params& hint = Get(item, "hint");
  const bool has_hint = Has(hint, "text") || Has(hint, "html");
  const std::string hint_id = c.id + "-item-hint";
  const std::string conditional_id = "conditional-" + c.id;
  const bool conditional = Has(Get(item, "conditional"), "html");
  std::string described_by = c.described_by;
  if (has_hint) DescribedBy(described_by, hint_id);
  std::string out = absl::StrCat(
      "<div class=\"govuk-", c.kind, "__item\"><input class=\"govuk-", c.kind,
      "__input\" id=\"", Escape(c.id), "\" name=\"", Escape(c.name),
      "\" type=\"", c.type, "\" value=\"", Escape(Str(item, "value")), "\"",
      c.checked ? " checked" : "", Has(item, "disabled") ? " disabled" : "",
      conditional
          ? absl::StrCat(" data-aria-controls=\"", Escape(conditional_id), "\"")
          : "",
      Has(item, "behaviour")
          ? absl::StrCat(" data-behaviour=\"", Escape(Str(item, "behaviour")),
                         "\"")
          : "",
      described_by.empty()
          ? ""
          : absl::StrCat(" aria-describedby=\"", Escape(described_by), "\""),
      Attributes(Get(item, "attributes")), ">");
  const Params& label = Get(item, "label");
  out += Label({{"html", Get(item, "html")},
                {"text", Get(item, "text")},
                {"classes", absl::StrCat("govuk-", c.kind, "__label",
                                         ClassesSuffix(label))},
                {"attributes", Get(label, "attributes")},
                {"for", c.id}});
  if (has_hint) {
    out += Hint({{"id", hint_id},
                 {"classes", absl::StrCat("govuk-", c.kind, "__hint",
                                          ClassesSuffix(hint))},
                 {"attributes", Get(hint, "attributes")},
                 {"html", Get(hint, "html")},
                 {"text", Get(hint, "text")}});
  }
  out += "</div>";
  if (conditional) {
    absl::StrAppend(
        &out, "<div class=\"govuk-", c.kind, "__conditional",
        c.checked ? ""
                  : absl::StrCat(" govuk-", c.kind, "__conditional--hidden"),
        "\" id=\"", Escape(conditional_id), "\">",
        absl::StripAsciiWhitespace(Str(Get(item, "conditional"), "html")),
        "</div>");
  }
  return out;
}

// Radios and checkboxes share everything but the items' ids, names and
// checked state, and where aria-describedby goes.
std::string Choices(const Params& params, bool radios) {
  const char* kind = radios ? "radios" : "checkboxes";
  const std::string id_prefix =
      Has(params, "idPrefix") ? Str(params, "idPrefix") : Str(params, "name");
  const Params& fieldset = Get(params, "fieldset");
  const bool has_fieldset = Truthy(fieldset);
  std::string described_by =
      radios ? Str(fieldset, "describedBy") : Str(params, "describedBy");
  if (!radios && Has(fieldset, "describedBy")) {
    described_by = Str(fieldset, "describedBy");
  }
  // Checkboxes outside a fieldset carry the group's description on each
  // item, taken before the group's hint and error are added.
  const std::string item_described_by =
      !radios && !has_fieldset ? described_by : "";
  std::string inner = HintAndError(params, id_prefix, described_by);
  absl::StrAppend(&inner, "<div class=\"govuk-", kind, ClassesSuffix(params),
                  "\"", Attributes(Get(params, "attributes")),
                  " data-module=\"govuk-", kind, "\">");
  const Params& items = Get(params, "items");
  const Params& values = Get(params, "values");
  int index = 0;
  for (const Params& item : items.is_array() ? items : Params::array()) {
    ++index;
    if (!Truthy(item)) continue;
    ChoiceItem c{.kind = kind,
                 .type = radios ? "radio" : "checkbox",
                 .id = Has(item, "id")
                           ? Str(item, "id")
                           : (index > 1 ? absl::StrCat(id_prefix, "-", index)
                                        : id_prefix),
                 .name = !radios && Has(item, "name") ? Str(item, "name")
                                                      : Str(params, "name"),
                 .checked = false,
                 .described_by = item_described_by};
    if (Has(item, "checked")) {
      c.checked = true;
    } else if (radios && Has(params, "value")) {
      c.checked = Get(item, "value") == Get(params, "value") &&
                  Get(item, "checked") != Params(false);
    } else if (!radios && Has(params, "values") && values.is_array()) {
      bool in = false;
      for (const Params& v : values) in = in || v == Get(item, "value");
      c.checked = in && Get(item, "checked") != Params(false);
    }
    inner += Choice(item, c);
  }
  inner += "</div>";
  std::string out = FormGroupOpen(params);
  if (has_fieldset) {
    out += Fieldset({{"describedBy", described_by},
                     {"classes", Get(fieldset, "classes")},
                     {"attributes", Get(fieldset, "attributes")},
                     {"legend", Get(fieldset, "legend")}},
                    inner);
  } else {
    out += inner;
  }
  return out + "</div>";
}

}  // namespace

std::string Label(const Params& params) {
  if (!Has(params, "html") && !Has(params, "text")) return "";
  std::string label = absl::StrCat(
      "<label class=\"govuk-label", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")),
      Has(params, "for")
          ? absl::StrCat(" for=\"", Escape(Str(params, "for")), "\"")
          : "",
      ">", HtmlOr(params), "</label>");
  if (Has(params, "isPageHeading")) {
    return absl::StrCat("<h1 class=\"govuk-label-wrapper\">", label, "</h1>");
  }
  return label;
}

std::string Hint(const Params& params) {
  return absl::StrCat(
      "<div",
      Has(params, "id")
          ? absl::StrCat(" id=\"", Escape(Str(params, "id")), "\"")
          : "",
      " class=\"govuk-hint", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")), ">", HtmlOr(params), "</div>");
}

std::string ErrorMessage(const Params& params) {
  const Params& hidden = Get(params, "visuallyHiddenText");
  const std::string hidden_text =
      hidden.is_null()
          ? "Error"
          : (Truthy(hidden) ? Str(params, "visuallyHiddenText") : "");
  return absl::StrCat(
      "<p",
      Has(params, "id")
          ? absl::StrCat(" id=\"", Escape(Str(params, "id")), "\"")
          : "",
      " class=\"govuk-error-message", ClassesSuffix(params), "\"",
      Attributes(Get(params, "attributes")), ">",
      hidden_text.empty()
          ? ""
          : absl::StrCat("<span class=\"govuk-visually-hidden\">",
                         Escape(hidden_text), ":</span> "),
      HtmlOr(params), "</p>");
}

std::string Fieldset(const Params& params, const std::string& inner_html) {
  std::string out = absl::StrCat(
      "<fieldset class=\"govuk-fieldset", ClassesSuffix(params), "\"",
      Has(params, "role")
          ? absl::StrCat(" role=\"", Escape(Str(params, "role")), "\"")
          : "",
      Has(params, "describedBy")
          ? absl::StrCat(" aria-describedby=\"",
                         Escape(Str(params, "describedBy")), "\"")
          : "",
      Attributes(Get(params, "attributes")), ">");
  const Params& legend = Get(params, "legend");
  if (Has(legend, "html") || Has(legend, "text")) {
    absl::StrAppend(&out, "<legend class=\"govuk-fieldset__legend",
                    ClassesSuffix(legend), "\">");
    if (Has(legend, "isPageHeading")) {
      absl::StrAppend(&out, "<h1 class=\"govuk-fieldset__heading\">",
                      HtmlOr(legend), "</h1>");
    } else {
      out += HtmlOr(legend);
    }
    out += "</legend>";
  }
  out += inner_html.empty() ? Str(params, "html") : inner_html;
  return out + "</fieldset>";
}

std::string Input(const Params& params) {
  FieldStart field = StartField(params);
  const std::string& id = field.id;
  const std::string& described_by = field.described_by;
  std::string out = std::move(field.html);
  const Params& spellcheck = Get(params, "spellcheck");
  Params attributes = {
      {"class",
       absl::StrCat("govuk-input", ClassesSuffix(params),
                    Has(params, "errorMessage") ? " govuk-input--error" : "")},
      {"id", id},
      {"name", Get(params, "name")},
      {"type", Has(params, "type") ? Str(params, "type") : "text"},
      {"spellcheck",
       {{"value", spellcheck.is_boolean() ? Params(Str(params, "spellcheck"))
                                          : Params(false)},
        {"optional", true}}},
      {"value", {{"value", Get(params, "value")}, {"optional", true}}},
      {"disabled", {{"value", Get(params, "disabled")}, {"optional", true}}},
      {"aria-describedby",
       {{"value", described_by.empty() ? Params() : Params(described_by)},
        {"optional", true}}},
      {"autocomplete",
       {{"value", Get(params, "autocomplete")}, {"optional", true}}},
      {"autocapitalize",
       {{"value", Get(params, "autocapitalize")}, {"optional", true}}},
      {"pattern", {{"value", Get(params, "pattern")}, {"optional", true}}},
      {"inputmode", {{"value", Get(params, "inputmode")}, {"optional", true}}}};
  absl::StrAppend(&out, "<input", Attributes(attributes),
                  Attributes(Get(params, "attributes")), ">");
  return out + "</div>";
}

std::string Textarea(const Params& params) {
  FieldStart field = StartField(params);
  const std::string& id = field.id;
  const std::string& described_by = field.described_by;
  std::string out = std::move(field.html);
  const Params& spellcheck = Get(params, "spellcheck");
  absl::StrAppend(
      &out, "<textarea class=\"govuk-textarea",
      Has(params, "errorMessage") ? " govuk-textarea--error" : "",
      ClassesSuffix(params), "\" id=\"", Escape(id), "\" name=\"",
      Escape(Str(params, "name")), "\" rows=\"",
      Has(params, "rows") ? Escape(Str(params, "rows")) : "5", "\"",
      spellcheck.is_boolean()
          ? absl::StrCat(" spellcheck=\"", Str(params, "spellcheck"), "\"")
          : "",
      Has(params, "disabled") ? " disabled" : "",
      described_by.empty()
          ? ""
          : absl::StrCat(" aria-describedby=\"", Escape(described_by), "\""),
      Has(params, "autocomplete")
          ? absl::StrCat(" autocomplete=\"",
                         Escape(Str(params, "autocomplete")), "\"")
          : "",
      Attributes(Get(params, "attributes")), ">", Escape(Str(params, "value")),
      "</textarea>");
  return out + "</div>";
}

std::string Select(const Params& params) {
  FieldStart field = StartField(params);
  const std::string& id = field.id;
  const std::string& described_by = field.described_by;
  std::string out = std::move(field.html);
  absl::StrAppend(
      &out, "<select class=\"govuk-select", ClassesSuffix(params),
      Has(params, "errorMessage") ? " govuk-select--error" : "", "\" id=\"",
      Escape(id), "\" name=\"", Escape(Str(params, "name")), "\"",
      Has(params, "disabled") ? " disabled" : "",
      described_by.empty()
          ? ""
          : absl::StrCat(" aria-describedby=\"", Escape(described_by), "\""),
      Attributes(Get(params, "attributes")), ">");
  const Params& items = Get(params, "items");
  for (const Params& item : items.is_array() ? items : Params::array()) {
    if (!Truthy(item)) continue;
    const Params& value = Get(item, "value");
    const Params& effective =
        item.contains("value") ? value : Get(item, "text");
    bool selected = Has(item, "selected");
    if (!selected && Has(params, "value")) {
      selected = Str(Params{{"v", effective}}, "v") == Str(params, "value") &&
                 Get(item, "selected") != Params(false);
    }
    absl::StrAppend(
        &out, "<option",
        item.contains("value")
            ? absl::StrCat(" value=\"", Escape(Str(item, "value")), "\"")
            : "",
        selected ? " selected" : "", Has(item, "disabled") ? " disabled" : "",
        Attributes(Get(item, "attributes")), ">", Escape(Str(item, "text")),
        "</option>");
  }
  return out + "</select></div>";
}

std::string Radios(const Params& params) { return Choices(params, true); }

std::string Checkboxes(const Params& params) { return Choices(params, false); }

std::string Button(const Params& params) {
  const bool start = Has(params, "isStartButton");
  const std::string classes =
      absl::StrCat("govuk-button", ClassesSuffix(params),
                   start ? " govuk-button--start" : "");
  const std::string common = absl::StrCat(
      " class=\"", Escape(classes), "\" data-module=\"govuk-button\"",
      Attributes(Get(params, "attributes")),
      Has(params, "id")
          ? absl::StrCat(" id=\"", Escape(Str(params, "id")), "\"")
          : "");
  std::string text = HtmlOr(params);
  if (start && Has(params, "html"))
    text = absl::StrCat("<span>", text, "</span>");
  const char* icon =
      "<svg class=\"govuk-button__start-icon\" "
      "xmlns=\"http://www.w3.org/2000/svg\" width=\"17.5\" height=\"19\" "
      "viewBox=\"0 0 33 40\" aria-hidden=\"true\" focusable=\"false\"><path "
      "fill=\"currentColor\" d=\"M0 0h13l20 20-20 20H0l20-20z\"/></svg>";
  if (Has(params, "href")) {
    return absl::StrCat("<a href=\"", Escape(Str(params, "href")),
                        "\" role=\"button\" draggable=\"false\"", common, ">",
                        text, start ? icon : "", "</a>");
  }
  const Params& double_click = Get(params, "preventDoubleClick");
  return absl::StrCat(
      "<button type=\"",
      Has(params, "type") ? Escape(Str(params, "type")) : "submit", "\"",
      Has(params, "value")
          ? absl::StrCat(" value=\"", Escape(Str(params, "value")), "\"")
          : "",
      Has(params, "name")
          ? absl::StrCat(" name=\"", Escape(Str(params, "name")), "\"")
          : "",
      Has(params, "disabled") ? " disabled aria-disabled=\"true\"" : "",
      double_click.is_null()
          ? ""
          : absl::StrCat(" data-prevent-double-click=\"",
                         Str(params, "preventDoubleClick"), "\""),
      common, ">", text, start ? icon : "", "</button>");
}

}  // namespace training::gateway::web
