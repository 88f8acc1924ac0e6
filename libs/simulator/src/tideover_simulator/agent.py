"""The scripted agent: takes a borrower through the intake API as a person at the console would,
one step a working day — file the hardship application with its proof, take the recommended
option, have a supervisor approve a waiver beyond the agent's authority, send the written plan;
the borrower then confirms with the code the reference gateway delivered to their phone.

A borrower who asked for help on their own page (tideover_simulator.page_borrower) files and
chooses there: the agent finds the application from the page among the loan's, verifies its
proof and submits it, and a supervisor approves what needs approving, as for the agent's own.

Every change carries an Idempotency-Key named after its step (and the offer or code it is about),
so that a call cut by a restarting service can be sent again (tideover_simulator.clients)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from tideover_simulator.book import Borrower
from tideover_simulator.phones import Phones
from tideover_testkit.journeys import PROOF_PDF

#: States in which nothing more happens to the application. Not "accepted": plan-calculation
#: may find the loan changed since the offer and quote again, and the agent takes it from there.
FINISHED = frozenset({"declined", "expired", "withdrawn", "rejected"})
#: Who made an application on the borrower's page (intake's application/borrower_help.py).
BORROWER_PAGE = "borrower-page"


@dataclass
class Case:
    borrower: Borrower
    application_id: str | None = None
    state: str = "none"
    #: The borrower asks for help on their own page, not through the agent.
    on_page: bool = False
    #: The application's last offer as the agent last read it (the page borrower's choice
    #: falls back on its recommended option when the page shows no card).
    offer: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class Agent:
    """`agent` and `supervisor`: httpx clients on the intake API carrying their keys; `borrower`:
    one without a key, for the borrower's own confirmation; `phones`: the text messages the
    reference gateway delivered."""

    def __init__(
        self, agent: httpx.AsyncClient, supervisor: httpx.AsyncClient, borrower: httpx.AsyncClient, phones: Phones
    ) -> None:
        self._agent, self._supervisor, self._borrower = agent, supervisor, borrower
        self._phones = phones

    async def work(self, case: Case) -> None:
        """One step of the case, if its application is where a step can be taken."""
        if case.application_id is None:
            if not case.on_page:
                await self._file(case)
            elif case.state == "applied":  # made on the page: it is in the agents' queue now
                await self._take_from_page(case)
            return
        path = f"/v1/applications/{case.application_id}"
        application = await self._ok(await self._agent.get(path))
        case.state = application["state"]
        if not application["offers"]:
            return
        offer = application["offers"][-1]  # a re-quote adds one: each step is taken once per offer
        case.offer = offer
        step = _keys(f"{case.application_id}-{offer['offer_id']}")
        if case.state == "offered" and not case.on_page:
            chosen = {"offer_id": offer["offer_id"], "option_id": offer["recommended_option_id"]}
            case.state = (await self._ok(await self._agent.post(f"{path}/choice", json=chosen, headers=step("choice"))))["state"]
        if case.state == "awaiting_approval":
            approval = {"approved": True, "note": "Hardship proven; the waiver keeps the plan affordable"}
            approved = await self._supervisor.post(f"{path}/approval", json=approval, headers=step("approval"))
            case.state = (await self._ok(approved))["state"]
        if case.state == "chosen" and not case.on_page:  # the page sends the written plan itself
            case.state = (await self._ok(await self._agent.post(f"{path}/sending", headers=step("sending"))))["state"]

    async def confirm(self, case: Case) -> None:
        """The borrower enters the code of the written plan on the confirmation page."""
        if case.state == "sent" and (code := self._code_for(case)):
            body = {"application_id": case.application_id, "code": code}
            key = _keys(f"{case.application_id}-{code}")("confirm")
            case.state = (await self._ok(await self._borrower.post("/v1/borrower/confirmations", json=body, headers=key)))[
                "state"
            ]

    def _code_for(self, case: Case) -> str | None:
        return self._phones.written_plan_code(case.borrower.loan_id)

    async def _take_from_page(self, case: Case) -> None:
        """The loan's application from the borrower's page, once the borrower made it: its proof
        verified and the application submitted, as the agent does with their own."""
        loan = await self._ok(await self._agent.get(f"/v1/loans/{case.borrower.loan_id}"))
        made = [a for a in loan["applications"] if a["agent_id"] == BORROWER_PAGE and a["state"] not in FINISHED]
        if not made:
            return
        case.application_id = made[-1]["application_id"]
        path = f"/v1/applications/{case.application_id}"
        application = await self._ok(await self._agent.get(path))
        case.state = application["state"]
        step = _keys(str(case.application_id))
        review = {"verified": True, "note": "Certificate from the labour bureau, sent from the borrower's page"}
        for document in (d for d in application["evidence"] if d["status"] == "pending"):
            reviewing = f"{path}/evidence/{document['document_id']}/review"
            await self._ok(await self._agent.post(reviewing, json=review, headers=step(f"review-{document['document_id']}")))
        if case.state == "draft":
            case.state = (await self._ok(await self._agent.post(f"{path}/submit", headers=step("submit"))))["state"]

    async def _file(self, case: Case) -> None:
        borrower = case.borrower
        body = {
            "loan_id": str(borrower.loan_id),
            "hardship": {
                "reason": "unemployment",
                "description": "Lost the job; looking for work (simulated borrower).",
                "monthly_income": _cny(borrower.monthly_income),
                "essential_expenses": _cny(borrower.essential_expenses),
            },
            "requested_options": ["term_extension", "arrears_installments"],
        }
        created = await self._ok(
            await self._agent.post("/v1/applications", json=body, headers=_keys(str(borrower.loan_id))("open"))
        )
        path = f"/v1/applications/{created['application_id']}"
        step = _keys(created["application_id"])
        uploaded = await self._ok(
            await self._agent.post(
                f"{path}/evidence",
                data={"kind": "unemployment_proof"},
                files={"file": ("certificate.pdf", PROOF_PDF, "application/pdf")},
                headers=step("evidence"),
            )
        )
        review = {"verified": True, "note": "Certificate from the labour bureau"}
        await self._ok(
            await self._agent.post(f"{path}/evidence/{uploaded['document_id']}/review", json=review, headers=step("review"))
        )
        case.application_id = created["application_id"]
        case.state = (await self._ok(await self._agent.post(f"{path}/submit", headers=step("submit"))))["state"]

    @staticmethod
    async def _ok(response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise RuntimeError(f"intake refused {response.request.method} {response.request.url.path}: {response.text}")
        return dict(response.json())


def _keys(subject: str) -> Callable[[str], dict[str, str]]:
    """The Idempotency-Key header of each step about `subject`."""
    return lambda step: {"Idempotency-Key": f"sim-{step}-{subject}"}


def _cny(amount: Decimal) -> dict[str, str]:
    return {"amount": str(amount), "currency": "CNY"}
