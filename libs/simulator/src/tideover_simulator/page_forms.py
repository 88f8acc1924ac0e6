"""The borrower's page as a phone browser reads it: the forms of a page (where each posts, its
hidden fields, whether it sits in the option card marked recommended). Read with the standard
library's HTML parser: the page is server-rendered, with no script."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    #: Inside an element marked data-recommended="true" (the recommended option's card).
    recommended: bool = False


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        #: The element marked recommended that is open (its tag), and how many of that tag are
        #: open inside it: only its own end tag closes it.
        self._card: str | None = None
        self._nested = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input":
            if self._form is not None and named.get("type") == "hidden" and named.get("name"):
                self._form.hidden[str(named["name"])] = named.get("value") or ""
        elif tag == "form":
            self._form = Form(str(named.get("action") or ""), recommended=self._card is not None)
            self.forms.append(self._form)
        if tag == self._card:
            self._nested += 1
        elif self._card is None and named.get("data-recommended") == "true":
            self._card, self._nested = tag, 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if tag == self._card:
            if self._nested == 0:
                self._card = None
            else:
                self._nested -= 1


def forms_of(html: str) -> list[Form]:
    """Every form of the page, in order."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.forms


def csrf_of(html: str) -> str | None:
    """The session's form token, as every form of the page carries it."""
    return next((form.hidden["csrf"] for form in forms_of(html) if form.hidden.get("csrf")), None)


def recommended_choice(html: str, action: str) -> tuple[str, str] | None:
    """The offer and option of the recommended card's form posting to `action`, if the page shows one."""
    for form in forms_of(html):
        if form.recommended and form.action == action and "offer_id" in form.hidden and "option_id" in form.hidden:
            return form.hidden["offer_id"], form.hidden["option_id"]
    return None
