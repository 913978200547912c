"""Targets stream in: target files and stdin are read a chunk at a time, and the collected list
lives on disk (``core/records.py``), not as Python objects."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.memory import traced_held

from cors_audit.core.models import Target
from cors_audit.core.records import RecordSequence
from cors_audit.inputs import targets as targets_module
from cors_audit.inputs.targets import collect_targets, iter_target_file


class CountingInput(io.StringIO):
    """A text stream that records the size of every read."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.reads: list[int] = []

    def read(self, size: int | None = -1, /) -> str:
        chunk = super().read(size)
        self.reads.append(len(chunk))
        return chunk


@given(st.text(alphabet="ab\n\r", max_size=60), st.lists(st.integers(1, 7), max_size=12))
def test_lines_split_across_chunks_as_the_whole_text_would(text: str, cuts: list[int]) -> None:
    chunks, start = [], 0
    for size in cuts:
        chunks.append(text[start : start + size])
        start += size
    chunks.append(text[start:])
    assert list(targets_module._split_lines(chunks)) == text.split("\n")


def test_stdin_is_read_a_chunk_at_a_time_and_targets_come_before_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [f"https://h{n}.example.com/api/{n}" for n in range(3000)]
    stdin = CountingInput("\ufeff" + "\n".join(lines) + "\n")
    size = 4096
    monkeypatch.setattr(targets_module, "_CHUNK", size)
    found = iter_target_file("-", stdin)
    first = next(found)
    assert first == Target(url=lines[0], source="stdin:1")
    assert len(stdin.reads) == 1  # one chunk read, not the whole input
    rest = list(found)
    assert [t.url for t in rest] == lines[1:]
    assert max(stdin.reads) <= size
    assert rest[-1].source == f"stdin:{len(lines)}"


def test_a_large_target_file_is_collected_onto_disk(tmp_path: Path) -> None:
    count = 40_000
    path = tmp_path / "urls.txt"
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(f"https://h{n % 500}.example.com/api/items/{n}?page={n}\n")
        out.write("https://h0.example.com/api/items/0?page=0\n")  # a duplicate
    collected, held = traced_held(lambda: collect_targets([], [str(path)], [], stdin=io.StringIO()))
    assert isinstance(collected, RecordSequence)
    assert len(collected) == count
    assert collected[0] == Target(
        url="https://h0.example.com/api/items/0?page=0", source=f"{path}:1"
    )
    assert (
        collected[-1].url
        == f"https://h{(count - 1) % 500}.example.com/api/items/{count - 1}?page={count - 1}"
    )
    # What the list costs as objects, for comparison: the same targets, held.
    as_objects, objects = traced_held(lambda: list(collected))
    assert len(as_objects) == count
    assert held < objects / 10, (held, objects)


def test_collected_targets_read_back_equal_to_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text(
        "POST https://a.example.com/x\nhttps://b.example.com/ü\nGET https://a.example.com/x\n",
        encoding="utf-8",
    )
    imported = [Target(url="https://c.example.com/", request_headers=("x-api-key",))]
    collected = collect_targets(
        ["https://a.example.com/x"],
        [str(path)],
        [("https://d.example.com/", "PUT", "https://app.example.com")],
        stdin=io.StringIO(),
        imported=imported,
        site_origin="https://site.example.com",
    )
    site = "https://site.example.com"
    assert list(collected) == [
        Target(url="https://a.example.com/x", site_origin=site),
        Target(url="https://a.example.com/x", method="POST", site_origin=site, source=f"{path}:1"),
        Target(url="https://b.example.com/%C3%BC", site_origin=site, source=f"{path}:2"),
        Target(url="https://c.example.com/", site_origin=site, request_headers=("x-api-key",)),
        Target(
            url="https://d.example.com/",
            method="PUT",
            site_origin="https://app.example.com",
            source="policy",
        ),
    ]
    assert collected.subset([4, 0]) == [collected[4], collected[0]]
