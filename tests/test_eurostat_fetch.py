"""observatory.sources.eurostat.fetch against a local HTTP server (tests/http_server.py): no network, no mocks.

The server answers like the dissemination API: a structure message per dataflow (SDMX 2.1, Eurostat's m:/s:/c:
prefixes, an UPDATE_DATA annotation), gzip SDMX-CSV for the filtered data query and gzip TSV for the bulk file.
Routes are exact paths, so a data request with another key than the expected one gets a 404.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from http_server import LAST_MODIFIED, Reply, serve

from observatory import download as dl
from observatory import vintages
from observatory.download import DownloadError
from observatory.fetch import FetchSettings
from observatory.sample.eurostat import lfs_tsv, population_csv
from observatory.sources import eurostat

POP, LFS = eurostat.POPULATION_DATASET, eurostat.LFS_DATASET
NOW = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)
UPDATED = "2026-03-13T23:00:00+0100"
POP_DIMS = ("freq", "unit", "sex", "age", "geo")
# Not the TSV's order: geo in the middle and the positions listed out of document order, so the key can only be
# right if it follows the DSD's position attributes.
LFS_DIMS = ("freq", "unit", "geo", "sex", "age", "nace_r2")
NUTS3 = ("FRE11", "FRE12", "FRE21", "FRE22", "FRE23", "FRF21", "FRF23", "BE234", "BE235", "BE251", "BE252", "BE253",
         "BE254", "BE255", "BE256", "BE257", "BE258", "BE323", "BE328", "BE329", "BE32A", "BE32B", "BE32C", "BE32D",
         "BE341", "BE342", "BE343", "BE344", "BE345", "BE351", "BE352", "BE353")
NUTS2 = ("FRE1", "FRE2", "FRF2", "BE23", "BE25", "BE32", "BE34", "BE35")
POP_PATH = "/sdmx/2.1/data/demo_r_pjangrp3/...." + "+".join(NUTS3)
LFS_PATH = "/sdmx/2.1/data/lfst_r_lfe2en2/.." + "+".join(NUTS2) + "..."
HTML = "<!DOCTYPE html><html><head><title>Eurostat - maintenance</title></head><body>back soon</body></html>"
SDMX_ERROR = ('<?xml version="1.0" encoding="UTF-8"?><m:Error xmlns:m="http://www.sdmx.org/resources/sdmxml/schemas/'
              'v2_1/message" xmlns:c="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"><m:ErrorMessage '
              'code="100"><c:Text xml:lang="en">No Results Found</c:Text></m:ErrorMessage></m:Error>')


def structure_xml(dataset: str, dims: tuple[str, ...], update: str | None = UPDATED, shuffle: bool = False) -> bytes:
    """A structure message as ``dataflow/ESTAT/{dataset}?references=children`` returns it (cut to what matters)."""
    ds = dataset.upper()
    items = [f'<s:Dimension id="{d}" position="{i + 1}"><s:ConceptIdentity><Ref id="{d}" maintainableParentID="{ds}" '
             f'maintainableParentVersion="1.0" agencyID="ESTAT" package="conceptscheme" class="Concept"/>'
             f'</s:ConceptIdentity><s:LocalRepresentation><s:Enumeration><Ref id="{d.upper()}" version="1.0" '
             f'agencyID="ESTAT" package="codelist" class="Codelist"/></s:Enumeration></s:LocalRepresentation>'
             f'</s:Dimension>' for i, d in enumerate(dims)]
    if shuffle:
        items = items[::-1]
    annotation = ("" if update is None else
                  f"<c:Annotations><c:Annotation><c:AnnotationTitle>2026</c:AnnotationTitle><c:AnnotationType>"
                  f"OBS_PERIOD_OVERALL_LATEST</c:AnnotationType></c:Annotation><c:Annotation><c:AnnotationTitle>"
                  f"{update}</c:AnnotationTitle><c:AnnotationType>UPDATE_DATA</c:AnnotationType></c:Annotation>"
                  f"</c:Annotations>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<m:Structure xmlns:m="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
    xmlns:s="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
    xmlns:c="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">
  <m:Header><m:ID>IDREF1</m:ID><m:Test>false</m:Test><m:Prepared>2026-05-02T09:30:00.000+02:00</m:Prepared>
    <m:Sender id="ESTAT"/></m:Header>
  <m:Structures>
    <s:Dataflows>
      <s:Dataflow id="{ds}" agencyID="ESTAT" version="1.0" isFinal="true">
        {annotation}
        <c:Name xml:lang="en">{dataset}</c:Name>
        <s:Structure><Ref id="{ds}" version="1.0" agencyID="ESTAT" package="datastructure" class="DataStructure"/>
        </s:Structure>
      </s:Dataflow>
    </s:Dataflows>
    <s:DataStructures>
      <s:DataStructure id="{ds}" agencyID="ESTAT" version="1.0" isFinal="true">
        <c:Name xml:lang="en">{dataset}</c:Name>
        <s:DataStructureComponents>
          <s:DimensionList id="DimensionDescriptor">
            {"".join(items)}
            <s:TimeDimension id="TIME_PERIOD" position="{len(dims) + 1}"><s:ConceptIdentity><Ref id="TIME_PERIOD"
              maintainableParentID="{ds}" maintainableParentVersion="1.0" agencyID="ESTAT" package="conceptscheme"
              class="Concept"/></s:ConceptIdentity></s:TimeDimension>
          </s:DimensionList>
          <s:MeasureList id="MeasureDescriptor"><s:PrimaryMeasure id="OBS_VALUE"/></s:MeasureList>
        </s:DataStructureComponents>
      </s:DataStructure>
    </s:DataStructures>
  </m:Structures>
</m:Structure>""".encode()


