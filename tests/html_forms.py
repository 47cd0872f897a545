"""What a browser would post for a form of a page: its own fields and those joined to it with
the `form` attribute, each with the value the page shows."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self.select, self.first_option, self.textarea = None, None, None

    def _ours(self, attrs: dict) -> bool:
        return attrs.get("form") == self.form_id or (self.inside and "form" not in attrs)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        elif tag == "input" and self._ours(attrs) and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind not in ("submit", "button", "file") and (
                kind not in ("checkbox", "radio") or "checked" in attrs
            ):
                self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "select" and self._ours(attrs):
            self.select, self.first_option = attrs.get("name"), None
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            self.first_option = value if self.first_option is None else self.first_option
            if "selected" in attrs:
                self.fields[self.select] = value
        elif tag == "textarea" and self._ours(attrs):
            self.textarea = attrs.get("name")
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            self.fields.setdefault(self.select, self.first_option or "")
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            # a textarea's first newline belongs to the markup, not to the value
            self.fields[self.textarea] += (
                data.removeprefix("\n") if not self.fields[self.textarea] else data
            )


def form_fields(page: str, form_id: str) -> dict:
    reader = _FormReader(form_id)
    reader.feed(page)
    assert reader.fields, f"no form {form_id} on the page"
    return reader.fields
