"""``--shard auto``: the shard read from the environment the scan runs in — a Kubernetes
Indexed Job (``JOB_COMPLETION_INDEX``, 0-based, with ``CORS_AUDIT_SHARD_COUNT``), a GitLab
``parallel:`` job (``CI_NODE_INDEX`` / ``CI_NODE_TOTAL``, 1-based), then a plain
``CORS_AUDIT_SHARD=K/N``, in that order; every mistake a usage error naming the variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import assert_clean, invoke

from cors_audit.app.configure import scan_request
from cors_audit.core.errors import PolicyError, UsageError
from cors_audit.inputs.targets import parse_shard, resolve_shard, shard_from_environment

SHARD_VARIABLES = (
    "JOB_COMPLETION_INDEX",
    "CORS_AUDIT_SHARD_COUNT",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "CORS_AUDIT_SHARD",
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No shard variable from the machine running the tests (a CI job may set some)."""
    monkeypatch.chdir(tmp_path)
    for name in SHARD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- each source ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "count", "shard"), [("0", "3", (1, 3)), ("2", "3", (3, 3))])
def test_kubernetes_index_is_zero_based(index: str, count: str, shard: tuple[int, int]) -> None:
    environ = {"JOB_COMPLETION_INDEX": index, "CORS_AUDIT_SHARD_COUNT": count}
    assert shard_from_environment(environ) == shard


@pytest.mark.parametrize(("index", "total"), [("1", "3"), ("3", "3"), ("1", "1")])
def test_gitlab_node_index_is_one_based_like_shard_k(index: str, total: str) -> None:
    environ = {"CI_NODE_INDEX": index, "CI_NODE_TOTAL": total}
    assert shard_from_environment(environ) == parse_shard(f"{index}/{total}")


def test_a_plain_k_of_n_variable() -> None:
    assert shard_from_environment({"CORS_AUDIT_SHARD": " 2/5 "}) == (2, 5)


def test_k_of_n_is_parsed_and_auto_is_read(clean_environment: pytest.MonkeyPatch) -> None:
    environ = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"}
    assert resolve_shard("3/7", environ) == (3, 7)  # the environment plays no part
    assert resolve_shard("auto", environ) == (2, 4)
    assert resolve_shard(" AUTO ", environ) == (2, 4)


# -- precedence ----------------------------------------------------------------------------------


