"""The report (observatory/report.py): what each page shows of the published sample, how it shows gaps, that it is
escaped, offline and in three languages, and that it renders in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from headless import RENDERED, Chromium, chromium_path

from observatory import cli, report, schema
from pipelines.resources import Warehouse

PLOTLY_BANNER = re.compile(r"\* plotly\.js v\d+\.\d+\.\d+")


def figure_traces(page: str, number: int) -> list[dict]:
    """The traces of chart ``number`` (1-based), as the page hands them to ``Plotly.newPlot``."""
    call = re.search(rf'Plotly\.newPlot\(\s*"figure-{number}",\s*', page)
    traces, _ = json.JSONDecoder().raw_decode(page, call.end())
    return traces


def trace(traces: list[dict], name: str) -> dict:
    [found] = [t for t in traces if t.get("name") == name]
    return found


@pytest.fixture(scope="module")
def pages(sample_build, tmp_path_factory) -> dict[str, str]:
    """The three pages of the shared sample build, written outside its (read-only) warehouse."""
    out = tmp_path_factory.mktemp("report")
    written = report.write_reports(sample_build.warehouse / "observatory.duckdb", out)
    assert [p.language for p in written] == ["fr", "nl", "en"]
    assert sorted(p.name for p in out.iterdir()) == ["report-en.html", "report-fr.html", "report-nl.html"]  # no temp
    umask = os.umask(0o022)
    os.umask(umask)
    assert all(stat.S_IMODE(p.path.stat().st_mode) == 0o666 & ~umask for p in written)  # a new file's, not 0600
    return {p.language: p.path.read_text(encoding="utf-8") for p in written}


def _published(sample_build) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(sample_build.warehouse / "observatory.duckdb"), read_only=True)


def test_key_figures_are_the_published_values(sample_build, pages):
    with _published(sample_build) as con:
        latest = con.execute("SELECT max(year) FROM mart.indicators").fetchone()[0]
        jobs = dict(con.execute("SELECT geo, value FROM mart.indicators WHERE indicator = 'ess_jobs' AND sex = 'T' "
                                "AND age_band = 'TOTAL' AND geo_level = 'AREA' AND year = ?", [latest]).fetchall())
        share = con.execute("SELECT value FROM mart.indicators WHERE indicator = 'ess_share_of_jobs' AND sex = 'T' "
                            "AND age_band = 'TOTAL' AND geo = 'FWVL_BE' AND year = ?", [latest]).fetchone()[0]
    assert jobs["FWVL"] == jobs["FWVL_FR"] + jobs["FWVL_BE"]  # the area is its two sides
    key = pages["en"].split('<table class="key">')[1].split("</table>")[0]
    row = key.split("<tbody>")[1].split("</tr>")[0]  # ess_jobs comes first: area, French side, Belgian side
    assert re.findall(r'data-sort="([\d.]+)"', row) == [repr(jobs[g]) for g in ("FWVL", "FWVL_FR", "FWVL_BE")]
    assert f"{jobs['FWVL']:,.0f}</td>" in row
    # Written as each language writes numbers.
    whole = int(jobs["FWVL"])
    assert f"{whole // 1000}\u202f{whole % 1000:03d}</td>" in pages["fr"]
    assert f"{whole // 1000}.{whole % 1000:03d}</td>" in pages["nl"]
    assert f"{share:.1f} %".replace(".", ",") in pages["fr"] and f"{share:.1f} %" in pages["en"]
    assert f"{latest}" in pages["en"].split("<h2>")[1].split("</h2>")[0]  # "Key figures <latest year>"


def test_numbers_are_written_per_language():
    assert report.fmt(1234567.25, "en", 1) == "1,234,567.2"
    assert report.fmt(1234567.25, "fr", 1) == "1\u202f234\u202f567,2"
    assert report.fmt(1234567.25, "nl", 1) == "1.234.567,2"
    assert report.fmt(None, "fr") == ""


def test_plotly_is_embedded_once_and_nothing_is_fetched(pages):
    for page in pages.values():
        assert len(PLOTLY_BANNER.findall(page)) == 1
        assert not re.search(r"<script[^>]+src=", page)  # every script inline
        assert not re.search(r"<link[^>]+href=", page)  # no stylesheet nor font from elsewhere
        assert 'data-figures="6"' in page and len(re.findall(r'Plotly\.newPlot\(\s*"figure-', page)) == 6


def test_three_languages_with_their_strings_and_labels(sample_build, pages):
    assert all(len(texts) == 3 and all(t.strip() for t in texts) for texts in report.STRINGS.values())
    with _published(sample_build) as con:
        labels = con.execute("SELECT label_fr, label_nl, label_en FROM mart.dim_geo WHERE geo = 'FWVL_BE'").fetchone()
    for lang, label in zip(report.LANGUAGES, labels, strict=True):
        page = pages[lang]
        assert f'<html lang="{lang}">' in page
        assert f"<title>{report.esc(report.text('title', lang))}</title>" in page
        assert report.esc(label) in page
        others = [report.text("title", other) for other in report.LANGUAGES if other != lang]
        assert not any(f"<h1>{report.esc(title)}</h1>" in page for title in others)
        assert f'href="report-{lang}.html" hreflang="{lang}" lang="{lang}" aria-current="page"' in page


def test_synthetic_notice_at_the_top_and_in_the_footer(sample_build, pages):
    with _published(sample_build) as con:
        synthetic, notice = con.execute("SELECT synthetic, notice FROM meta.release").fetchone()
        sources = [s for (s,) in con.execute("SELECT DISTINCT source_id FROM meta.sources").fetchall()]
    assert synthetic
    for page in pages.values():
        top, rest = page.split("<main>")
        assert 'class="synthetic"' in top and report.esc(notice) in top
        footer = rest.split("<footer>")[1]
        assert report.esc(notice) in footer and all(f"<td>{s}</td>" in footer for s in sources)


def test_nuts3_table_and_map_cover_every_region(sample_build, pages):
    with _published(sample_build) as con:
        nuts3 = [g for (g,) in con.execute("SELECT geo FROM mart.dim_geo WHERE geo_level = 'NUTS3'").fetchall()]
    table = pages["en"].split('id="nuts3-table"')[1].split("</table>")[0]
    assert [re.search(r'class="code">(\w+)</span>', row).group(1) for row in table.split("<tbody>")[1].split("</tr>")[:-1]
            ] == nuts3
    assert set(nuts3) <= set(report.read_points())
    placed = sum(len(t["x"]) for t in figure_traces(pages["en"], 4))
    assert placed == len(nuts3)


def _cooperatives(page: str) -> str:
    return page.split('<section id="cooperatives">')[1].split("</section>")[0]


def _row(table: str, label: str) -> str:
    """The first body row of ``table`` holding ``label`` (the French side's, which comes first)."""
    return next(row for row in table.split("<tbody>")[-1].split("</tr>") if f">{label}<" in row)


def test_cooperative_section_in_each_language(pages):
    assert all(f"kind_{kind}" in report.STRINGS for kind in schema.CASE_KINDS)  # every kind a case may have
    for lang, page in pages.items():
        main = page.split("<main>")[1]
        # After the NUTS3 regions, before the reconciliation.
        assert main.index('<section id="nuts3">') < main.index('<section id="cooperatives">') < main.index(
            '<section id="reconciliation">')
        section = _cooperatives(page)
        assert section.startswith(f"<h2>{report.esc(report.text('coop_title', lang))}</h2>")
        for key in ("survival_title", "demography_title", "cases_title"):
            assert f">{report.esc(report.text(key, lang))}</h3>" in section
        assert report.esc(report.text("registry_bias", lang)) in section
    assert "The cooperative lens" not in pages["fr"] and "coöperatieve blik" in pages["nl"]


def test_survival_is_the_published_one(sample_build, pages):
    with _published(sample_build) as con:
        cohort = con.execute("SELECT max(cohort) FROM mart.survival WHERE horizon = 3 "
                             "AND geo IN ('FWVL_FR', 'FWVL_BE')").fetchone()[0]
        published = {f: (births, survivors, rate) for f, births, survivors, rate in con.execute(
            "SELECT family, births, survivors, survival_rate FROM mart.survival WHERE geo = 'FWVL_FR' AND horizon = 3 "
            "AND cohort = ?", [cohort]).fetchall()}
        belgian = con.execute("SELECT count(*) FROM mart.survival WHERE geo = 'FWVL_BE' AND cohort = ?",
                              [cohort]).fetchone()[0]
    births, survivors, _ = published["ALL"]
    # Chart 5: the 3-year bars of the French side are the published rates; a family without a row is a gap.
    chart = figure_traces(pages["en"], 5)
    three = next(t for t in chart if t["name"] == "3 years" and t.get("xaxis", "x") == "x")
    for family in ("ALL", "COOP_WORKER"):
        expected = published.get(family, (None, None, None))[2]
        assert three["y"][report.SURVIVAL_FAMILIES.index(family)] == expected
    assert f"of the enterprises created in {cohort}" in pages["en"]  # the chart's title names the cohort
    for lang, page in pages.items():
        section = _cooperatives(page)
        assert report.esc(report.text("survival_table_caption", lang, cohort=cohort)) in section
        table = section.split('id="survival-table"')[1].split("</table>")[0]
        # The 3-year survival of all enterprises, worked out here from the counts and written as each language does.
        rate = f"{100 * survivors / births:.1f} %"
        row = _row(table, report.esc(report.text("family_ALL_registry", lang)))
        assert f">{survivors} / {births}<" in row and f">{rate if lang == 'en' else rate.replace('.', ',')}<" in row
        worker = _row(table, report.esc(_label(sample_build, "COOP_WORKER", lang)))
        if "COOP_WORKER" in published:
            assert f'data-sort="{published["COOP_WORKER"][2]!r}"' in worker
        else:  # no worker cooperative created that year: a marked gap, never a zero
            assert worker.count('class="gap"') == 2 and ">0<" not in worker
        if not belgian:  # the sample's KBO chain covers 2024 only: no Belgian cohort, and the page says so
            assert report.esc(report.text("side_missing", lang, side=_label(sample_build, "FWVL_BE", lang, "geo"),
                                          period=report.text("period_cohort", lang, cohort=cohort))) in section


def test_pooled_survival_compares_worker_cooperatives_with_all_enterprises(sample_build, pages):
    # The synthetic figures of docs/methodology.md (the French side, every cohort published at 3 years summed):
    # worker cooperatives 5 of 5, all enterprises 3,326 of 4,653 (71.5 %).
    table = _cooperatives(pages["en"]).split('id="pooled-survival-table"')[1].split("</table>")[0]
    french = table.split("</tbody>")[0].split('rowspan="4"')[1]  # FWVL_FR comes first
    assert ">3,326 / 4,653<" in _row(french, "All enterprises") and ">71.5 %<" in _row(french, "All enterprises")
    worker = _row(french, report.esc(_label(sample_build, "COOP_WORKER", "en")))
    assert ">5 / 5<" in worker and ">100.0 %<" in worker
    with _published(sample_build) as con:
        first, last = con.execute("SELECT min(cohort), max(cohort) FROM mart.survival WHERE horizon = 3").fetchone()
    assert f"all published cohorts pooled ({first}–{last})" in table


def _label(sample_build, code: str, lang: str, dimension: str = "family") -> str:
    with _published(sample_build) as con:
        return con.execute(f"SELECT label_{lang} FROM mart.dim_{dimension} WHERE {dimension} = ?", [code]).fetchone()[0]


def test_births_and_closures_are_the_published_ones(sample_build, pages):
    with _published(sample_build) as con:
        year, births, closures, active = con.execute(
            "SELECT year, births, closures, active_end FROM mart.demography WHERE geo = 'FWVL_BE' AND family = 'ESS' "
            "ORDER BY year DESC LIMIT 1").fetchone()
    section = _cooperatives(pages["en"])
    assert f"created and ceased in {year}," in section
    table = section.split('id="demography-table"')[1].split("</table>")[0]
    belgian = table.split("Cooperation area - Belgian side")[1]
    assert re.findall(r'data-sort="([\d.]+)"', _row(belgian, "Social economy (common definition)")) == [
        repr(float(v)) for v in (births, closures, active)]


def test_every_documented_case_is_shown_escaped(sample_build, pages):
    with _published(sample_build) as con:
        cases = con.execute("SELECT name, survival_rate_3y_all FROM mart.cases").fetchall()
    assert len(cases) == 4  # the sample's synthetic examples
    for page in pages.values():
        table = _cooperatives(page).split('id="cases-table"')[1].split("</table>")[0]
        for name, rate in cases:
            row = _row(table, report.esc(name))
            assert "'" not in name or name not in page  # "citizens' energy" only ever escaped
            if rate is not None:  # its territory's 3-year survival beside it
                assert f'data-sort="{rate!r}"' in row


def test_an_older_publication_still_renders(sample_build_copy):
    published = sample_build_copy / "observatory.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute("DELETE FROM mart.cases")
    page, figures = report.render(report.read_data(published), "fr")
    assert figures == 6 and report.esc(report.text("no_cases", "fr")) in _cooperatives(page)
    # A publication from before the cooperative lens: no mart.survival, no mart.cases.
    with duckdb.connect(str(published)) as con:
        con.execute("DROP TABLE mart.cases")
        con.execute("DROP TABLE mart.survival")
    written = report.write_reports(published, sample_build_copy / "report")
    for page_file in written:
        lang, page = page_file.language, page_file.path.read_text(encoding="utf-8")
        assert page_file.figures == 5 and 'data-figures="5"' in page  # no survival chart
        section = _cooperatives(page)
        assert report.esc(report.text("coop_not_published", lang)) in section
        assert report.esc(report.text("no_cases", lang)) in section
        assert 'id="demography-table"' in section  # still published: still shown


# The age band of the Belgian side's ESS jobs that _suppress hides: the first one the sample publishes in 2024.
_BAND_SQL = ("SELECT j.age_band, d.sort_order FROM mart.jobs j JOIN mart.dim_age_band d USING (age_band) "
             "WHERE j.geo = 'FWVL_BE' AND j.family = 'ESS' AND j.nace_a10 = 'TOTAL' AND j.sex = 'T' AND j.year = 2024 "
             "AND j.age_band <> 'TOTAL' AND j.jobs IS NOT NULL ORDER BY d.sort_order LIMIT 1")


def _published_band(published: Path) -> tuple[str, int]:
    """The band and its position among the published bands (the chart's order)."""
    with duckdb.connect(str(published), read_only=True) as con:
        band = con.execute(_BAND_SQL).fetchone()[0]
        bands = [a for (a,) in con.execute("SELECT age_band FROM mart.dim_age_band WHERE scope = 'jobs+population' "
                                           "AND age_band <> 'TOTAL' ORDER BY sort_order").fetchall()]
    return band, bands.index(band)


def _suppress(published: Path) -> None:
    """Suppress, with the SDMX codes (and an unknown one), a side value, an age band, a NUTS3 share and a
    reconciliation part, all published by the sample build."""
    with duckdb.connect(str(published)) as con:
        con.execute("UPDATE mart.cross_border_comparison SET fr_value = NULL, difference = NULL, fr_conf_status = 'A' "
                    "WHERE comparison = 'SIDES' AND indicator = 'ess_women_share' AND sex = 'T' AND age_band = 'TOTAL' "
                    "AND year = 2024")
        band = con.execute(_BAND_SQL).fetchone()[0]
        con.execute("UPDATE mart.jobs SET jobs = NULL, conf_status = 'O' WHERE geo = 'FWVL_BE' AND family = 'ESS' "
                    "AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = ? AND year = 2024", [band])
        con.execute("UPDATE mart.indicators SET value = NULL, conf_status = 'D' WHERE geo = 'FRE11' "
                    "AND indicator = 'ess_share_of_jobs' AND sex = 'T' AND age_band = 'TOTAL' AND year = 2024")
        con.execute("UPDATE mart.perimeter_reconciliation SET jobs = NULL, conf_status = 'X' WHERE year = 2024 "
                    "AND country = 'BE' AND component = 'PLUS_SOCENT'")
        con.execute("""UPDATE mart.dim_geo SET label_en = '<script>alert("geo")</script>Nord & co' WHERE geo = 'FRE11'""")
        con.execute("UPDATE mart.dim_indicator SET label_en = '<img src=x onerror=alert(1)>share' "
                    "WHERE indicator = 'ess_share_of_jobs'")
        con.execute("UPDATE mart.cases SET name = '<b onclick=alert(2)>Coop</b> & \"partners\"' "
                    "WHERE case_id = (SELECT min(case_id) FROM mart.cases)")


@pytest.fixture
def suppressed_page(sample_build_copy) -> str:
    _suppress(sample_build_copy / "observatory.duckdb")
    [page] = report.write_reports(sample_build_copy / "observatory.duckdb", sample_build_copy / "report", ["en"])
    return page.path.read_text(encoding="utf-8")


def test_suppressed_values_are_gaps_never_zeros(suppressed_page, pages, sample_build):
    page = suppressed_page
    fr, be = "Cooperation area - French side", "Cooperation area - Belgian side"
    # Chart 1, the sides compared: the French women's share is null (a gap); the Belgian one is still there.
    compared = figure_traces(page, 1)
    at = trace(compared, fr)["y"].index("Women's share of social economy jobs")
    assert trace(compared, fr)["x"][at] is None and trace(compared, be)["x"][at] > 0
    # Chart 2, age structure: the Belgian band hidden by _suppress is null; before, it was a number.
    _, at_band = _published_band(sample_build.warehouse / "observatory.duckdb")
    assert trace(figure_traces(page, 2), be)["y"][at_band] is None
    assert trace(figure_traces(pages["en"], 2), be)["y"][at_band] > 0
    # Chart 4, the map: Nord is drawn as suppressed (hollow, grey), not among the coloured points.
    traces = figure_traces(page, 4)
    gaps = trace(traces, f"{fr}: confidential")
    # (with the NUTS3 whose share the sample's own suppression hides)
    nord = gaps["text"].index("&lt;script&gt;alert(\"geo\")&lt;/script&gt;Nord &amp; co")
    assert gaps["customdata"][nord] == "D: confidential: secondary suppression"
    assert 3.06 not in trace(traces, fr)["x"]
    # Chart 6, the reconciliation: the Belgian social-enterprise part is null, with an unknown code still named.
    rec = trace(figure_traces(page, 6), be)
    assert rec["x"][rec["y"].index("+ social enterprises in company form")] is None
    # The tables mark the cell with its code, sorted last, never "0".
    nord = page.split('id="nuts3-table"')[1].split("</tr>")[1]
    assert '<td class="gap" data-sort="" title="confidential: secondary suppression"><span class="code">D</span></td>' in nord
    # Each chart lists its gaps; the legend names every code seen, including one it does not know.
    legend = page.split('id="gaps"')[1].split("</section>")[0]
    for code, meaning in (("A", "small count"), ("O", "dominance by one unit"), ("D", "secondary suppression"),
                          ("X", "confidential (code X)")):
        assert f'<span class="code">{code}</span>' in legend and meaning in legend
    assert page.count('class="note gapnote"') == 4  # charts 1, 2, 4 and 6


def test_every_text_is_escaped(suppressed_page):
    page = suppressed_page
    assert "<script>alert" not in page and "<img src=x" not in page and "<b onclick" not in page
    assert "&lt;b onclick=alert(2)&gt;Coop&lt;/b&gt; &amp; &quot;partners&quot;" in page  # a case's name
    assert "&lt;script&gt;alert(&quot;geo&quot;)&lt;/script&gt;Nord &amp; co" in page  # in the table
    assert "&lt;img src=x onerror=alert(1)&gt;share" in page
    # In the charts' JSON too the label is text, never markup plotly.js would read.
    assert any("&lt;img src=x" in name for name in trace(figure_traces(page, 1), "Cooperation area - French side")["y"])


def test_command_writes_the_pages_and_names_a_missing_database(sample_build_copy, tmp_path, capsys):
    assert cli.main(["report", "--warehouse", str(tmp_path / "nowhere")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "no published database" in err
    assert cli.main(["report", "--warehouse-dir", str(sample_build_copy), "--lang", "nl,en"]) == 0
    out, _ = capsys.readouterr()
    assert sorted(p.name for p in (sample_build_copy / "report").iterdir()) == ["report-en.html", "report-nl.html"]
    assert "report-nl.html" in out and "6 charts" in out
    assert cli.main(["report", "--warehouse-dir", str(sample_build_copy), "--lang", "de"]) == 2


def test_asset_writes_the_pages_downstream_of_the_database(sample_build_copy):
    from pipelines.definitions import defs
    from pipelines.report import observatory_report

    graph = defs.resolve_asset_graph()
    key = observatory_report.key
    assert graph.get(key).parent_keys == {dg.AssetKey("observatory_database")}
    assert graph.get(key).group_name == "published"
    result = dg.materialize([observatory_report], resources={"warehouse": Warehouse(
        raw_dir=str(sample_build_copy), warehouse_dir=str(sample_build_copy))})
    assert result.success
    [materialization] = result.asset_materializations_for_node("observatory_report")
    for lang in report.LANGUAGES:
        path = Path(materialization.metadata[f"path_{lang}"].value)
        assert path == sample_build_copy / "report" / f"report-{lang}.html"
        assert materialization.metadata[f"size_bytes_{lang}"].value == path.stat().st_size


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (.ci/run installs Debian's chromium)")
def test_pages_render_in_headless_chromium(sample_build, tmp_path):
    written = report.write_reports(sample_build.warehouse / "observatory.duckdb", tmp_path)
    with Chromium() as browser:
        for page_file in written:
            page = browser.open(page_file.path.as_uri())
            assert page.wait_for(f"{RENDERED} === {page_file.figures}"), (page_file.path, page.evaluate(RENDERED))
            assert page.evaluate("document.querySelectorAll('.js-plotly-plot').length") == page_file.figures == 6
            # The table sorts in the browser: ESS jobs (third column), descending on the second click.
            jobs = ("Array.from(document.querySelectorAll('#nuts3-table tbody tr'))"
                    ".map(function (r) { return parseFloat(r.cells[2].dataset.sort); })")
            page.evaluate("document.querySelectorAll('#nuts3-table thead th')[2].click()")
            ascending = page.evaluate(jobs)
            page.evaluate("document.querySelectorAll('#nuts3-table thead th')[2].click()")
            descending = page.evaluate(jobs)
            # Suppressed cells (no sort key) go last either way; the numbers sort.
            numbers = [x for x in ascending if x is not None]
            assert ascending == sorted(numbers) + [None] * (len(ascending) - len(numbers))
            assert descending == sorted(numbers, reverse=True) + [None] * (len(ascending) - len(numbers))
            assert page.errors == [], (page_file.language, page.errors)
