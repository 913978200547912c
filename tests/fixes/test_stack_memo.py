"""`detect_stack` judges each distinct reply once and remembers its guess per set of distinct
replies (issue 18, "nearer the wire"): neither may change a guess. Checked on the replies of
every recorded convention fixture against the guess made from every reply, one by one."""

from __future__ import annotations

import pytest
from support import stack_servers as ss

from cors_audit.app.scan import ScanOptions, scan
from cors_audit.core.models import Exchange, Target
from cors_audit.fixes import stack
from cors_audit.sending.engine import EngineOptions

SITE_ORIGIN = "https://api.example.com"


def exchanges_of(name: str, config: ss.Config) -> tuple[Exchange, ...]:
    with ss.serve_convention(ss.FIXTURES[name](config)) as base:
        target = Target(base + ss.API_PATH, "PATCH", SITE_ORIGIN)
        options = ScanOptions(
            engine=EngineOptions(timeout=5, retries=0), label="m3mo", keep_exchanges=True
        )
        (result,) = scan([target], None, options)
    assert result.error is None, result.error
    return result.exchanges


def every_reply(exchanges: tuple[Exchange, ...]) -> stack.StackGuess:
    """The guess from every reply, duplicates and all, without the memo."""
    return stack._guess([stack._Reply(e, e.response) for e in exchanges if e.response])


@pytest.mark.parametrize("name", sorted(ss.FIXTURES))
def test_distinct_replies_and_the_memo_give_the_same_guess(name: str) -> None:
    exchanges = exchanges_of(name, ss.Config())
    guess = detect_stack_fresh(exchanges)
    assert guess == every_reply(exchanges)
    # Asked again (remembered), and with every reply twice: the same guess.
    assert stack.detect_stack(exchanges) == guess
    assert stack.detect_stack(exchanges + exchanges) == guess
    assert len(stack._distinct(exchanges + exchanges)) < len(exchanges + exchanges)


def detect_stack_fresh(exchanges: tuple[Exchange, ...]) -> stack.StackGuess:
    stack._guesses.clear()
    return stack.detect_stack(exchanges)


def test_the_memo_is_bounded() -> None:
    stack._guesses.clear()
    stack._guesses.update({((),) * (i + 1): stack.UNKNOWN for i in range(stack.GUESS_MEMO)})  # type: ignore[dict-item]
    stack.detect_stack(())
    assert len(stack._guesses) == 1
