"""The borrowers who ask for help on their own page: who they are (a share of those who apply,
the same for a seed), what their phones read from the texts the gateway delivered (the link and
the codes, in English and in Chinese), and their steps on the page as a phone's browser takes
them, against a page that answers as intake's does (routes, forms, redirects)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from tideover_contracts.common import Channel, Jurisdiction, Language, Locale
from tideover_contracts.events.notifications import NotificationRequested, Purpose
from tideover_simulator import page_borrower
from tideover_simulator.agent import Case
from tideover_simulator.book import loan_book
from tideover_simulator.caseload import asks_on_page
from tideover_simulator.page_borrower import PageBorrower, phone_address
from tideover_simulator.page_forms import csrf_of, recommended_choice
from tideover_simulator.phones import Phones, code_in, link_token_in

FIRST_DAY = date(2026, 1, 5)
TOKEN = "AQbC1234567890_-xYz9876543210aBcDeFgHiJk"  # 40 URL-safe characters, digits inside
OTHER_TOKEN = "Zz" * 20
LINK = f"http://127.0.0.1:8103/b/{TOKEN}"


def test_the_page_share_is_a_draw_per_loan_the_same_for_a_seed() -> None:
    book = loan_book(7, 2000, FIRST_DAY)
    appliers = [borrower for borrower in book if borrower.applies]

    on_page = [asks_on_page(7, borrower.loan_id, 0.3) for borrower in appliers]

    assert on_page == [asks_on_page(7, borrower.loan_id, 0.3) for borrower in loan_book(7, 2000, FIRST_DAY) if borrower.applies]
    assert 0.2 * len(appliers) < sum(on_page) < 0.4 * len(appliers)
    assert on_page != [asks_on_page(8, borrower.loan_id, 0.3) for borrower in appliers]
    assert not any(asks_on_page(7, borrower.loan_id, 0.0) for borrower in appliers)
    assert all(asks_on_page(7, borrower.loan_id, 1.0) for borrower in appliers)
    # A larger share keeps every borrower a smaller one sent to the page.
    assert all(asks_on_page(7, b.loan_id, 0.5) for b in appliers if asks_on_page(7, b.loan_id, 0.3))


@pytest.mark.parametrize(
    "text",
    [
        f"Tideover: your loan payment is 6 days overdue.\nDifficulty paying? See your options at {LINK} or contact us.",
        f"【Tideover】您的贷款已逾期6天。\n请尽快还款；如还款有困难，可在 {LINK} 查看贷款、申请还款方案，或联系我们。",
        f"【Tideover】您的貸款已逾期6天。請儘快還款；如還款有困難，可在 {LINK}。",
        f"See {LINK}, or call us.",
    ],
)
def test_the_link_is_read_from_the_notice_in_every_language(text: str) -> None:
    assert link_token_in(text) == TOKEN


def test_a_text_without_a_whole_link_has_none() -> None:
    assert link_token_in("Tideover: your payment of ¥100.00 is due on 5 February.") is None
    assert link_token_in(f"http://127.0.0.1:8103/b/{TOKEN[:30]}") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "Tideover: your code to confirm your application for help on your loan page is 048213, valid 10 minutes.",
            "048213",
        ),
        ("【Tideover】您在贷款页面提交还款困难申请的验证码为048213，10分钟内有效。请勿告诉他人。", "048213"),
        ("【Tideover】您在貸款頁面所做的變更的驗證碼為731906，10分鐘內有效。", "731906"),
        # The written plan states its code before the link, whose token may hold six digits too.
        (f"【Tideover】您的还款方案：确认请向客服提供验证码552019，或打开 {LINK} 输入，48小时内有效。", "552019"),
        (f"Tideover repayment plan. To accept it, give code 552019 to our agent or enter it at {LINK}.", "552019"),
    ],
)
def test_the_code_is_read_from_the_text_in_every_language(text: str, code: str) -> None:
    assert code_in(text) == code


def sms(loan_id: uuid.UUID, purpose: Purpose, body: str, language: Language = Language.ZH_HANS) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid.uuid4(),
        loan_id=loan_id,
        borrower_id="SIM-CN-000001",
        channel=Channel.SMS,
        address="+8613900000001",
        purpose=purpose,
        locale=Locale.ZH_CN,
        language=language,
        jurisdiction=Jurisdiction.CN,
        body=body,
        template=f"{purpose.value}/sms.zh-CN@1",
        expires_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_the_phone_keeps_the_last_link_and_each_purpose_s_last_code() -> None:
    phones, loan_id = Phones(), uuid.uuid4()

    phones.deliver(sms(loan_id, Purpose.OVERDUE_NOTICE, f"可在 {LINK} 查看"))
    phones.deliver(sms(loan_id, Purpose.CHANGE_CODE, "验证码为048213，10分钟内有效"))
    phones.deliver(sms(loan_id, Purpose.WRITTEN_PLAN, f"验证码552019，或打开 http://x/b/{OTHER_TOKEN} 输入"))

    assert phones.link(loan_id) == OTHER_TOKEN  # the written plan's link is the newer one
    assert (phones.change_code(loan_id), phones.written_plan_code(loan_id)) == ("048213", "552019")
    phones.forget_change_code(loan_id)
    phones.forget_link(TOKEN, loan_id)  # not the last one: kept
    assert (phones.change_code(loan_id), phones.link(loan_id)) == (None, OTHER_TOKEN)
    phones.forget_link(OTHER_TOKEN, loan_id)
    assert phones.link(loan_id) is None
    assert phones.link(uuid.uuid4()) is None


OPTIONS_PAGE = """<!DOCTYPE html><html lang="zh-CN"><body>
<form method="post" action="/b/language"><input type="hidden" name="csrf" value="tok-1">
  <input type="hidden" name="back" value="my_options"></form>
