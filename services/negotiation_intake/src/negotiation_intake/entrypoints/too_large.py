"""The door's 413 on the pages (issue 21, security review): a body declared over the limit on the
borrower's page (/b/...) or the agents' console (/console/...) is answered, still unread, with a
page in that page's own style and the browser's language (Content-Type text/html, the pages'
Content-Security-Policy), not the API's problem+json a browser would show as raw text. Elsewhere
the door answers problem+json as before. A body streamed past the limit without a declared length
is answered by each page's own handler of the 413 it raises (borrower_page/__init__.py,
console/rendering.py)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from negotiation_intake.entrypoints.borrower_page.i18n import Words as BorrowerWords
from negotiation_intake.entrypoints.borrower_page.i18n import accepted_language
from negotiation_intake.entrypoints.borrower_page.state import PREFIX as BORROWER_PREFIX
from negotiation_intake.entrypoints.borrower_page.state import render as render_borrower
from negotiation_intake.entrypoints.console import CONSOLE_POLICY
from negotiation_intake.entrypoints.console.i18n import LANGUAGES as CONSOLE_LANGUAGES
from negotiation_intake.entrypoints.console.i18n import Words as ConsoleWords
from negotiation_intake.entrypoints.console.rendering import PREFIX as CONSOLE_PREFIX
from negotiation_intake.entrypoints.console.rendering import TEMPLATES as CONSOLE_TEMPLATES

STATUS = 413


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def page_too_large(request: Request, _limit: int) -> Response | None:
    """The page answering a body over the limit on the borrower's page or the console; None
    elsewhere (the door's problem+json)."""
    path = request.url.path
    language = request.headers.get("accept-language")
    if _under(path, BORROWER_PREFIX):
        words_of_page = BorrowerWords(accepted_language(language) or "")
        response: Response = render_borrower(request, "message.html", words_of_page, STATUS, message="too_large")
    elif _under(path, CONSOLE_PREFIX):
        words = ConsoleWords(_console_language(language))
        html = CONSOLE_TEMPLATES.get_template("error.html").render(
            t=words, lang=words.language, base=CONSOLE_PREFIX, agent=None, csrf="", here="/", message="error_too_large"
        )
        response = HTMLResponse(html, status_code=STATUS, headers={"Cache-Control": "no-store"})
    else:
        return None
    response.headers["Content-Security-Policy"] = CONSOLE_POLICY  # both pages' policy, as their apps set it
    return response


def _console_language(header: str | None) -> str:
    """The console's language the browser asks for first (zh-CN for any Chinese), else English:
    no session has been looked up (the console keeps its language there)."""
    for tag in (header or "").split(","):
        name = tag.split(";", 1)[0].strip().lower()
        if name.startswith("zh"):
            return "zh-CN"
        if name.startswith("en"):
            return "en"
    return CONSOLE_LANGUAGES[-1]
