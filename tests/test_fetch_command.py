"""`observatory fetch`: the explicit network step, end to end through the command against a local server."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_server import serve

from observatory import cli, vintages
from observatory.fetch import FetchError, FetchSettings, fetch
from observatory.sources import insee_population

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
INSEE_FILE = "estim-pop-dep-sexe-aq-1975-2025.xlsx"


def test_fetch_command_writes_a_vintage_then_nothing_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    workbook = (SAMPLE / insee_population.FOLDER / INSEE_FILE).read_bytes()
    raw = tmp_path / "raw"
    with serve() as server:
        server.static(f"/insee/{INSEE_FILE}", workbook, etag='"v1"')
        monkeypatch.setenv("OBSERVATORY_URL_INSEE_POPULATION", server.url("/insee"))
        monkeypatch.setenv(insee_population.FILE_ENV, INSEE_FILE)
        assert cli.main(["fetch", "insee_population", "--raw-dir", str(raw)]) == 0
        first = capsys.readouterr().out
        assert cli.main(["fetch", "insee_population", "--raw-dir", str(raw)]) == 0
        second = capsys.readouterr().out
    (vintage,) = vintages.list_vintages(raw, "fr", "insee_population")
    assert (vintage / INSEE_FILE).read_bytes() == workbook
    assert f"- insee_population: new vintage {vintage}" in first
    assert "- insee_population: nothing new" in second
    assert insee_population.find(raw) == vintage / INSEE_FILE


def test_fetch_command_fails_clearly_without_kbo_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("KBO_USERNAME", raising=False)
    monkeypatch.delenv("KBO_PASSWORD", raising=False)
    monkeypatch.setenv("OBSERVATORY_URL_KBO", "http://127.0.0.1:9")  # never contacted: credentials are checked first
    assert cli.main(["fetch", "kbo", "--raw-dir", str(tmp_path / "raw")]) == 1
    err = capsys.readouterr().err
    assert "KBO_USERNAME" in err and "Earlier vintages are untouched" in err
    assert not (tmp_path / "raw" / "be" / "kbo").exists() or vintages.list_vintages(tmp_path / "raw", "be", "kbo") == []


def test_delivered_sources_are_not_fetched(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="onss is delivered under agreement"):
        fetch(["onss"], FetchSettings(raw_dir=tmp_path))
    with pytest.raises(FetchError, match="unknown source.*nope; known: eurostat, insee_population, kbo, sirene"):
        fetch(["nope"], FetchSettings(raw_dir=tmp_path))