<main><div class="options">
<article class="card option" data-option-id="term_extension" data-recommended="false"><h2>Longer</h2>
  <p class="badges"><span class="ok">Affordable</span></p><dl><dt>a<dd>b</dl><br>
  <form method="post" action="/b/options/choose"><input type="hidden" name="csrf" value="tok-1">
    <input type="hidden" name="offer_id" value="offer-9"><input type="hidden" name="option_id" value="term_extension">
    <button>Choose</button></form>
</article>
<article class="card option recommended" data-option-id="arrears_installments" data-recommended="true"><h2>Arrears</h2>
  <p class="why"><strong>Why</strong>: it fits<p>
  <svg><rect x="1"></rect><rect x="2"/></svg>
  <details><summary>Months</summary><ol><li><p>1</p></li></ol></details>
  <form method="post" action="/b/options/choose"><input type="hidden" name="csrf" value="tok-1">
    <input type="hidden" name="offer_id" value="offer-9"><input type="hidden" name="option_id" value="arrears_installments">
    <button>Choose</button></form>
</article>
</div></main></body></html>"""


def test_the_form_token_and_the_recommended_card_are_read_from_the_page() -> None:
    assert csrf_of(OPTIONS_PAGE) == "tok-1"
    assert recommended_choice(OPTIONS_PAGE, "/b/options/choose") == ("offer-9", "arrears_installments")
    assert recommended_choice(OPTIONS_PAGE.replace('data-recommended="true"', ""), "/b/options/choose") is None
    assert csrf_of("<html><body><p>Session ended</p></body></html>") is None


class FakePage:
    """intake's borrower page as the simulator meets it: the link opens a session (a cookie), each
    form posts with the session's token, a change sends a code to the phone, and each redirect
    says what was done. `broken`: paths answered with a 500."""

    def __init__(self, phones: Phones, loan_id: uuid.UUID, with_options_page: bool = True) -> None:
        self.phones, self.loan_id, self.with_options_page = phones, loan_id, with_options_page
        self.broken: set[str] = set()
        self.posted: list[tuple[str, dict[str, list[str]]]] = []
        self.addresses: set[str] = set()
        self.codes: dict[str, str] = {}
        #: The section whose change waits for its code, and the change its code form names.
        self.waiting: dict[str, str] = {}
        #: The option chosen needs a supervisor's approval before its written plan is sent.
        self.needs_supervisor = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.addresses.add(request.headers.get("x-forwarded-for", ""))
        if path in self.broken:
            return httpx.Response(500)
        if request.method == "GET" and path == f"/b/{TOKEN}":
            return httpx.Response(303, headers={"location": "/b/", "set-cookie": "tideover_borrower=s1; Path=/; HttpOnly"})
        if request.method == "GET" and path.startswith("/b/") and path.count("/") == 2 and len(path) > 10:
            return httpx.Response(404, text="<p>This link cannot be opened</p>")
        if request.headers.get("cookie") != "tideover_borrower=s1":
            return httpx.Response(403, text="<p>session ended</p>")
        if request.method == "GET":
            return self._page(path)
        return self._post(path, request)

    def _page(self, path: str) -> httpx.Response:
        if path in self.waiting:  # the code form, naming the change it confirms
            form = (
                f'<form action="{path}/code"><input type="hidden" name="csrf" value="tok-1">'
                f'<input type="hidden" name="change" value="{self.waiting[path]}"></form>'
            )
            return httpx.Response(200, text=form)
        if path == "/b/options":
            return httpx.Response(200, text=OPTIONS_PAGE) if self.with_options_page else httpx.Response(404)
        if path == "/b/plan":
            form = (
                '<form action="/b/plan/confirmation"><input type="hidden" name="csrf" value="tok-1">'
                '<input type="hidden" name="once" value="k1"></form>'
            )
            return httpx.Response(200, text=form)
        return httpx.Response(200, text='<form action="/b/leave"><input type="hidden" name="csrf" value="tok-1"></form>')

    def _post(self, path: str, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if path == "/b/help":
            assert b'name="files"; filename="certificate.pdf"' in body
            fields = {"multipart": [body.decode("latin-1")]}
        else:
            fields = parse_qs(body.decode())
            assert fields["csrf"] == ["tok-1"]
        self.posted.append((path, fields))
        if path in ("/b/help", "/b/options/choose"):
            self.codes[path] = code = f"{len(self.posted):06d}"
            self.phones.deliver(sms(self.loan_id, Purpose.CHANGE_CODE, f"【Tideover】验证码为{code}，10分钟内有效。"))
            self.waiting[path.replace("/choose", "")] = f"change-{len(self.posted)}"
            return httpx.Response(303, headers={"location": f"{path.replace('/choose', '')}?done=code_sent"})
        if path.endswith("/code"):
            return self._code(path, fields)
        if path == "/b/plan/confirmation" and fields["code"] == ["777123"] and fields["once"] == ["k1"]:
            return httpx.Response(303, headers={"location": "/b/plan?done=confirmed"})
        return httpx.Response(422, text="<p>refused</p>")

    def _code(self, path: str, fields: dict[str, list[str]]) -> httpx.Response:
        """A change code entered: refused unless the form names the change that waits for it."""
        if fields.get("change") != [self.waiting.pop(path.removesuffix("/code"), None)]:
            return httpx.Response(422, text="<p>refused</p>")
        if path == "/b/help/code" and fields["code"] == [self.codes["/b/help"]]:
            return httpx.Response(303, headers={"location": "/b/help?done=applied"})
        if path == "/b/options/code" and fields["code"] == [self.codes["/b/options/choose"]] and self.needs_supervisor:
            return httpx.Response(303, headers={"location": "/b/options?done=awaiting_approval"})
        if path == "/b/options/code" and fields["code"] == [self.codes["/b/options/choose"]]:
            self.phones.deliver(sms(self.loan_id, Purpose.WRITTEN_PLAN, f"【Tideover】验证码777123，或打开 {LINK} 输入"))
            return httpx.Response(303, headers={"location": "/b/plan?done=plan_sent"})
        return httpx.Response(422, text="<p>refused</p>")


@pytest.fixture
def phones() -> Phones:
    return Phones()


def on_fake_page(monkeypatch: pytest.MonkeyPatch, page: FakePage) -> None:
    def browser(base_url: str, _: list[str], headers: dict[str, str]) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url, headers=headers, transport=httpx.MockTransport(page))

    monkeypatch.setattr(page_borrower, "page_client", browser)


async def test_a_page_borrower_asks_for_help_chooses_the_recommended_option_and_confirms_the_plan(
    monkeypatch: pytest.MonkeyPatch, phones: Phones
) -> None:
    case = Case(loan_book(7, 1, FIRST_DAY)[0], on_page=True)
    loan_id = case.borrower.loan_id
    page = FakePage(phones, loan_id)
    on_fake_page(monkeypatch, page)
    not_taken: Counter[str] = Counter()
    borrower = PageBorrower("http://intake", phones, [], not_taken)
    phones.deliver(sms(loan_id, Purpose.OVERDUE_NOTICE, f"【Tideover】您的贷款已逾期6天。可在 {LINK} 查看贷款。"))

    await borrower.act(case)
    assert borrower.waiting
    await borrower.enter_code(case)
    assert (case.state, borrower.waiting) == ("applied", False)
    help_form = page.posted[0][1]["multipart"][0]
    for field, value in (("reason", "unemployment"), ("monthly_income", str(case.borrower.monthly_income))):
        assert f'name="{field}"\r\n\r\n{value}\r\n' in help_form
    assert 'name="csrf"\r\n\r\ntok-1\r\n' in help_form

    case.application_id, case.state = "application-1", "offered"  # the agent submitted it; the offer came
    await borrower.act(case)
    await borrower.enter_code(case)
    chosen = {"csrf": ["tok-1"], "offer_id": ["offer-9"], "option_id": ["arrears_installments"]}
    assert page.posted[2] == ("/b/options/choose", chosen)
    assert case.state == "sent"

    await borrower.confirm(case)
    assert case.state == "accepted"
    steps = ["/b/help", "/b/help/code", "/b/options/choose", "/b/options/code", "/b/plan/confirmation"]
    assert [path for path, _ in page.posted] == steps
    assert page.addresses == {phone_address(loan_id)}
    assert not_taken == Counter()


async def test_without_the_options_page_the_borrower_takes_the_offer_s_recommended_option(
    monkeypatch: pytest.MonkeyPatch, phones: Phones
) -> None:
    case = Case(loan_book(7, 1, FIRST_DAY)[0], on_page=True, application_id="application-1", state="offered")
    case.offer = {"offer_id": "offer-3", "recommended_option_id": "term_extension"}
    page = FakePage(phones, case.borrower.loan_id, with_options_page=False)
    on_fake_page(monkeypatch, page)
    phones.deliver(sms(case.borrower.loan_id, Purpose.OVERDUE_NOTICE, f"可在 {LINK} 查看"))

    await PageBorrower("http://intake", phones, [], Counter()).act(case)

    assert page.posted == [("/b/options/choose", {"csrf": ["tok-1"], "offer_id": ["offer-3"], "option_id": ["term_extension"]})]


async def test_a_step_the_page_did_not_take_is_left_for_the_next_day(monkeypatch: pytest.MonkeyPatch, phones: Phones) -> None:
    case = Case(loan_book(7, 1, FIRST_DAY)[0], on_page=True)
    page = FakePage(phones, case.borrower.loan_id)
    page.broken.add("/b/help")
    on_fake_page(monkeypatch, page)
    not_taken: Counter[str] = Counter()
    borrower = PageBorrower("http://intake", phones, [], not_taken)
    phones.deliver(sms(case.borrower.loan_id, Purpose.OVERDUE_NOTICE, f"可在 {LINK} 查看"))

    await borrower.act(case)

    assert (case.state, borrower.waiting, not_taken) == ("none", False, Counter({"/b/help: 500": 1}))
    page.broken.clear()  # the next day
    await borrower.act(case)
    await borrower.enter_code(case)
    assert case.state == "applied"


async def test_a_refused_link_is_forgotten_until_a_text_brings_another(monkeypatch: pytest.MonkeyPatch, phones: Phones) -> None:
    case = Case(loan_book(7, 1, FIRST_DAY)[0], on_page=True)
    loan_id = case.borrower.loan_id
    on_fake_page(monkeypatch, FakePage(phones, loan_id))
    not_taken: Counter[str] = Counter()
    borrower = PageBorrower("http://intake", phones, [], not_taken)
    phones.deliver(sms(loan_id, Purpose.OVERDUE_NOTICE, f"可在 http://127.0.0.1:8103/b/{OTHER_TOKEN} 查看"))  # expired

    await borrower.act(case)

    assert (case.state, borrower.has_link(loan_id)) == ("none", False)
    assert not_taken == Counter({"link not opened: 404": 1})


async def test_a_choice_a_supervisor_must_approve_waits_for_the_written_plan(
    monkeypatch: pytest.MonkeyPatch, phones: Phones
) -> None:
    case = Case(loan_book(7, 1, FIRST_DAY)[0], on_page=True, application_id="application-1", state="offered")
    page = FakePage(phones, case.borrower.loan_id)
    page.needs_supervisor = True
    on_fake_page(monkeypatch, page)
    borrower = PageBorrower("http://intake", phones, [], Counter())
    phones.deliver(sms(case.borrower.loan_id, Purpose.OVERDUE_NOTICE, f"可在 {LINK} 查看"))

    await borrower.act(case)
    await borrower.enter_code(case)
    await borrower.confirm(case)  # no written plan yet: nothing to confirm

    assert case.state == "awaiting_approval"  # the agent's supervisor approves it (agent.py)
    assert [path for path, _ in page.posted] == ["/b/options/choose", "/b/options/code"]
