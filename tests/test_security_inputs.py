"""Issue 19, items 2 and 3: hostile uploads (alias bombs, deep nesting) are refused fast with a
bounded message, never a 500; a report names no file outside its own folder (CLI) and none at
all when uploaded; evidence copies and the key database are private. The graph is unchanged
after each attack (canonical dump)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from graph_fixture import load_reports
from helpers import SEED
from neo4j import Driver
from security_helpers import CONFIDENTIAL, key, make_app, make_keys

from core.dump import canonical_dump
from core.settings import Settings
from ingest.evidence import keep_copy, sha256_hex
from ingest.pipeline import ingest_paths

SEED_REPORT = Path(__file__).resolve().parent.parent / "reports" / "seed-open-letter.yaml"


def alias_bomb(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


HOSTILE_UPLOADS = {
    "alias bomb": ("bomb.yaml", alias_bomb(), "yaml-aliases"),
    "merge-key bomb": (
        "merge.yaml",
        b"a: &a {x: 1}\n"
        + b"".join(f"b{i}: &b{i} [*a, *a, *a, *a, *a, *a, *a, *a]\n".encode() for i in range(1))
        + b"c: ["
        + b", ".join(b"*b0" for _ in range(2000))
        + b"]\n",
        "yaml-aliases",
    ),
    "deep yaml flow": ("deep.yaml", b"[" * 100_000 + b"]" * 100_000, "too-deep"),
    "deep yaml blocks": (
        "blocks.yaml",
        b"a:\n" + b"".join(b" " * (i + 1) + b"a:\n" for i in range(3000)),
        "too-deep",
    ),
    "deep json": ("deep.json", b'{"@graph": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "too-deep"),
    "deep json under the recursion limit": (
        "mid.json",
        b'{"id": "r", "@graph": [' + b'{"a":' * 500 + b"1" + b"}" * 500 + b"]}",
        "too-deep",
    ),
    "deep json lines": (
        "deep.jsonl",
        b'{"schema": "Company", "properties": {"name": '
        + b"[" * 200_000
        + b"]" * 200_000
        + b"}}\n",
        "too-deep",
    ),
}


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, CONFIDENTIAL])
    return driver


@pytest.fixture(scope="module")
def api(graph: Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    auth_db = tmp_path_factory.mktemp("auth") / "auth.sqlite"
    tokens = make_keys(settings)
    with TestClient(make_app(settings, auth_db, rate_limit=0)) as client:
        yield client, tokens, auth_db


@pytest.mark.parametrize("name", sorted(HOSTILE_UPLOADS))
def test_hostile_uploads_are_refused_fast_and_bounded(
    api: tuple, graph: Driver, settings: Settings, name: str
) -> None:
    client, tokens, _ = api
    filename, content, rule = HOSTILE_UPLOADS[name]
    before = canonical_dump(graph, settings.neo4j_database)
    began = time.monotonic()
    response = client.post(
        "/ingest?dry_run=true",
        files=[("files", (filename, content, "application/octet-stream"))],
        headers=key(tokens["editor"]),
    )
    assert time.monotonic() - began < 10
    assert response.status_code in (413, 422), response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert len(response.content) < 5_000  # nothing expanded or copied into the answer
    assert rule in {p["rule"] for p in response.json()["problems"]}, response.text[:500]
    assert canonical_dump(graph, settings.neo4j_database) == before


def test_a_deep_json_body_is_a_4xx(api: tuple) -> None:
    client, tokens, _ = api
    for body in (b"[" * 200_000 + b"]" * 200_000, b'{"@graph": ' + b"[" * 900 + b"]" * 900 + b"}"):
        response = client.post(
            "/ingest?dry_run=true",
            content=body,
            headers={**key(tokens["editor"]), "Content-Type": "application/json"},
        )
        assert response.status_code in (413, 422), response.text[:300]


def test_the_cli_refuses_the_alias_bomb_the_same_way(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_bytes(alias_bomb())
    result = ingest_paths([bomb], None)
    assert [p.rule for p in result.problems] == ["yaml-aliases"]
    assert len(str(result.problems[0])) < 500


def upload_report(source_text: str) -> bytes:
    return (
        "id: report-probe\ntype: Report\nname: Probe\nreviewStatus: reviewed\ntlp: CLEAR\n"
        f"sourceText: {source_text}\n"
        "'@graph':\n  - {id: src-probe, type: Source, name: Probe source}\n"
    ).encode()


@pytest.mark.parametrize(
    "named",
    [
        "/etc/hostname",
        "/proc/self/environ",
        "../../../../etc/hostname",
        "reports/sources/seed-open-letter-article.txt",
        "evidence/" + "0" * 64 + ".txt",
    ],
)
def test_an_uploaded_report_names_no_server_file(
    api: tuple, graph: Driver, settings: Settings, named: str
) -> None:
    client, tokens, _ = api
    hostname = Path("/etc/hostname").read_bytes() if Path("/etc/hostname").exists() else b"x"
    before = canonical_dump(graph, settings.neo4j_database)
    for dry in ("true", "false"):
        response = client.post(
            f"/ingest?dry_run={dry}",
            files=[("files", ("probe.yaml", upload_report(named), "application/yaml"))],
            headers=key(tokens["editor"]),
        )
        assert response.status_code == 422, response.text
        assert [p["rule"] for p in response.json()["problems"]] == ["source-text-refused"]
        assert sha256_hex(hostname) not in response.text
        assert hostname.decode(errors="ignore").strip() not in response.text
    assert canonical_dump(graph, settings.neo4j_database) == before


def test_a_cli_report_names_files_only_inside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("zq-outside marker text")
    (folder / "link.txt").symlink_to(outside)
    (folder / "inside.txt").write_text("an inside text")
    for named, rule in (
        (str(outside), "source-text-refused"),
        ("../outside.txt", "source-text-refused"),
        ("link.txt", "source-text-refused"),
        ("missing.txt", "source-text-missing"),
        ("inside.txt", "source-text-unclaimed"),  # read: its hash is no Source's
    ):
        report = folder / "report.yaml"
        report.write_bytes(upload_report(named))
        problems = ingest_paths([report], None).problems
        assert [p.rule for p in problems] == [rule], (named, problems)
        text = " ".join(str(p) for p in problems)
        assert "zq-outside" not in text and sha256_hex(outside.read_bytes()) not in text
        assert sha256_hex((folder / "inside.txt").read_bytes()) not in text


def test_the_bundled_report_reads_its_text_beside_it() -> None:
    result = ingest_paths([SEED_REPORT], None)
    assert result.ok, result.problems


def test_evidence_copies_are_private(
    tmp_path: Path, api: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "umask", os.umask)  # restored below
    old = os.umask(0o022)
    try:
        copy = keep_copy("a quoted text", store=tmp_path / "evidence")
    finally:
        os.umask(old)
    assert (tmp_path / "evidence").stat().st_mode & 0o777 == 0o700
    assert copy.path.stat().st_mode & 0o777 == 0o600
    assert copy.sidecar.stat().st_mode & 0o777 == 0o600
    assert json.loads(copy.sidecar.read_text())["sha256"] == copy.sha256