def population_answer(last_update: str | None = None) -> bytes:
    """The sample's SDMX-CSV cut to the area's NUTS3, as the filtered query returns it."""
    lines = population_csv((2023,)).splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[6] in NUTS3]
    text = "\n".join(kept) + "\n"
    if last_update:
        text = text.replace("13/03/25 23:00:00", last_update)
    return gzip.compress(text.encode(), mtime=0)


def lfs_answer(last_update: str = "25/04/26 23:00:00", value: float = 1523.4) -> bytes:
    """A small LFS SDMX-CSV with the dimension columns in LFS_DIMS order."""
    rows = ["DATAFLOW,LAST UPDATE," + ",".join(LFS_DIMS) + ",TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS"]
    for geo in NUTS2:
        for year, flag in (("2023", ""), ("2024", "p")):
            rows.append(f"ESTAT:LFST_R_LFE2EN2(1.0),{last_update},A,THS_PER,{geo},T,Y_GE15,TOTAL,{year},{value},{flag},")
    rows.append(f"ESTAT:LFST_R_LFE2EN2(1.0),{last_update},A,THS_PER,BE34,F,Y15-64,L,2024,,,C")
    return gzip.compress(("\n".join(rows) + "\n").encode(), mtime=0)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries call dl._sleep: never wait."""
    monkeypatch.setattr(dl, "_sleep", lambda seconds: None)


@pytest.fixture
def server():
    with serve() as running:
        running.static("/sdmx/2.1/dataflow/ESTAT/demo_r_pjangrp3", structure_xml(POP, POP_DIMS),
                       content_type="application/xml")
        running.static("/sdmx/2.1/dataflow/ESTAT/lfst_r_lfe2en2", structure_xml(LFS, LFS_DIMS, shuffle=True),
                       content_type="application/xml")
        running.static(POP_PATH, population_answer(), content_type="application/octet-stream")
        running.static(LFS_PATH, lfs_answer(), content_type="application/octet-stream")
        yield running


def settings(server, tmp_path: Path, now: datetime = NOW, **env: str) -> FetchSettings:
    return FetchSettings(raw_dir=tmp_path / "raw", progress=None, base_urls={"eurostat": server.url("/")}, now=now,
                         retries=2, backoff_seconds=0, timeout=10, env=env)


def data_requests(server) -> list[str]:
    return [r.path for r in server.requests if r.route.startswith("/sdmx/2.1/data/")]


def snapshot(raw: Path) -> dict[str, bytes]:
    """Every file of every committed vintage, by relative path."""
    folder = raw / eurostat.FOLDER
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for v in vintages.list_vintages(raw, "eu", "eurostat") for p in v.rglob("*") if p.is_file()}


def incoming_data(raw: Path) -> list[str]:
    folder = raw / eurostat.FOLDER / vintages.INCOMING_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- pieces --------------------------------------------------------------------------------------------------------


def test_area_codes_from_the_nomenclature_match_the_documented_lists():
    assert eurostat.area_geo_codes("NUTS3") == eurostat.AREA_NUTS3 == NUTS3
    assert eurostat.area_geo_codes("NUTS2") == eurostat.AREA_NUTS2 == NUTS2


def test_parse_structure_follows_positions_and_reads_the_update_annotation():
    parsed = eurostat.parse_structure(structure_xml(LFS, LFS_DIMS, shuffle=True), LFS)
    assert (parsed.dimensions, parsed.update_data) == (LFS_DIMS, UPDATED)
    assert eurostat.parse_structure(structure_xml(POP, POP_DIMS, update=None), POP).update_data is None
    assert eurostat.series_key(LFS_DIMS, ("BE34", "FRE1")) == "..BE34+FRE1..."
    with pytest.raises(ValueError, match="no dataflow"):
        eurostat.parse_structure(structure_xml(POP, POP_DIMS), LFS)
    with pytest.raises(ValueError, match="no single geo"):
        eurostat.series_key(("freq", "unit"), ("BE34",))


# --- fetching ------------------------------------------------------------------------------------------------------


def test_fetch_writes_a_vintage_the_loaders_read(server, tmp_path):
    outcome = eurostat.fetch(settings(server, tmp_path))
    raw = tmp_path / "raw"
    assert outcome.changed and outcome.vintage == raw / "eu" / "eurostat" / "2026-05-02"
    assert sorted(p.name for p in outcome.vintage.iterdir()) == [
        "demo_r_pjangrp3.csv.gz", "demo_r_pjangrp3.csv.gz.origin.json", "lfst_r_lfe2en2.csv.gz",
        "lfst_r_lfe2en2.csv.gz.origin.json", "provenance.json"]
    assert (outcome.vintage / "demo_r_pjangrp3.csv.gz").read_bytes() == population_answer()
    assert incoming_data(raw) == []

    prov = vintages.read_provenance(outcome.vintage)
    assert (prov["producer"], prov["licence"]) == ("Eurostat", eurostat.LICENCE)
    assert prov["urls"] == [server.url(POP_PATH) + "?format=SDMX-CSV&compressed=true&startPeriod=2015",
                            server.url(LFS_PATH) + "?format=SDMX-CSV&compressed=true&startPeriod=2015"]
    version = prov["producer_version"]
    assert (version[POP], version[LFS]) == ("13/03/25 23:00:00", "25/04/26 23:00:00")
    assert version["details"][POP]["update_data"] == UPDATED and version == outcome.producer_version
    origin = json.loads((outcome.vintage / "demo_r_pjangrp3.csv.gz.origin.json").read_text())
    assert (origin["url"], origin["reference_period"]) == (prov["urls"][0], "2023-2024")

    con = duckdb.connect()
    info = eurostat.load_population(con, raw)
    assert info["last_update"] == "2025-03-13 23:00:00"
    assert con.execute("SELECT count(DISTINCT area_code) FROM src.eu_eurostat_population").fetchone() == (32,)
    eurostat.load_lfs_employment(con, raw)
    assert con.execute("SELECT source_id, file_name, vintage FROM meta.sources ORDER BY source_id").fetchall() == [
        ("eu_eurostat_lfs", "lfst_r_lfe2en2.csv.gz", "2026-05-02"),
        ("eu_eurostat_population", "demo_r_pjangrp3.csv.gz", "2026-05-02")]


def test_the_key_holds_only_the_area_geo_codes_in_the_dsd_position(server, tmp_path):
    eurostat.fetch(settings(server, tmp_path))
    seen = data_requests(server)
    assert len(seen) == 2
    for path, dims, codes in ((seen[0], POP_DIMS, NUTS3), (seen[1], LFS_DIMS, NUTS2)):
        parts = urlsplit(path)
        key = parts.path.rsplit("/", 1)[1].split(".")
        assert len(key) == len(dims)
        for dim, value in zip(dims, key, strict=True):
            assert value == ("+".join(codes) if dim == "geo" else ""), dim
        assert parse_qs(parts.query) == {"format": ["SDMX-CSV"], "compressed": ["true"], "startPeriod": ["2015"]}
    assert len(server.requests_to("/sdmx/2.1/dataflow/ESTAT/lfst_r_lfe2en2")) == 1


def test_second_fetch_without_change_writes_nothing(server, tmp_path):
    first = eurostat.fetch(settings(server, tmp_path))
    before = snapshot(tmp_path / "raw")
    # Same UPDATE_DATA annotation: the structure is asked for, the data are not.
    again = eurostat.fetch(settings(server, tmp_path, now=datetime(2026, 5, 3, tzinfo=UTC)))
    assert not again.changed and "UPDATE_DATA" in again.message
    assert again.producer_version == first.producer_version
    assert len(data_requests(server)) == 2
    # A new annotation but the same data: downloaded, found identical, no vintage.
    server.static("/sdmx/2.1/dataflow/ESTAT/demo_r_pjangrp3", structure_xml(POP, POP_DIMS, "2026-05-03T11:00:00+0200"))
    third = eurostat.fetch(settings(server, tmp_path, now=datetime(2026, 5, 3, tzinfo=UTC)))
    assert not third.changed and "same data" in third.message
    assert len(data_requests(server)) == 4
    assert snapshot(tmp_path / "raw") == before
    assert incoming_data(tmp_path / "raw") == []


def test_new_data_make_a_new_vintage(server, tmp_path):
    eurostat.fetch(settings(server, tmp_path))
    server.static("/sdmx/2.1/dataflow/ESTAT/lfst_r_lfe2en2", structure_xml(LFS, LFS_DIMS, "2026-05-02T23:00:00+0200"))
    server.static(LFS_PATH, lfs_answer("02/05/26 23:00:00", 1530.1))
    outcome = eurostat.fetch(settings(server, tmp_path, now=datetime(2026, 5, 2, 22, 0, 5, tzinfo=UTC)))
    assert outcome.vintage is not None and outcome.vintage.name == "2026-05-02T220005"
    assert outcome.producer_version[LFS] == "02/05/26 23:00:00"
    assert [v.name for v in vintages.list_vintages(tmp_path / "raw", "eu", "eurostat")] == [
        "2026-05-02", "2026-05-02T220005"]


def test_a_dropped_connection_is_resumed(server, tmp_path):
    body = population_answer()
    server.static(POP_PATH, body, drop_after=len(body) // 3, drop_times=1)
    outcome = eurostat.fetch(settings(server, tmp_path))
    assert (outcome.vintage / "demo_r_pjangrp3.csv.gz").read_bytes() == body
    tries = server.requests_to(POP_PATH)
    assert len(tries) == 2 and tries[1].headers.get("Range") == f"bytes={len(body) // 3}-"


def test_an_html_page_instead_of_data_is_an_error_and_the_vintage_stays(server, tmp_path):
    eurostat.fetch(settings(server, tmp_path))
    before = snapshot(tmp_path / "raw")
    server.static("/sdmx/2.1/dataflow/ESTAT/demo_r_pjangrp3", structure_xml(POP, POP_DIMS, "2026-05-03T11:00:00+0200"))
    server.page(LFS_PATH, HTML)
    with pytest.raises(DownloadError) as caught:
        eurostat.fetch(settings(server, tmp_path, now=datetime(2026, 5, 3, tzinfo=UTC)))
    message = str(caught.value)
    assert server.url(LFS_PATH) in message and "HTML page" in message
    assert "the newest vintage 2026-05-02 is intact" in message
    assert snapshot(tmp_path / "raw") == before
    assert incoming_data(tmp_path / "raw") == []  # the population file downloaded before is not left behind


@pytest.mark.parametrize("status, expected", [(200, "an SDMX message, not data: No Results Found"),
                                              (404, "HTTP 404 Not Found: no such file; not retried; Eurostat answers "
                                                    "404 to a key that selects nothing")])
def test_an_sdmx_error_message_is_an_error(server, tmp_path, status, expected):
    server.route(POP_PATH, lambda seen: Reply(status, [("Content-Type", "application/xml")], SDMX_ERROR.encode()))
    with pytest.raises(DownloadError) as caught:
        eurostat.fetch(settings(server, tmp_path))
    assert server.url(POP_PATH) in str(caught.value) and expected in str(caught.value)
    assert "no Eurostat vintage was written" in str(caught.value)
    assert vintages.list_vintages(tmp_path / "raw", "eu", "eurostat") == []


def test_a_truncated_gzip_is_refused(server, tmp_path):
    server.static(POP_PATH, population_answer()[:-40])  # the whole body is sent: only the gzip check can tell
    with pytest.raises(DownloadError, match="corrupt or truncated gzip"):
        eurostat.fetch(settings(server, tmp_path))
    assert vintages.list_vintages(tmp_path / "raw", "eu", "eurostat") == []


def bulk_routes(server) -> tuple[bytes, bytes]:
    pop = gzip.compress((Path(__file__).parent / "fixtures" / "eurostat" / "same" / "demo_r_pjangrp3.tsv").read_bytes(),
                        mtime=0)
    lfs = gzip.compress(lfs_tsv((2023, 2024), seed=7).encode(), mtime=0)
    server.static("/sdmx/2.1/data/DEMO_R_PJANGRP3", pop)
    server.static("/sdmx/2.1/data/LFST_R_LFE2EN2", lfs, last_modified=None)
    return pop, lfs


def test_bulk_tsv_option(server, tmp_path):
    pop, lfs = bulk_routes(server)
    outcome = eurostat.fetch(settings(server, tmp_path, OBSERVATORY_EUROSTAT_BULK="1"))
    assert outcome.vintage is not None
    assert (outcome.vintage / "demo_r_pjangrp3.tsv.gz").read_bytes() == pop
    assert (outcome.vintage / "lfst_r_lfe2en2.tsv.gz").read_bytes() == lfs
    assert {urlsplit(p).path for p in data_requests(server)} == {"/sdmx/2.1/data/DEMO_R_PJANGRP3",
                                                                 "/sdmx/2.1/data/LFST_R_LFE2EN2"}
    assert all(parse_qs(urlsplit(p).query) == {"format": ["TSV"], "compressed": ["true"]} for p in data_requests(server))
    # No LAST UPDATE in a TSV: Last-Modified, else the ETag (the test server's is the body's sha256 prefix).
    assert outcome.producer_version[POP] == LAST_MODIFIED
    assert outcome.producer_version[LFS].startswith('"')
    con = duckdb.connect()
    eurostat.load_population(con, tmp_path / "raw")
    eurostat.load_lfs_employment(con, tmp_path / "raw")
    assert {r[0] for r in con.execute("SELECT vintage FROM meta.sources").fetchall()} == {"2026-05-02"}
    # Unchanged annotation: nothing downloaded the second time.
    assert not eurostat.fetch(settings(server, tmp_path, OBSERVATORY_EUROSTAT_BULK="1")).changed
    assert len(data_requests(server)) == 2


def test_bulk_tsv_fallback_when_the_structure_cannot_be_had(server, tmp_path):
    bulk_routes(server)
    server.status("/sdmx/2.1/dataflow/ESTAT/lfst_r_lfe2en2", 503)
    outcome = eurostat.fetch(settings(server, tmp_path))
    assert outcome.vintage is not None
    assert sorted(p.name for p in outcome.vintage.glob("*.gz")) == ["demo_r_pjangrp3.csv.gz", "lfst_r_lfe2en2.tsv.gz"]
    assert outcome.producer_version["details"][LFS]["update_data"] is None
    eurostat.load_lfs_employment(duckdb.connect(), tmp_path / "raw")


def test_a_gzip_answer_is_never_inflated_past_its_cap(tmp_path):
    from observatory.sources.eurostat import _read_capped

    bomb = tmp_path / "structure.xml.gz"
    bomb.write_bytes(gzip.compress(b"<" + b" " * 4999))
    with pytest.raises(ValueError, match="more than 1,000 bytes once decompressed"):
        _read_capped(bomb, 1000)
    assert _read_capped(bomb, 1000, refuse=False) == b"<" + b" " * 999  # the start of an SDMX message, for its text
    plain = tmp_path / "structure.xml"
    plain.write_bytes(b"<ok/>")
    assert _read_capped(plain, 1000) == b"<ok/>"