def test_kubernetes_then_gitlab_then_plain() -> None:
    kubernetes = {"JOB_COMPLETION_INDEX": "1", "CORS_AUDIT_SHARD_COUNT": "4"}
    gitlab = {"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "5"}
    plain = {"CORS_AUDIT_SHARD": "1/2"}
    assert shard_from_environment({**plain, **gitlab, **kubernetes}) == (2, 4)
    assert shard_from_environment({**plain, **gitlab}) == (3, 5)
    assert shard_from_environment(plain) == (1, 2)


def test_the_first_source_set_decides_even_when_a_later_one_is_malformed() -> None:
    environ = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2", "CORS_AUDIT_SHARD": "junk"}
    assert shard_from_environment(environ) == (2, 2)


def test_gitlabs_total_alone_is_no_source() -> None:
    # GitLab sets CI_NODE_TOTAL=1 in every job; only a parallel: job has CI_NODE_INDEX.
    assert shard_from_environment({"CI_NODE_TOTAL": "1", "CORS_AUDIT_SHARD": "2/3"}) == (2, 3)


def test_flag_auto_reads_the_plain_variable(clean_environment: pytest.MonkeyPatch) -> None:
    # `--shard auto` on the command line wins over CORS_AUDIT_SHARD, which then holds K/N.
    clean_environment.setenv("CORS_AUDIT_SHARD", "2/3")
    assert scan_request({"shard": "auto"}).shard == (2, 3)


def test_variable_auto_reads_only_kubernetes_and_gitlab(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("CORS_AUDIT_SHARD", "auto")
    with pytest.raises(UsageError, match="found no shard in the environment"):
        scan_request({"shard": "auto"})
    clean_environment.setenv("CI_NODE_INDEX", "1")
    clean_environment.setenv("CI_NODE_TOTAL", "2")
    assert scan_request({"shard": "auto"}).shard == (1, 2)


def test_scan_table_accepts_auto(clean_environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "cors-policy.toml").write_text('[scan]\nshard = "auto"\n', encoding="utf-8")
    clean_environment.setenv("JOB_COMPLETION_INDEX", "0")
    clean_environment.setenv("CORS_AUDIT_SHARD_COUNT", "2")
    assert scan_request({}).shard == (1, 2)


def test_scan_table_still_refuses_a_bad_shard(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "cors-policy.toml").write_text('[scan]\nshard = "automatic"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match='"auto"'):
        scan_request({})


def test_no_shard_without_auto(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("JOB_COMPLETION_INDEX", "1")
    clean_environment.setenv("CORS_AUDIT_SHARD_COUNT", "2")
    assert scan_request({}).shard is None  # the variables alone shard nothing


# -- every error ---------------------------------------------------------------------------------

NONE_SET = (
    "--shard auto found no shard in the environment: set JOB_COMPLETION_INDEX and "
    "CORS_AUDIT_SHARD_COUNT (Kubernetes Indexed Job), CI_NODE_INDEX and CI_NODE_TOTAL "
    "(GitLab parallel:), or CORS_AUDIT_SHARD=K/N"
)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, NONE_SET),
        ({"CORS_AUDIT_SHARD": "auto"}, NONE_SET),
        ({"JOB_COMPLETION_INDEX": " ", "CI_NODE_TOTAL": "1"}, NONE_SET),
        (
            {"JOB_COMPLETION_INDEX": "0"},
            "--shard auto: JOB_COMPLETION_INDEX is set but CORS_AUDIT_SHARD_COUNT is not; "
            "set it to the Job's completions",
        ),
        (
            {"JOB_COMPLETION_INDEX": "3", "CORS_AUDIT_SHARD_COUNT": "3"},
            "--shard auto: JOB_COMPLETION_INDEX=3 must be below CORS_AUDIT_SHARD_COUNT=3 "
            "(it runs from 0 to 2)",
        ),
        (
            {"JOB_COMPLETION_INDEX": "0", "CORS_AUDIT_SHARD_COUNT": "0"},
            "--shard auto: CORS_AUDIT_SHARD_COUNT must be at least 1, not 0",
        ),
        (
            {"JOB_COMPLETION_INDEX": "-1", "CORS_AUDIT_SHARD_COUNT": "3"},
            "--shard auto: JOB_COMPLETION_INDEX must be a whole number, not '-1'",
        ),
        (
            {"JOB_COMPLETION_INDEX": "1", "CORS_AUDIT_SHARD_COUNT": "three"},
            "--shard auto: CORS_AUDIT_SHARD_COUNT must be a whole number, not 'three'",
        ),
        (
            {"CI_NODE_INDEX": "2"},
            "--shard auto: CI_NODE_INDEX is set but CI_NODE_TOTAL is not",
        ),
        (
            {"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "3"},
            "--shard auto: CI_NODE_INDEX=0 must be between 1 and CI_NODE_TOTAL=3",
        ),
        (
            {"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "3"},
            "--shard auto: CI_NODE_INDEX=4 must be between 1 and CI_NODE_TOTAL=3",
        ),
        (
            {"CI_NODE_INDEX": "1.0", "CI_NODE_TOTAL": "3"},
            "--shard auto: CI_NODE_INDEX must be a whole number, not '1.0'",
        ),
        (
            {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "x"},
            "--shard auto: CI_NODE_TOTAL must be a whole number, not 'x'",
        ),
        (
            {"CORS_AUDIT_SHARD": "4/3"},
            "--shard auto: CORS_AUDIT_SHARD must look like K/N with 1 <= K <= N (e.g. 2/5), "
            "not '4/3'",
        ),
        (
            {"CORS_AUDIT_SHARD": "two"},
            "--shard auto: CORS_AUDIT_SHARD must look like K/N with 1 <= K <= N (e.g. 2/5), "
            "not 'two'",
        ),
    ],
)
def test_errors_name_the_variables(environ: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        shard_from_environment(environ)
    assert str(caught.value) == message


def test_a_bad_k_of_n_mentions_auto() -> None:
    with pytest.raises(UsageError, match=r"K/N \(e\.g\. 2/5\) or auto, not 'automatic'"):
        resolve_shard("automatic", {})


@pytest.mark.parametrize("via", ["flag", "variable"])
def test_the_command_exits_2_before_sending(
    clean_environment: pytest.MonkeyPatch, via: str
) -> None:
    args = ["scan", "http://127.0.0.1:9/"]
    if via == "flag":
        args += ["--shard", "auto"]
    else:
        clean_environment.setenv("CORS_AUDIT_SHARD", "auto")
    clean_environment.setenv("JOB_COMPLETION_INDEX", "5")
    clean_environment.setenv("CORS_AUDIT_SHARD_COUNT", "3")
    result = invoke(*args)
    assert_clean(result)
    assert result.exit_code == 2, result.output
    assert "JOB_COMPLETION_INDEX=5 must be below CORS_AUDIT_SHARD_COUNT=3" in result.output


def test_scan_help_documents_auto() -> None:
    result = invoke("scan", "--help", env={"COLUMNS": "300"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name in ("auto", "JOB_COMPLETION_INDEX", "CORS_AUDIT_SHARD_COUNT", "CI_NODE_INDEX"):
        assert name in text
