"""Phone numbers and names never reach a log line (DESIGN.md §5)."""

from __future__ import annotations

from typing import Any

import pytest

from tideover_runtime.logging import mask_personal_data, mask_phone


class TestMaskPhone:
    def test_e164_number_keeps_first_three_and_last_two_digits(self) -> None:
        # 13 digits: "861" + 8 stars + "00"
        assert mask_phone("+8613800138000") == "861********00"

    def test_cn_mobile_number_keeps_first_three_and_last_two_digits(self) -> None:
        # 11 digits: "138" + 6 stars + "00"
        assert mask_phone("13800138000") == "138******00"

    def test_numbers_inside_a_sentence_are_masked(self) -> None:
        assert mask_phone("gateway refused 13800138000, retrying +8613900139000") == (
            "gateway refused 138******00, retrying 861********00"
        )

    def test_a_number_after_a_key_and_equals_sign_is_masked(self) -> None:
        assert mask_phone("phone=13800138000") == "phone=138******00"

    @pytest.mark.parametrize(
        "text",
        [
            "2026-03-16T01:30:00Z",
            "2026-03-16T01:30:00.123456+00:00",
            "0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11",
            "123e4567-e89b-12d3-a456-426614174000",  # last group is 12 digits
            "1045.00",
            "12345678901.50",  # 11 integer digits, but an amount
            "0.12345678901",
            "CNY 1234567890.12",
            "PAY-2026-000001",
        ],
    )
    def test_timestamps_uuids_and_amounts_are_untouched(self, text: str) -> None:
        assert mask_phone(text) == text

    def test_short_numbers_are_untouched(self) -> None:
        assert mask_phone("sequence 3 of 123456789") == "sequence 3 of 123456789"

    @pytest.mark.parametrize("text", ["请拨打13800138000联系", "tel:13800138000"])
    def test_a_number_next_to_chinese_text_or_after_tel_is_masked(self, text: str) -> None:
        assert "13800138000" not in mask_phone(text)


class TestMaskPersonalData:
    def test_sensitive_keys_are_replaced(self) -> None:
        event: dict[str, Any] = {"event": "notice queued", "name": "张伟", "phone": "+8613800138000", "body": "您的贷款已逾期3天"}

        masked = mask_personal_data(None, "info", event)

        assert masked == {"event": "notice queued", "name": "***", "phone": "***", "body": "***"}

    def test_other_keys_are_kept_but_phone_numbers_in_them_are_masked(self) -> None:
        event: dict[str, Any] = {
            "event": "sms to 13800138000 failed",
            "loan_id": "0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11",
            "amount": "1045.00",
            "occurred_at": "2026-03-16T01:30:00Z",
            "attempts": 2,
        }

        masked = mask_personal_data(None, "info", event)

        assert masked == {
            "event": "sms to 138******00 failed",
            "loan_id": "0b5c1a2e-7d43-4c1e-9a53-3f6e2d1c0a11",
            "amount": "1045.00",
            "occurred_at": "2026-03-16T01:30:00Z",
            "attempts": 2,
        }

    def test_nested_dicts_and_lists_are_masked(self) -> None:
        event: dict[str, Any] = {
            "event": "loan booked",
            "borrower": {"borrower_id": "B-000123", "name": "张伟", "phone": "+8613800138000", "email": "a@example.com"},
            "numbers": ["13800138000", "B-000123"],
        }

        masked = mask_personal_data(None, "info", event)

        assert masked["borrower"] == {"borrower_id": "B-000123", "name": "***", "phone": "***", "email": "***"}
        assert masked["numbers"] == ["138******00", "B-000123"]
