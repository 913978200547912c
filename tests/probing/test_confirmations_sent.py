"""`_confirmations` given the keys of the probes already sent leaves those out before making
them (issue 18): the same probes, in the same order, as making them all and dropping the sent
ones, whatever the server answers and however far the plan got."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from support.rule_builders import LABEL, SITE, policy, respond

from cors_audit.core.models import Exchange, Headers, Probe, Target
from cors_audit.probing.origins import probe_origins
from cors_audit.probing.planner import _confirmations, plan_initial, plan_next

ANSWERS = st.sampled_from(["none", "*", "echo", "echo-credentials"])


def _key(probe: Probe) -> tuple[str | None, object, str]:
    return (probe.origin.value if probe.origin else None, probe.kind, probe.purpose)


@settings(max_examples=40)
@given(ANSWERS, ANSWERS, st.sampled_from(["GET", "PUT"]), st.booleans())
def test_leaving_sent_probes_out_early_changes_nothing(
    actual: str, preflight: str, method: str, credentialed: bool
) -> None:
    def server(probe: Probe) -> tuple[int, Headers]:
        answer = preflight if probe.is_preflight else actual
        origin = probe.origin.value if probe.origin else "null"
        lines: dict[str, Headers] = {
            "none": (),
            "*": (("Access-Control-Allow-Origin", "*"),),
            "echo": (("Access-Control-Allow-Origin", origin),),
            "echo-credentials": (
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            ),
        }
        extra: Headers = (
            (
                ("Access-Control-Allow-Methods", method),
                ("Access-Control-Allow-Private-Network", "true"),
            )
            if probe.is_preflight
            else ()
        )
        return 200, lines[answer] + extra

    pol = policy()
    target = Target(url="https://api.example.com/items", method=method, site_origin=SITE)
    origins = probe_origins(SITE, pol, LABEL)
    exchanges: list[Exchange] = [
        respond(p, server)
        for p in plan_initial(target, pol, origins, LABEL, credentialed=credentialed)
    ]
    while True:
        sent = {_key(e.probe) for e in exchanges}
        made = _confirmations(target, pol, origins, exchanges, credentialed)
        early = _confirmations(target, pol, origins, exchanges, credentialed, sent)
        assert early == tuple(p for p in made if _key(p) not in sent)
        more, _ = plan_next(target, pol, LABEL, exchanges, credentialed=credentialed)
        if not more:
            break
        exchanges += [respond(p, server) for p in more]
