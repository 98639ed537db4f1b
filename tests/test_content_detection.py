"""Files are recognised by their bytes, whatever their names; archives unpack within bounds."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest
from adapter_helpers import DATA, SHARED

from ingest import content
from ingest.adapters import adapter_for, read_batches
from ingest.errors import IngestError
from ingest.pipeline import ingest_paths

REPORTS = Path(__file__).resolve().parent.parent / "reports"
TURTLE = (
    "@prefix rg: <https://w3id.org/rightsgraph/ontology#> .\n<https://x.org/a> a rg:Company .\n"
)
NTRIPLES = '<https://x.org/a> <https://x.org/p> "v" .\n<https://x.org/b> <https://x.org/p> <https://x.org/a> .\n'


def _copy(src: Path, dest: Path) -> Path:
    shutil.copyfile(src, dest)
    return dest


@pytest.mark.parametrize(
    ("source", "name", "syntax", "adapter"),
    [
        (DATA / "ftm_entities.jsonl", "entities.ftm.json", "json-lines", "ftm"),
        (DATA / "ftm_entities.jsonl", "entities.txt", "json-lines", "ftm"),
        (DATA / "ocds_releases.jsonl", "releases.json", "json-lines", "ocds"),
        (DATA / "ocds_hikvision.json", "package.jsonl", "json", "ocds"),
        (DATA / "bods_03.json", "statements", "json", "bods"),
        (DATA / "holdings_generic.csv", "holdings.txt", "csv", "holdings"),
        (REPORTS / "seed-open-letter.yaml", "report.txt", "yaml", "report"),
    ],
)
def test_content_not_the_name_picks_the_adapter(tmp_path, source, name, syntax, adapter):
    path = _copy(source, tmp_path / name)
    assert content.detect(path) == syntax
    assert adapter_for(path).name == adapter


@pytest.mark.parametrize(("text", "syntax"), [(TURTLE, "turtle"), (NTRIPLES, "ntriples")])
def test_rdf_is_told_from_its_text(tmp_path, text, syntax):
    path = tmp_path / "export.txt"
    path.write_text(text)
    assert content.detect(path) == syntax
    assert adapter_for(path).name == "report"


def test_a_workbook_under_another_name_is_a_workbook(tmp_path):
    source = SHARED / "holdings" / "EQ_2019_Industry.xlsx"
    if not source.exists():
        pytest.skip("shared NBIM sample not present")
    path = _copy(source, tmp_path / "download.bin")
    assert content.detect(path) == "xlsx"
    assert adapter_for(path).name == "holdings"


def test_format_still_overrides_and_misspelt_formats_get_a_suggestion(tmp_path):
    path = _copy(DATA / "ftm_entities.jsonl", tmp_path / "entities.ftm.json")
    assert adapter_for(path, "ocds").name == "ocds"
    with pytest.raises(IngestError) as exc:
        adapter_for(path, "holding")
    assert 'did you mean "holdings"' in exc.value.problems[0].message


def test_gzip_and_zip_members_are_read_and_named_by_their_place(tmp_path):
    gz = tmp_path / "entities.ftm.json.gz"
    gz.write_bytes(gzip.compress((DATA / "ftm_entities.jsonl").read_bytes()))
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(DATA / "ocds_releases.jsonl", "data/releases.ndjson")
        zf.write(DATA / "holdings_bad_value.csv", "data/bad.csv")
        zf.writestr("__MACOSX/._bad.csv", b"junk")
    result = ingest_paths([gz, archive], None, dry_run=True)
    assert result.files == [
        f"{gz}!entities.ftm.json",
        f"{archive}!data/releases.ndjson",
        f"{archive}!data/bad.csv",
    ]
    assert result.summary.created["Person"] >= 1
    assert result.summary.created["Contract"] >= 1
    assert set(result.rejected) == {f"{archive}!data/bad.csv"}
    assert all(p.file == f"{archive}!data/bad.csv" for p in result.problems)


def test_an_archive_that_inflates_too_far_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(content, "RATIO_FROM", 1 << 20)  # the bounds, scaled down for a test
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb") as fh:
        fh.write(b" " * (8 << 20))
    result = ingest_paths([bomb], None, dry_run=True)
    assert [p.rule for p in result.problems] == ["archive-too-large"]


def test_the_single_line_of_a_document_is_a_document(tmp_path):
    path = tmp_path / "one.json"
    path.write_text((DATA / "ocds_hikvision.json").read_text().replace("\n", " "))
    assert content.detect(path) == "json"
    assert list(read_batches(path))


@pytest.mark.parametrize(
    ("text", "syntax"),
    [
        ("name: a company\nid: x\n", "yaml"),  # a YAML value starting with "a" is no triple
        ("ex:a a ex:B .\n", "turtle"),
        ("# a comment\n---\n- one\n", "yaml"),
        ("city;population\nOslo;700000\n", "csv"),
        ("just some words\n", "unknown"),
        ('<?xml version="1.0"?>\n<lei:LEIData xmlns:lei="x"/>\n', "xml"),
        ("<!-- exported -->\n<records/>\n", "xml"),
        ("<lei:LEIData>\n</lei:LEIData>\n", "xml"),
        ("<http://ex.org/a> <http://ex.org/p> <http://ex.org/b> .\n", "ntriples"),
    ],
)
def test_syntax_from_the_first_lines(tmp_path, text, syntax):
    path = tmp_path / "file.txt"
    path.write_text(text)
    assert content.detect(path) == syntax
