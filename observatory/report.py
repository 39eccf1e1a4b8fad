"""The report: one self-contained, offline HTML page per language (fr, nl, en) from the published database.

Reads ``observatory.duckdb`` read-only and writes ``<warehouse>/report/report-<lang>.html``, each written under a
temporary name and renamed into place, so a reader never opens half a file::

    from observatory.report import write_reports
    for page in write_reports(warehouse / "observatory.duckdb", warehouse / "report"):
        print(page.path, page.size_bytes, page.figures)

Each page holds plotly's JavaScript once (inline in the first chart, ``include_plotlyjs=False`` for the others), a
small inline script that sorts the NUTS3 table, and nothing fetched at view time: no CDN, no map tiles, no
topojson. The map places each NUTS3 at its administrative seat (``nomenclatures/nuts3_points.csv``) on plain axes.

A suppressed value (any non-NULL ``conf_status``: ``C`` today, the SDMX codes ``A``, ``O``, ``D``... later) is a gap
in the charts and a marked empty cell in the tables, never a zero; the legend names the codes found. Every text
from the database or the strings below is escaped before it enters the page.
"""

from __future__ import annotations

import csv
import html
import math
import os
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import plotly.graph_objects as go

from observatory.duck import table_exists
from observatory.reader import connect

LANGUAGES = ("fr", "nl", "en")
REPORT_FOLDER = "report"
AREA, FR_SIDE, BE_SIDE = "FWVL", "FWVL_FR", "FWVL_BE"
SIDES = (FR_SIDE, BE_SIDE)
POINTS_FILE = Path(__file__).resolve().parent / "nomenclatures" / "nuts3_points.csv"
FR_COLOUR, BE_COLOUR, GAP_COLOUR = "#1f5fa8", "#d9822b", "#9a9a9a"

# The key figures, in the order shown (labels from mart.dim_indicator).
KEY_INDICATORS = ("ess_jobs", "ess_share_of_jobs", "ess_women_share", "ess_jobs_per_1000_pop_15_64", "ess_jobs_change")
COMPARED_INDICATORS = ("ess_share_of_jobs", "ess_women_share", "all_women_share", "ess_age_lt25_share",
                       "ess_age_55plus_share")
TABLE_INDICATORS = ("ess_jobs", "ess_share_of_jobs", "ess_women_share", "ess_jobs_per_1000_pop_15_64",
                    "ess_jobs_change")
DECIMALS = {"jobs": 0, "fte": 0, "percent": 1, "pp": 1, "jobs_per_unit": 1, "jobs_per_1000_pop": 1, "count": 0}
# The cooperative section (issue 15): the registry families shown, the survival horizons of mart.survival.
SURVIVAL_FAMILIES = ("ALL", "ESS", "COOP", "COOP_WORKER")
DEMOGRAPHY_FAMILIES = ("ALL", "ESS", "COOP")
HORIZONS = (1, 3, 5)
HORIZON_COLOURS = {1: "#9ecae1", 3: "#4292c6", 5: "#08306b"}

# Interface text: key -> (French, Dutch, English). Labels of codes come from the mart.dim_* tables.
STRINGS: dict[str, tuple[str, str, str]] = {
    "title": ("Observatoire transfrontalier de l'économie sociale et solidaire",
              "Grensoverschrijdend observatorium van de sociale economie",
              "Cross-border observatory of the social economy"),
    "subtitle": ("Zone de coopération France-Wallonie-Vlaanderen, {years}",
                 "Samenwerkingsgebied France-Wallonie-Vlaanderen, {years}",
                 "France-Wallonia-Flanders cooperation area, {years}"),
    "languages": ("Langues", "Talen", "Languages"),
    "synthetic_title": ("Données synthétiques", "Synthetische gegevens", "Synthetic data"),
    "synthetic_text": ("Ce rapport est construit à partir de l'échantillon synthétique embarqué : ses chiffres ne sont "
                       "pas des statistiques réelles.",
                       "Dit rapport is gemaakt van de ingebedde synthetische steekproef: de cijfers zijn geen echte "
                       "statistieken.",
                       "This report is built from the embedded synthetic sample: its figures are not real statistics."),
    "key_title": ("Chiffres clés {year}", "Kerncijfers {year}", "Key figures {year}"),
    "key_text": ("La zone et chacun de ses deux versants, emploi salarié au 31 décembre.",
                 "Het gebied en elk van beide kanten, loonbanen op 31 december.",
                 "The area and each of its two sides, salaried jobs at 31 December."),
    "indicator": ("Indicateur", "Indicator", "Indicator"),
    "compare_title": ("Comparaison de part et d'autre de la frontière, {year}",
                      "Vergelijking aan beide kanten van de grens, {year}",
                      "Compared across the border, {year}"),
    "compare_text": ("Part de l'ESS dans l'emploi, part des femmes et structure par âge : versant français et versant "
                     "belge.",
                     "Aandeel van de sociale economie in de werkgelegenheid, aandeel vrouwen en leeftijdsstructuur: "
                     "Franse en Belgische kant.",
                     "Social economy share of jobs, women's share and age structure: the French and the Belgian side."),
    "percent_axis": ("%", "%", "%"),
    "age_title": ("Emplois de l'ESS par tranche d'âge (% du total du versant)",
                  "Banen in de sociale economie per leeftijdsklasse (% van het totaal van de kant)",
                  "Social economy jobs by age band (% of the side's total)"),
    "evolution_title": ("Évolution {first}–{last}", "Evolutie {first}–{last}", "Evolution {first}–{last}"),
    "evolution_text": ("Emplois de l'ESS et part de l'ESS dans l'emploi salarié, par versant et pour la zone.",
                       "Banen in de sociale economie en hun aandeel in de loonbanen, per kant en voor het gebied.",
                       "Social economy jobs and their share of salaried jobs, by side and for the area."),
    "year": ("Année", "Jaar", "Year"),
    "nuts3_title": ("Les {count} territoires NUTS3, {year}", "De {count} NUTS3-gebieden, {year}",
                    "The {count} NUTS3 regions, {year}"),
    "nuts3_text": ("Cliquez sur un en-tête de colonne pour trier le tableau.",
                   "Klik op een kolomkop om de tabel te sorteren.",
                   "Click a column header to sort the table."),
    "territory": ("Territoire", "Gebied", "Territory"),
    "side": ("Versant", "Kant", "Side"),
    "map_title": ("Part de l'ESS dans l'emploi salarié (couleur) et emplois de l'ESS (taille)",
                  "Aandeel van de sociale economie in de loonbanen (kleur) en banen (grootte)",
                  "Social economy share of salaried jobs (colour) and jobs (size)"),
    "map_note": ("Chaque territoire est placé à son chef-lieu (points approximatifs, sans fond de carte : le rapport "
                 "ne charge rien depuis le réseau).",
                 "Elk gebied staat op zijn hoofdplaats (benaderende punten, zonder achtergrondkaart: het rapport "
                 "laadt niets van het netwerk).",
                 "Each region is placed at its administrative seat (approximate points, no background map: the report "
                 "loads nothing from the network)."),
    "reconciliation_title": ("Définition commune et définitions nationales, {year}",
                             "Gemeenschappelijke en nationale definities, {year}",
                             "Common and national definitions, {year}"),
    "reconciliation_text": ("Emplois de chaque versant selon la définition commune, selon la définition nationale, et "
                            "les parts de l'écart.",
                            "Banen van elke kant volgens de gemeenschappelijke en de nationale definitie, en de delen "
                            "van het verschil.",
                            "Jobs of each side under the common and the national definition, and the parts of the "
                            "difference."),
    "component": ("Composante", "Component", "Component"),
    "jobs": ("Emplois", "Banen", "Jobs"),
    "gaps_title": ("Valeurs manquantes", "Ontbrekende waarden", "Missing values"),
    "gaps_text": ("Une valeur couverte par le secret statistique est une lacune dans les graphiques et une case "
                  "marquée de son code dans les tableaux, jamais un zéro.",
                  "Een waarde onder statistische geheimhouding is een gat in de grafieken en een vakje met haar code "
                  "in de tabellen, nooit een nul.",
                  "A value withheld by statistical disclosure control is a gap in the charts and a cell marked with "
                  "its code in the tables, never a zero."),
    "not_available": ("non disponible (non calculable ou non livré)", "niet beschikbaar (niet berekenbaar of niet "
                      "geleverd)", "not available (not computable or not delivered)"),
    "suppressed_here": ("Valeurs confidentielles dans ce graphique : {cells}.",
                        "Vertrouwelijke waarden in deze grafiek: {cells}.",
                        "Confidential values in this chart: {cells}."),
    "suppressed_legend": ("confidentiel", "vertrouwelijk", "confidential"),
    "conf_C": ("confidentiel (secret statistique)", "vertrouwelijk (statistische geheimhouding)",
               "confidential (statistical disclosure control)"),
    "conf_A": ("confidentiel : trop peu d'unités (secret primaire)", "vertrouwelijk: te weinig eenheden (primaire "
               "geheimhouding)", "confidential: small count (primary)"),
    "conf_O": ("confidentiel : une unité domine la case (secret primaire)", "vertrouwelijk: één eenheid overheerst "
               "(primaire geheimhouding)", "confidential: dominance by one unit (primary)"),
    "conf_T": ("confidentiel : deux unités dominent la case (secret primaire)", "vertrouwelijk: twee eenheden "
               "overheersen (primaire geheimhouding)", "confidential: dominance by two units (primary)"),
    "conf_D": ("confidentiel : secret secondaire", "vertrouwelijk: secundaire geheimhouding",
               "confidential: secondary suppression"),
    "conf_other": ("confidentiel (code {code})", "vertrouwelijk (code {code})", "confidential (code {code})"),
    "sources_title": ("Sources, millésimes et avertissement", "Bronnen, versies en waarschuwing",
                      "Sources, vintages and notice"),
    "source": ("Source", "Bron", "Source"),
    "producer": ("Producteur", "Producent", "Producer"),
    "period": ("Période de référence", "Referentieperiode", "Reference period"),
    "vintage": ("Millésime", "Versie", "Vintage"),
    "retrieved": ("Récupéré le", "Opgehaald op", "Retrieved"),
    "licence": ("Licence", "Licentie", "Licence"),
    "files": ("Fichiers", "Bestanden", "Files"),
    "no_vintage": ("dossier de la source (sans millésime)", "bronmap (zonder versie)", "source folder (no vintage)"),
    "built": ("Base publiée le {built_at} par le code {code_version} ; années {years}.",
              "Databank gepubliceerd op {built_at} door code {code_version}; jaren {years}.",
              "Database published on {built_at} by code {code_version}; years {years}."),
    "no_data": ("Pas de données pour ce graphique dans la base publiée.",
                "Geen gegevens voor deze grafiek in de gepubliceerde databank.",
                "No data for this chart in the published database."),
    "coop_title": ("Le regard coopératif : survie, créations et cessations, cas documentés",
                   "De coöperatieve blik: overleving, oprichtingen en stopzettingen, gedocumenteerde gevallen",
                   "The cooperative lens: survival, births and closures, documented cases"),
    "coop_not_published": ("Ces chiffres ne sont pas dans la base publiée (publication antérieure à leur calcul).",
                           "Deze cijfers staan niet in de gepubliceerde databank (publicatie van vóór hun berekening).",
                           "These figures are not in the published database (a publication older than them)."),
    "registry_bias": ("Les radiations d'office lors des nettoyages des registres comptent comme des cessations (parfois "
                      "des années après la fin réelle), et côté belge seules les années couvertes par les extraits BCE "
                      "conservés par l'observatoire sont calculées.",
                      "Ambtshalve doorhalingen bij het opschonen van de registers tellen als stopzettingen (soms jaren "
                      "na het echte einde), en aan Belgische kant zijn alleen de jaren berekend die de door het "
                      "observatorium bewaarde KBO-extracten dekken.",
                      "Registry clean-ups count as closures (sometimes years after the real end), and on the Belgian "
                      "side only the years covered by the KBO extracts the observatory kept are computed."),
    "family": ("Famille", "Familie", "Family"),
    "family_ALL_registry": ("Toutes les entreprises", "Alle ondernemingen", "All enterprises"),
    "side_missing": ("{side} : pas de chiffres publiés pour {period}.", "{side}: geen gepubliceerde cijfers voor "
                     "{period}.", "{side}: no figures published for {period}."),
    "survival_title": ("Survie des cohortes d'entreprises", "Overleving van cohorten ondernemingen",
                       "Survival of enterprise cohorts"),
    "survival_table_caption": ("Survie à 3 ans de la cohorte {cohort}", "Overleving na 3 jaar van het cohort {cohort}",
                               "3-year survival of the {cohort} cohort"),
    "period_cohort": ("la cohorte {cohort}", "het cohort {cohort}", "the {cohort} cohort"),
    "survival_text": ("Part des entreprises du registre (SIRENE, BCE) créées en {cohort}, la dernière cohorte dont la "
                      "survie à 3 ans est publiée, qui n'avaient pas cessé 1, 3 et 5 ans après leur création.",
                      "Aandeel van de in {cohort} opgerichte ondernemingen van het register (SIRENE, KBO), het laatste "
                      "cohort met een gepubliceerde overleving na 3 jaar, dat 1, 3 en 5 jaar na de oprichting niet "
                      "stopgezet was.",
                      "Share of the registry's enterprises (SIRENE, KBO) created in {cohort}, the latest cohort whose "
                      "3-year survival is published, that had not ceased 1, 3 and 5 years after their creation."),
    "survival_chart_title": ("Taux de survie à 1, 3 et 5 ans des entreprises créées en {cohort}",
                             "Overlevingsgraad na 1, 3 en 5 jaar van de in {cohort} opgerichte ondernemingen",
                             "Survival rate at 1, 3 and 5 years of the enterprises created in {cohort}"),
    "horizon_1": ("1 an", "1 jaar", "1 year"),
    "horizon_3": ("3 ans", "3 jaar", "3 years"),
    "horizon_5": ("5 ans", "5 jaar", "5 years"),
    "not_reached": ("pas encore atteint", "nog niet bereikt", "not reached yet"),
    "survival_gaps": ("Une barre absente est un chiffre non publié, jamais un zéro : un horizon que la cohorte n'a pas "
                      "encore atteint, ou une famille sans création cette année-là.",
                      "Een ontbrekende staaf is een niet-gepubliceerd cijfer, nooit een nul: een horizon die het cohort "
                      "nog niet bereikt heeft, of een familie zonder oprichting in dat jaar.",
                      "A missing bar is a figure not published, never a zero: a horizon the cohort has not reached yet, "
                      "or a family with no enterprise created that year."),
    "survivors_of_cohort": ("Survivantes / créées", "Overlevend / opgericht", "Survivors / cohort"),
    "survival_3y": ("Survie à 3 ans", "Overleving na 3 jaar", "3-year survival"),
    "pooled_caption": ("Survie à 3 ans, toutes les cohortes publiées réunies ({first}–{last})",
                       "Overleving na 3 jaar, alle gepubliceerde cohorten samen ({first}–{last})",
                       "3-year survival, all published cohorts pooled ({first}–{last})"),
    "pooled_text": ("Réunies, les cohortes donnent aux petites familles (les SCOP) assez d'entreprises pour être "
                    "comparées à l'ensemble des entreprises.",
                    "Samen geven de cohorten de kleine families (de werknemerscoöperaties) genoeg ondernemingen om "
                    "met alle ondernemingen vergeleken te worden.",
                    "Pooled, the cohorts give the small families (the worker cooperatives) enough enterprises to be "
                    "compared with all enterprises."),
    "no_cohort": ("pas de cohorte : aucune création cette année-là, ou année non couverte",
                  "geen cohort: geen oprichting in dat jaar, of jaar niet gedekt",
                  "no cohort: no enterprise created that year, or year not covered"),
    "demography_title": ("Créations et cessations", "Oprichtingen en stopzettingen", "Births and closures"),
    "demography_text": ("Entreprises du registre créées et cessées en {year}, dernière année complète publiée, et "
                        "entreprises actives au 31 décembre {year}.",
                        "Ondernemingen van het register opgericht en stopgezet in {year}, het laatste gepubliceerde "
                        "volledige jaar, en actieve ondernemingen op 31 december {year}.",
                        "Registry enterprises created and ceased in {year}, the latest complete year published, and "
                        "enterprises active at 31 December {year}."),
    "births": ("Créations", "Oprichtingen", "Births"),
    "closures": ("Cessations", "Stopzettingen", "Closures"),
    "active_end": ("Actives au 31 décembre", "Actief op 31 december", "Active at 31 December"),
    "cases_title": ("Cas documentés", "Gedocumenteerde gevallen", "Documented cases"),
    "cases_text": ("Exemples choisis et chiffrés par les partenaires (fédérations de coopératives), chacun rattaché à son "
                   "entrée au registre et placé à côté de la survie à 3 ans des entreprises de son territoire. Leurs "
                   "emplois sont déclarés par les partenaires, non des statistiques, et des exemples choisis ne disent "
                   "rien de la fréquence de tels résultats.",
                   "Voorbeelden gekozen en becijferd door de partners (federaties van coöperaties), elk gekoppeld aan "
                   "zijn inschrijving in het register en naast de overleving na 3 jaar van de ondernemingen van zijn "
                   "gebied gezet. Hun banen zijn door de partners opgegeven, geen statistieken, en gekozen voorbeelden "
                   "zeggen niets over hoe vaak zulke resultaten voorkomen.",
                   "Examples the partners (cooperative federations) chose and documented with figures, each linked to "
                   "its registry entry and shown beside the 3-year survival of its territory's enterprises. Their jobs "
                   "are self-reported by the partners, not statistics, and chosen examples say nothing of how frequent "
                   "such outcomes are."),
    "no_cases": ("Aucun cas documenté dans la base publiée.", "Geen gedocumenteerde gevallen in de gepubliceerde "
                 "databank.", "No documented cases in the published database."),
    "case_name": ("Cas", "Geval", "Case"),
    "country": ("Pays", "Land", "Country"),
    "case_kind": ("Type", "Soort", "Kind"),
    "jobs_created": ("créés", "gecreëerd", "created"),
    "jobs_saved": ("sauvés", "gered", "saved"),
    "jobs_consolidated": ("consolidés", "geconsolideerd", "consolidated"),
    "not_reported": ("non communiqué par le partenaire", "niet opgegeven door de partner", "not reported by the partner"),
    "registry_state": ("État au registre", "Stand in het register", "Registry state"),
    "state_active": ("active", "actief", "active"),
    "state_ceased": ("cessée le {date}", "stopgezet op {date}", "ceased on {date}"),
    "state_unlinked": ("non rattachée", "niet gekoppeld", "not linked"),
    "cohort": ("Cohorte", "Cohort", "Cohort"),
    "territory_survival": ("Survie à 3 ans dans son territoire", "Overleving na 3 jaar in zijn gebied",
                           "3-year survival in its territory"),
    "its_family": ("Sa famille", "Zijn familie", "Its family"),
    "kind_creation": ("création", "oprichting", "creation"),
    "kind_worker_buyout": ("reprise par les salariés", "overname door de werknemers", "worker buyout"),
    "kind_consolidation": ("consolidation", "consolidatie", "consolidation"),
    "kind_inclusion": ("insertion par l'activité", "inschakeling via werk", "work integration"),
    "kind_social_services": ("services sociaux", "sociale diensten", "social services"),
    "rec_TOTAL_COMMON": ("Total, définition commune", "Totaal, gemeenschappelijke definitie", "Total, common definition"),
    "rec_TOTAL_NATIONAL": ("Total, définition nationale", "Totaal, nationale definitie", "Total, national definition"),
    "rec_MINUS_COOP_NOT_ACCREDITED": ("− coopératives non agréées CNC", "− coöperaties zonder NRC-erkenning",
                                      "− cooperatives without CNC accreditation"),
    "rec_PLUS_EXCLUDED_ACTIVITIES": ("+ activités exclues de la définition commune", "+ activiteiten uitgesloten "
                                     "van de gemeenschappelijke definitie", "+ activities excluded from the common "
                                     "definition"),
    "rec_PLUS_SOCENT": ("+ entreprises sociales sous forme de société", "+ sociale ondernemingen in "
                        "vennootschapsvorm", "+ social enterprises in company form"),
    "rec_PLUS_OTHER": ("+ autres (définition nationale seulement)", "+ andere (alleen nationale definitie)",
                       "+ other (national definition only)"),
    "rec_MINUS_OTHER": ("− autres (définition commune seulement)", "− andere (alleen gemeenschappelijke definitie)",
                        "− other (common definition only)"),
}
# Plotly's number separators (decimal, then thousands) for each language.
SEPARATORS = {"fr": ", ", "nl": ",.", "en": ".,"}


def text(key: str, lang: str, **values) -> str:
    """The interface string ``key`` in ``lang`` (unescaped), with ``values`` put in."""
    template = STRINGS[key][LANGUAGES.index(lang)]
    return template.format(**values) if values else template


def conf_label(code: str, lang: str) -> str:
    """What a ``conf_status`` code means, in ``lang``; any code not listed is still named as confidential."""
    key = f"conf_{code}"
    return text(key, lang) if key in STRINGS else text("conf_other", lang, code=code)


# ---------------------------------------------------------------- what is read


@dataclass(frozen=True)
class Value:
    """A published value: ``value`` is None when suppressed (``conf`` holds the code) or not computable."""

    value: float | None
    conf: str | None = None

    @property
    def gap(self) -> bool:
        return self.value is None


MISSING = Value(None)


class Cohort(NamedTuple):
    """A row of mart.survival: the cohort's enterprises, those not ceased before the horizon, and the rate (%)."""

    births: int
    survivors: int
    rate: float


class Demography(NamedTuple):
    """A row of mart.demography: births and closures in the year, enterprises active at 31 December."""

    births: int
    closures: int
    active_end: int


@dataclass
class ReportData:
    """Everything the pages show, read once from the published database."""

    synthetic: bool
    notice: str
    built_at: str
    code_version: str
    years: list[int]
    labels: dict[str, dict[str, dict[str, str]]]  # dimension -> code -> {lang: label}
    units: dict[str, str]  # indicator -> unit
    geo_country: dict[str, str]  # geo -> FR / BE / ALL
    nuts3: list[str]  # in sort order
    indicators: dict[tuple[int, str, str], Value]  # (year, geo, indicator), sex T, age TOTAL
    sides: dict[tuple[int, str], tuple[Value, Value]]  # (year, indicator) -> (FR side, BE side), sex T, age TOTAL
    age_jobs: dict[tuple[int, str, str], Value]  # (year, geo, age band) ESS jobs, all sectors, both sexes
    age_bands: list[str]
    reconciliation: list[dict]
    sources: list[dict]
    points: dict[str, tuple[float, float, str]] = field(default_factory=dict)  # geo -> (lon, lat, place)
    # Issue 15's tables, None when the publication predates them: sides only, the families the report shows.
    survival: dict[tuple[int, int, str, str], Cohort] | None = None  # (cohort, horizon, side, family)
    demography: dict[tuple[int, str, str], Demography] | None = None  # (year, side, family)
    cases: list[dict] | None = None  # mart.cases' rows, whatever columns the publication has

    @property
    def places(self) -> dict[str, str]:
        return {geo: point[2] for geo, point in self.points.items()}

    @property
    def latest(self) -> int:
        return max(self.years)

    def label(self, dimension: str, code: str, lang: str) -> str:
        return self.labels.get(dimension, {}).get(code, {}).get(lang, code)

    def indicator(self, year: int, geo: str, code: str) -> Value:
        return self.indicators.get((year, geo, code), MISSING)


def _value(value, conf) -> Value:
    return Value(None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value), conf)


def read_points(path: Path = POINTS_FILE) -> dict[str, tuple[float, float, str]]:
    """geo -> (longitude, latitude, place name) of the point where the map draws each NUTS3."""
    with path.open(encoding="utf-8", newline="") as file:
        return {row["geo"]: (float(row["lon"]), float(row["lat"]), row["place"]) for row in csv.DictReader(file)}


def read_data(published: str | Path) -> ReportData:
    """Read what the report shows from the published database, read-only."""
    con = connect(published, read_only=True)
    try:
        synthetic, notice, built_at, code_version, years = con.execute(
            "SELECT synthetic, notice, strftime(built_at, '%Y-%m-%d %H:%M UTC'), code_version, years "
            "FROM meta.release").fetchone()
        labels: dict[str, dict[str, dict[str, str]]] = {}
        for dimension in ("geo", "family", "age_band", "sex", "indicator"):
            rows = con.execute(f"SELECT {dimension}, label_fr, label_nl, label_en FROM mart.dim_{dimension} "
                               "ORDER BY sort_order").fetchall()
            labels[dimension] = {code: dict(zip(LANGUAGES, names, strict=True)) for code, *names in rows}
        units = dict(con.execute("SELECT indicator, unit FROM mart.dim_indicator").fetchall())
        geo_rows = con.execute("SELECT geo, geo_level, country FROM mart.dim_geo ORDER BY sort_order").fetchall()
        indicators = {(y, g, i): _value(v, c) for y, g, i, v, c in con.execute(
            "SELECT year, geo, indicator, value, conf_status FROM mart.indicators "
            "WHERE sex = 'T' AND age_band = 'TOTAL'").fetchall()}
        sides = {(y, i): (_value(fv, fc), _value(bv, bc)) for y, i, fv, bv, fc, bc in con.execute(
            "SELECT year, indicator, fr_value, be_value, fr_conf_status, be_conf_status "
            "FROM mart.cross_border_comparison WHERE comparison = 'SIDES' AND sex = 'T' AND age_band = 'TOTAL' "
            f"AND fr_geo = '{FR_SIDE}' AND be_geo = '{BE_SIDE}'").fetchall()}
        age_jobs = {(y, g, a): _value(v, c) for y, g, a, v, c in con.execute(
            "SELECT year, geo, age_band, jobs, conf_status FROM mart.jobs WHERE family = 'ESS' "
            f"AND nace_a10 = 'TOTAL' AND sex = 'T' AND geo IN ('{AREA}', '{FR_SIDE}', '{BE_SIDE}')").fetchall()}
        age_bands = [a for (a,) in con.execute("SELECT age_band FROM mart.dim_age_band WHERE scope = 'jobs+population' "
                                                "AND age_band <> 'TOTAL' ORDER BY sort_order").fetchall()]
        columns = ("year", "country", "geo", "definition", "component", "jobs", "conf_status")
        reconciliation = [dict(zip(columns, row, strict=True)) for row in con.execute(
            f"SELECT {', '.join(columns)} FROM mart.perimeter_reconciliation "
            "ORDER BY year, country DESC, definition, component").fetchall()]
        columns = ("source_id", "producer", "licence", "period", "vintage", "retrieved", "files", "synthetic")
        sources = [dict(zip(columns, row, strict=True)) for row in con.execute(
            "SELECT source_id, any_value(producer), any_value(licence), "
            "CASE WHEN min(reference_period) = max(reference_period) THEN min(reference_period) "
            "ELSE min(reference_period) || ' – ' || max(reference_period) END, "
            "string_agg(DISTINCT nullif(vintage, ''), ', ' ORDER BY nullif(vintage, '')), "
            "string_agg(DISTINCT nullif(retrieved, ''), ', ' ORDER BY nullif(retrieved, '')), "
            "count(*), bool_or(synthetic) FROM meta.sources GROUP BY source_id ORDER BY source_id").fetchall()]
        # An older publication has no mart.survival, mart.demography or mart.cases: the section then says so.
        sides_of = f"geo IN ('{FR_SIDE}', '{BE_SIDE}') AND list_contains(?, family)"
        survival = {(c, h, g, f): Cohort(*rest) for c, h, g, f, *rest in con.execute(
            "SELECT cohort, horizon, geo, family, births, survivors, survival_rate FROM mart.survival "
            f"WHERE {sides_of}", [list(SURVIVAL_FAMILIES)]).fetchall()} if table_exists(con, "mart.survival") else None
        demography = {(y, g, f): Demography(*rest) for y, g, f, *rest in con.execute(
            f"SELECT year, geo, family, births, closures, active_end FROM mart.demography WHERE {sides_of}",
            [list(DEMOGRAPHY_FAMILIES)]).fetchall()} if table_exists(con, "mart.demography") else None
        cases = None
        if table_exists(con, "mart.cases"):
            result = con.execute("SELECT * FROM mart.cases ORDER BY case_id")
            columns = tuple(d[0] for d in result.description)
            cases = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    finally:
        con.close()
    return ReportData(
        synthetic=bool(synthetic), notice=notice, built_at=built_at, code_version=code_version,
        years=sorted(int(y) for y in str(years).split(",") if y.strip()) or sorted({k[0] for k in indicators}),
        labels=labels, units=units, geo_country={g: c for g, _, c in geo_rows},
        nuts3=[g for g, level, _ in geo_rows if level == "NUTS3"], indicators=indicators, sides=sides,
        age_jobs=age_jobs, age_bands=age_bands, reconciliation=reconciliation, sources=sources, points=read_points(),
        survival=survival, demography=demography, cases=cases)


# ---------------------------------------------------------------- formatting


def esc(value) -> str:
    """Any text, escaped for HTML (element content and quoted attributes)."""
    return html.escape(str(value), quote=True)


def fmt(value: float | None, lang: str, decimals: int = 0) -> str:
    """A number written the way readers of ``lang`` write it (thin space or dot for thousands, decimal comma)."""
    if value is None:
        return ""
    written = f"{value:,.{decimals}f}"
    if lang == "en":
        return written
    thousands = "\u202f" if lang == "fr" else "."
    return written.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)


def cell(value: Value, lang: str, unit: str, missing: str | None = None) -> str:
    """A table cell: the number, or a gap marked with its code (suppressed) or a dash (not available, or ``missing``
    when the caller knows why)."""
    if value.conf is not None:
        return (f'<td class="gap" data-sort="" title="{esc(conf_label(value.conf, lang))}">'
                f'<span class="code">{esc(value.conf)}</span></td>')
    if value.value is None:
        return f'<td class="gap" data-sort="" title="{esc(missing or text("not_available", lang))}">–</td>'
    suffix = " %" if unit == "percent" else ""
    return f'<td class="num" data-sort="{value.value!r}">{esc(fmt(value.value, lang, DECIMALS.get(unit, 1)))}{suffix}</td>'


def plot_text(value: str) -> str:
    """Text for plotly.js, which reads a few HTML tags in labels: escaped, so a label is never markup."""
    return html.escape(value, quote=False)


# ---------------------------------------------------------------- the charts


class Figures:
    """The page's charts, numbered; plotly.js goes inline into the first one only."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.count = 0
        self.suppressed: set[str] = set()  # conf_status codes shown as gaps

    def layout(self, fig: go.Figure, title: str, height: int = 420) -> None:
        fig.update_layout(title={"text": plot_text(title), "x": 0.01, "font": {"size": 15}}, template="plotly_white",
                          height=height, margin={"l": 60, "r": 20, "t": 60, "b": 50}, separators=SEPARATORS[self.lang],
                          legend={"orientation": "h", "y": -0.15}, font={"family": "system-ui, sans-serif"})

    def html(self, fig: go.Figure, gaps: Sequence[tuple[str, str]] = ()) -> str:
        """The chart's ``<div>`` (with plotly.js if first) and, under it, the list of its suppressed values."""
        self.count += 1
        div = fig.to_html(full_html=False, include_plotlyjs=self.count == 1, div_id=f"figure-{self.count}",
                          default_width="100%", default_height=f"{fig.layout.height or 420}px",
                          config={"displaylogo": False, "responsive": True})
        note = ""
        if gaps:
            self.suppressed.update(code for _, code in gaps)
            cells = "; ".join(f"{where} ({code})" for where, code in gaps)
            note = f'<p class="note gapnote">{esc(text("suppressed_here", self.lang, cells=cells))}</p>'
        return f'<figure class="chart">{div}{note}</figure>'


def _ys(values: Iterable[Value]) -> list[float | None]:
    """Plotly's y values: None (a gap) for a suppressed or missing value, never 0."""
    return [v.value for v in values]


def _side_name(data: ReportData, geo: str, lang: str) -> str:
    return plot_text(data.label("geo", geo, lang))


def compare_figure(data: ReportData, figures: Figures) -> str:
    lang, year = figures.lang, data.latest
    codes = [c for c in COMPARED_INDICATORS if (year, c) in data.sides]
    if not codes:
        return f'<p class="note">{esc(text("no_data", lang))}</p>'
    names = [plot_text(data.label("indicator", c, lang)) for c in codes]
    fig = go.Figure()
    gaps = []
    for i, (geo, colour) in enumerate(((FR_SIDE, FR_COLOUR), (BE_SIDE, BE_COLOUR))):
        values = [data.sides[(year, c)][i] for c in codes]
        gaps += [(f"{data.label('geo', geo, lang)}, {data.label('indicator', c, lang)}", v.conf)
                 for c, v in zip(codes, values, strict=True) if v.conf]
        fig.add_bar(y=names, x=_ys(values), orientation="h", name=_side_name(data, geo, lang), marker_color=colour,
                    hovertemplate="%{y}<br>%{x:.1f} %<extra>%{fullData.name}</extra>")
    figures.layout(fig, text("compare_title", lang, year=year))
    fig.update_layout(barmode="group", xaxis_title=text("percent_axis", lang),
                      yaxis={"automargin": True, "autorange": "reversed"})
    return figures.html(fig, gaps)


def age_figure(data: ReportData, figures: Figures) -> str:
    lang, year = figures.lang, data.latest
    fig = go.Figure()
    gaps = []
    bands = [plot_text(data.label("age_band", a, lang)) for a in data.age_bands]
    for geo, colour in ((FR_SIDE, FR_COLOUR), (BE_SIDE, BE_COLOUR)):
        total = data.age_jobs.get((year, geo, "TOTAL"), MISSING)
        shares = []
        for band in data.age_bands:
            jobs = data.age_jobs.get((year, geo, band), MISSING)
            conf = jobs.conf or total.conf
            if conf:
                gaps.append((f"{data.label('geo', geo, lang)}, {data.label('age_band', band, lang)}", conf))
            shares.append(Value(None if jobs.gap or total.gap or not total.value else 100 * jobs.value / total.value,
                                conf))
        fig.add_bar(x=bands, y=_ys(shares), name=_side_name(data, geo, lang), marker_color=colour,
                    hovertemplate="%{x}<br>%{y:.1f} %<extra>%{fullData.name}</extra>")
    figures.layout(fig, text("age_title", lang))
    fig.update_layout(barmode="group", yaxis_title=text("percent_axis", lang))
    return figures.html(fig, gaps)


def evolution_figure(data: ReportData, figures: Figures) -> str:
    from plotly.subplots import make_subplots

    lang = figures.lang
    codes = ("ess_jobs", "ess_share_of_jobs")
    fig = make_subplots(rows=1, cols=2, subplot_titles=[plot_text(data.label("indicator", c, lang)) for c in codes])
    gaps = []
    for geo, colour in ((FR_SIDE, FR_COLOUR), (BE_SIDE, BE_COLOUR), (AREA, "#444444")):
        for col, code in enumerate(codes, start=1):
            values = [data.indicator(y, geo, code) for y in data.years]
            gaps += [(f"{data.label('geo', geo, lang)}, {data.label('indicator', code, lang)}, {y}", v.conf)
                     for y, v in zip(data.years, values, strict=True) if v.conf]
            fig.add_scatter(x=data.years, y=_ys(values), mode="lines+markers", name=_side_name(data, geo, lang),
                            line={"color": colour}, legendgroup=geo, showlegend=col == 1, connectgaps=False,
                            row=1, col=col)
    figures.layout(fig, text("evolution_title", lang, first=min(data.years), last=max(data.years)))
    fig.update_xaxes(tickmode="array", tickvals=data.years, title_text=text("year", lang))
    fig.update_yaxes(rangemode="tozero")
    return figures.html(fig, gaps)


def map_figure(data: ReportData, figures: Figures) -> str:
    """The NUTS3 regions as points at their seats, on plain axes scaled for the latitude (no tiles, no topojson)."""
    lang, year = figures.lang, data.latest
    fig = go.Figure()
    gaps = []
    for geo_side, country, symbol in ((FR_SIDE, "FR", "circle"), (BE_SIDE, "BE", "square")):
        shown = [g for g in data.nuts3 if data.geo_country.get(g) == country and g in data.points]
        share = {g: data.indicator(year, g, "ess_share_of_jobs") for g in shown}
        jobs = {g: data.indicator(year, g, "ess_jobs") for g in shown}
        known = [g for g in shown if not share[g].gap and not jobs[g].gap]
        fig.add_scatter(
            x=[data.points[g][0] for g in known], y=[data.points[g][1] for g in known], mode="markers+text",
            textposition="top center", textfont={"size": 9, "color": "#444"},
            texttemplate=[plot_text(data.places.get(g, g)) for g in known],
            name=_side_name(data, geo_side, lang),
            text=[plot_text(data.label("geo", g, lang)) for g in known],
            customdata=[[fmt(jobs[g].value, lang), fmt(share[g].value, lang, 1)] for g in known],
            hovertemplate="%{text}<br>%{customdata[0]} · %{customdata[1]} %<extra></extra>",
            marker={"symbol": symbol, "size": [8 + 0.06 * math.sqrt(jobs[g].value) for g in known],
                    "color": [share[g].value for g in known], "coloraxis": "coloraxis",
                    "line": {"width": 1, "color": "#333"}})
        hidden = [g for g in shown if g not in known]
        why = {}
        for g in hidden:
            conf = share[g].conf or jobs[g].conf
            if conf:
                gaps.append((data.label("geo", g, lang), conf))
            why[g] = f"{conf}: {conf_label(conf, lang)}" if conf else text("not_available", lang)
        if hidden:
            fig.add_scatter(
                x=[data.points[g][0] for g in hidden], y=[data.points[g][1] for g in hidden], mode="markers",
                name=plot_text(f"{data.label('geo', geo_side, lang)}: {text('suppressed_legend', lang)}"),
                text=[plot_text(data.label("geo", g, lang)) for g in hidden],
                customdata=[plot_text(why[g]) for g in hidden], hovertemplate="%{text}<br>%{customdata}<extra></extra>",
                marker={"symbol": f"{symbol}-open", "size": 10, "color": GAP_COLOUR, "line": {"width": 2}})
    figures.layout(fig, text("map_title", lang), height=560)
    fig.update_layout(coloraxis={"colorscale": "Viridis", "colorbar": {"title": {"text": "%"}}},
                      plot_bgcolor="#f3f6f9", legend={"y": -0.05})
    fig.update_xaxes(visible=False)
    # One degree of latitude is 1/cos(latitude) times as long as one of longitude: keep the shapes.
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / math.cos(math.radians(50.2)))
    return figures.html(fig, gaps)


def _reconciliation_rows(data: ReportData) -> list[tuple[str, dict[str, Value]]]:
    """(component key, {side: value}) of the latest year, common total first and national total last."""
    year = data.latest
    by: dict[tuple[str, str], Value] = {}
    for row in data.reconciliation:
        if row["year"] == year:
            key = f"TOTAL_{row['definition']}" if row["component"] == "TOTAL" else row["component"]
            by[(key, row["geo"])] = _value(row["jobs"], row["conf_status"])
    keys = list(dict.fromkeys(k for k, _ in by))
    parts = sorted(k for k in keys if not k.startswith("TOTAL_"))
    ordered = [k for k in ("TOTAL_COMMON", *parts, "TOTAL_NATIONAL") if k in keys]
    return [(k, {geo: by.get((k, geo), MISSING) for geo in SIDES}) for k in ordered]


def _component(key: str, lang: str) -> str:
    return text(f"rec_{key}", lang) if f"rec_{key}" in STRINGS else key


def reconciliation_figure(data: ReportData, figures: Figures) -> str:
    lang = figures.lang
    rows = _reconciliation_rows(data)
    if not rows:
        return f'<p class="note">{esc(text("no_data", lang))}</p>'
    fig = go.Figure()
    gaps = []
    names = [plot_text(_component(k, lang)) for k, _ in rows]
    for geo, colour in ((FR_SIDE, FR_COLOUR), (BE_SIDE, BE_COLOUR)):
        values = [v[geo] for _, v in rows]
        gaps += [(f"{data.label('geo', geo, lang)}, {_component(k, lang)}", v.conf)
                 for (k, _), v in zip(rows, values, strict=True) if v.conf]
        fig.add_bar(y=names, x=_ys(values), orientation="h", name=_side_name(data, geo, lang), marker_color=colour)
    figures.layout(fig, text("reconciliation_title", lang, year=data.latest), height=440)
    fig.update_layout(barmode="group", xaxis_title=text("jobs", lang), yaxis={"autorange": "reversed",
                                                                            "automargin": True})
    return figures.html(fig, gaps)


def _family(data: ReportData, code: str, lang: str) -> str:
    """A family's label; ALL is every enterprise of the registries here, not the employers of the jobs tables."""
    return text("family_ALL_registry", lang) if code == "ALL" else data.label("family", code, lang)


def _survival_cohort(data: ReportData) -> int | None:
    """The cohort the section shows: the latest with a 3-year survival published on either side."""
    return max((cohort for cohort, horizon, _, _ in data.survival or {} if horizon == 3), default=None)


def _rate(row: Cohort | None) -> Value:
    return MISSING if row is None else _value(row.rate, None)


def _wrapped(label: str, width: int = 18) -> str:
    """A label for a category axis, escaped, on lines of about ``width`` characters (long ones would be turned)."""
    return "<br>".join(plot_text(line) for line in textwrap.wrap(label, width, break_long_words=False)) or plot_text(label)


def survival_figure(data: ReportData, figures: Figures, cohort: int, sides: Sequence[str]) -> str:
    """Survival at each horizon (a colour) of the cohort, by family, one panel per side; no row is a gap
    (mart.survival is not suppressed: a missing row is a horizon not reached yet or a family with no birth)."""
    from plotly.subplots import make_subplots

    lang, survival = figures.lang, data.survival or {}
    fig = make_subplots(rows=1, cols=len(sides), shared_yaxes=True,
                        subplot_titles=[_side_name(data, geo, lang) for geo in sides])
    families = [_wrapped(_family(data, f, lang)) for f in SURVIVAL_FAMILIES]
    for horizon in HORIZONS:
        name = text(f"horizon_{horizon}", lang)
        if not any(k[0] == cohort and k[1] == horizon for k in survival):
            name = f"{name} ({text('not_reached', lang)})"
        for col, geo in enumerate(sides, start=1):
            rows = [survival.get((cohort, horizon, geo, family)) for family in SURVIVAL_FAMILIES]
            fig.add_bar(x=families, y=_ys(_rate(row) for row in rows), name=plot_text(name),
                        marker_color=HORIZON_COLOURS[horizon], legendgroup=str(horizon), showlegend=col == 1,
                        customdata=["" if row is None else f"{fmt(row.survivors, lang)} / {fmt(row.births, lang)}"
                                    for row in rows],
                        hovertemplate="%{x}<br>%{y:.1f} % (%{customdata})<extra>%{fullData.name}</extra>",
                        row=1, col=col)
    figures.layout(fig, text("survival_chart_title", lang, cohort=cohort), height=460)
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 100])
    fig.update_yaxes(title_text=text("percent_axis", lang), col=1)
    return figures.html(fig)


def _cohort_table(data: ReportData, lang: str, sides: Sequence[str], cohorts: dict[tuple[str, str], Cohort],
                  table_id: str, caption: str) -> str:
    """Survivors / created and the rate at 3 years, by side and family (``cohorts``: by (geo, family)); a family
    without a cohort is a marked gap."""
    no_cohort = text("no_cohort", lang)
    head = "".join(f"<th>{esc(text(k, lang))}</th>" for k in ("side", "family", "survivors_of_cohort", "survival_3y"))
    rows = []
    for geo in sides:
        for i, family in enumerate(SURVIVAL_FAMILIES):
            row = cohorts.get((geo, family))
            counts = (f'<td class="num">{esc(fmt(row.survivors, lang))} / {esc(fmt(row.births, lang))}</td>'
                      if row else cell(MISSING, lang, "count", no_cohort))
            side = (f'<th scope="row" rowspan="{len(SURVIVAL_FAMILIES)}">{esc(data.label("geo", geo, lang))}</th>'
                    if i == 0 else "")
            rows.append(f"<tr>{side}<td>{esc(_family(data, family, lang))}</td>{counts}"
                        f"{cell(_rate(row), lang, 'percent', no_cohort)}</tr>")
    return (f'<table class="key" id="{table_id}"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _survival_table(data: ReportData, lang: str, cohort: int, sides: Sequence[str]) -> str:
    """The cohort's survivors / created and rate at 3 years, by side and family."""
    three = {(geo, family): row for (c, h, geo, family), row in (data.survival or {}).items() if c == cohort and h == 3}
    return _cohort_table(data, lang, sides, three, "survival-table",
                         text("survival_table_caption", lang, cohort=cohort))


def _pooled_survival_table(data: ReportData, lang: str, sides: Sequence[str]) -> str:
    """Survivors / enterprises created and the rate at 3 years over every cohort published at 3 years, by side and
    family: the comparison of a small family with all enterprises that one cohort is too small for."""
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    cohorts = [k[0] for k in data.survival or {} if k[1] == 3]
    for (_, horizon, geo, family), row in (data.survival or {}).items():
        if horizon == 3:
            births, survivors = sums.get((geo, family), (0, 0))
            sums[(geo, family)] = (births + row.births, survivors + row.survivors)
    pooled = {key: Cohort(births, survivors, 100 * survivors / births)
              for key, (births, survivors) in sums.items() if births}
    caption = text("pooled_caption", lang, first=min(cohorts), last=max(cohorts))
    return (f'<p>{esc(text("pooled_text", lang))}</p>'
            f'{_cohort_table(data, lang, sides, pooled, "pooled-survival-table", caption)}')


def _demography_table(data: ReportData, lang: str, year: int, sides: Sequence[str]) -> str:
    """Births, closures and the active stock of the year, by side and family."""
    demography = data.demography or {}
    head = "".join(f"<th>{esc(text(k, lang))}</th>" for k in ("side", "family", "births", "closures", "active_end"))
    rows = []
    for geo in sides:
        for i, family in enumerate(DEMOGRAPHY_FAMILIES):
            row = demography.get((year, geo, family))
            counts = [MISSING] * 3 if row is None else [_value(v, None) for v in row]
            side = (f'<th scope="row" rowspan="{len(DEMOGRAPHY_FAMILIES)}">{esc(data.label("geo", geo, lang))}'
                    "</th>" if i == 0 else "")
            rows.append(f"<tr>{side}<td>{esc(_family(data, family, lang))}</td>"
                        f"{''.join(cell(v, lang, 'count') for v in counts)}</tr>")
    return (f'<table class="key" id="demography-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _case_state(case: dict, lang: str) -> str:
    if case.get("state") == "active":
        return text("state_active", lang)
    if case.get("state") == "ceased":
        return text("state_ceased", lang, date=case.get("ceased_on") or "–")
    return text("state_unlinked", lang)


def _cases_table(data: ReportData, lang: str) -> str:
    """One row per case: what the partner reports, its registry state and its territory's 3-year survival."""
    # Two header rows: the jobs and the territory's survival each span three columns, keeping the table narrow.
    def th(key: str, span: str = "") -> str:
        return f"<th{span}>{esc(text(key, lang))}</th>"

    alone, group = ' scope="col" rowspan="2"', ' scope="colgroup" colspan="3"'
    head = ("<tr>" + "".join(th(k, alone) for k in ("case_name", "country", "case_kind", "year"))
            + th("jobs", group) + th("registry_state", alone) + th("territory", alone)
            + th("territory_survival", group) + "</tr><tr>"
            + "".join(th(k, ' scope="col"') for k in ("jobs_created", "jobs_saved", "jobs_consolidated", "cohort",
                                                       "family_ALL_registry", "its_family")) + "</tr>")
    not_reported = text("not_reported", lang)
    rows = []
    for case in data.cases or []:
        kind = case.get("kind") or ""
        geo = case.get("geo")
        territory = (f'{esc(data.label("geo", geo, lang))} <span class="code">{esc(geo)}</span>' if geo else "–")
        jobs = "".join(cell(_value(case.get(k), None), lang, "count", not_reported)
                       for k in ("jobs_created", "jobs_saved", "jobs_consolidated"))
        rates = "".join(cell(_value(case.get(k), None), lang, "percent")
                        for k in ("survival_rate_3y_all", "survival_rate_3y_family"))
        rows.append(f'<tr><th scope="row">{esc(case.get("name") or case.get("case_id"))}</th>'
                    f'<td>{esc(case.get("country") or "")}</td>'
                    f'<td>{esc(text(f"kind_{kind}", lang) if f"kind_{kind}" in STRINGS else kind)}</td>'
                    f'<td>{esc(case.get("year") or "")}</td>{jobs}<td>{esc(_case_state(case, lang))}</td>'
                    f'<td>{territory}</td><td>{esc(case.get("survival_cohort") or "–")}</td>{rates}</tr>')
    return (f'<div class="wide"><table class="key cases" id="cases-table"><thead>{head}</thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _side_notes(data: ReportData, shown: Sequence[str], lang: str, period: str) -> str:
    """A note for each side left out because it has no row for the period (Belgium: years the KBO chain missed)."""
    return "".join(f'<p class="note">{esc(text("side_missing", lang, side=data.label("geo", g, lang), period=period))}'
                   "</p>" for g in SIDES if g not in shown)


def _cooperatives(data: ReportData, figures: Figures) -> str:
    """The section of issue 15: cohort survival, births and closures, documented cases; each part says when the
    published database (an older publication) lacks its table."""
    lang = figures.lang
    not_published = f'<p class="note">{esc(text("coop_not_published", lang))}</p>'
    no_data = f'<p class="note">{esc(text("no_data", lang))}</p>'
    bias = text("registry_bias", lang)

    survival = f'<h3 id="survival">{esc(text("survival_title", lang))}</h3>'
    cohort = _survival_cohort(data)
    if data.survival is None:
        survival += not_published
    elif cohort is None:
        survival += no_data
    else:
        sides = [g for g in SIDES if any(k[0] == cohort and k[2] == g for k in data.survival)]
        survival += (f'<p>{esc(text("survival_text", lang, cohort=cohort))} {esc(bias)}</p>'
                     f"{survival_figure(data, figures, cohort, sides)}"
                     f'<p class="note">{esc(text("survival_gaps", lang))}</p>'
                     f'{_side_notes(data, sides, lang, text("period_cohort", lang, cohort=cohort))}'
                     f"{_survival_table(data, lang, cohort, sides)}{_pooled_survival_table(data, lang, sides)}")

    demography = f'<h3 id="demography">{esc(text("demography_title", lang))}</h3>'
    year = max((y for y, _, _ in data.demography or {}), default=None)
    if data.demography is None:
        demography += not_published
    elif year is None:
        demography += no_data
    else:
        sides = [g for g in SIDES if any(k[0] == year and k[1] == g for k in data.demography)]
        demography += (f'<p>{esc(text("demography_text", lang, year=year))} {esc(bias)}</p>'
                       f"{_side_notes(data, sides, lang, str(year))}{_demography_table(data, lang, year, sides)}")

    cases = f'<h3 id="cases">{esc(text("cases_title", lang))}</h3>'
    if data.cases:
        cases += f'<p>{esc(text("cases_text", lang))}</p>{_cases_table(data, lang)}'
    else:  # no mart.cases (an older publication) or no case file: either way, no case to show
        cases += f'<p class="note">{esc(text("no_cases", lang))}</p>'
    return (f'<section id="cooperatives"><h2>{esc(text("coop_title", lang))}</h2>{survival}{demography}{cases}'
            "</section>")


# ---------------------------------------------------------------- the page


def _key_figures(data: ReportData, lang: str) -> str:
    year = data.latest
    head = "".join(f"<th>{esc(data.label('geo', g, lang))}</th>" for g in (AREA, *SIDES))
    rows = []
    for code in KEY_INDICATORS:
        unit = data.units.get(code, "")
        cells = "".join(cell(data.indicator(year, g, code), lang, unit) for g in (AREA, *SIDES))
        rows.append(f"<tr><th scope=\"row\">{esc(data.label('indicator', code, lang))}</th>{cells}</tr>")
    return (f'<table class="key"><thead><tr><th>{esc(text("indicator", lang))}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _nuts3_table(data: ReportData, lang: str) -> str:
    year = data.latest
    head = [text("territory", lang), text("side", lang)] + [data.label("indicator", c, lang) for c in TABLE_INDICATORS]
    ths = "".join(f'<th scope="col" tabindex="0" aria-sort="none">{esc(h)}</th>' for h in head)
    rows = []
    for geo in data.nuts3:
        side = FR_SIDE if data.geo_country.get(geo) == "FR" else BE_SIDE
        cells = "".join(cell(data.indicator(year, geo, c), lang, data.units.get(c, "")) for c in TABLE_INDICATORS)
        rows.append(f'<tr><th scope="row" data-sort="{esc(data.label("geo", geo, lang))}">'
                    f'{esc(data.label("geo", geo, lang))} <span class="code">{esc(geo)}</span></th>'
                    f'<td data-sort="{esc(side)}" title="{esc(data.label("geo", side, lang))}">'
                    f'{esc(data.geo_country.get(geo, ""))}</td>{cells}</tr>')
    return (f'<table class="sortable" id="nuts3-table"><thead><tr>{ths}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def _reconciliation_table(data: ReportData, lang: str) -> str:
    rows = _reconciliation_rows(data)
    head = "".join(f"<th>{esc(data.label('geo', g, lang))}</th>" for g in SIDES)
    body = "".join(f"<tr><th scope=\"row\">{esc(_component(k, lang))}</th>"
                   f"{''.join(cell(v[g], lang, 'jobs') for g in SIDES)}</tr>" for k, v in rows)
    return (f'<table class="key"><thead><tr><th>{esc(text("component", lang))}</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


# The codes the legend always explains: C (today's single code) and the SDMX codes the publication is moving to.
LEGEND_CODES = ("C", "A", "O", "D")


def _legend(codes: set[str], lang: str) -> str:
    """The meaning of each suppression code: the usual ones, and any other code found in the page."""
    shown = [*LEGEND_CODES, *sorted(codes - set(LEGEND_CODES))]
    items = [f'<li><span class="code">{esc(c)}</span> {esc(conf_label(c, lang))}</li>' for c in shown]
    items.append(f'<li><span class="code">–</span> {esc(text("not_available", lang))}</li>')
    return (f'<section class="legend" id="gaps"><h2>{esc(text("gaps_title", lang))}</h2>'
            f'<p>{esc(text("gaps_text", lang))}</p><ul>{"".join(items)}</ul></section>')


def _sources(data: ReportData, lang: str) -> str:
    head = "".join(f"<th>{esc(text(k, lang))}</th>" for k in ("source", "producer", "period", "vintage", "retrieved",
                                                               "files", "licence"))
    rows = "".join(
        f"<tr><td>{esc(s['source_id'])}</td><td>{esc(s['producer'])}</td><td>{esc(s['period'])}</td>"
        f"<td>{esc(s['vintage'] or text('no_vintage', lang))}</td><td>{esc(s['retrieved'] or '')}</td>"
        f"<td class=\"num\">{s['files']}</td><td>{esc(s['licence'])}</td></tr>" for s in data.sources)
    return f'<table class="sources"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    function sort() {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      function key(row) { return row.cells[column].getAttribute("data-sort") || ""; }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === "" || y === "") { return x === y ? 0 : (x === "" ? 1 : -1); }  // gaps last, either way
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
});
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1.5rem 2rem; color: #222; }
header { border-bottom: 3px solid #1f5fa8; margin-bottom: 1rem; }
nav.languages a { margin-right: .6rem; } nav.languages a[aria-current] { font-weight: bold; text-decoration: none; }
.synthetic { background: #fff3cd; border: 2px solid #c98a00; padding: .7rem 1rem; margin: 1rem 0; }
.synthetic strong { text-transform: uppercase; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .92rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.num, td.gap { text-align: right; font-variant-numeric: tabular-nums; }
td.gap { background: repeating-linear-gradient(135deg, #f4f4f4, #f4f4f4 4px, #e6e6e6 4px, #e6e6e6 8px); color: #555; }
.code { font-family: ui-monospace, monospace; font-size: .8em; color: #555; }
table.sortable thead th { cursor: pointer; background: #f3f6f9; }
table.sortable thead th[aria-sort=ascending]::after { content: " ▲"; }
table.sortable thead th[aria-sort=descending]::after { content: " ▼"; }
figure.chart { margin: 1rem 0; } .note { color: #555; font-size: .9rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; } .wide { overflow-x: auto; }
table.cases { font-size: .82rem; } table.cases th, table.cases td { padding: .25rem .3rem; }
.legend ul { list-style: none; padding-left: 0; } .legend li { margin: .2rem 0; }
footer { border-top: 1px solid #ccc; margin-top: 2rem; font-size: .88rem; }
"""


def file_name(lang: str) -> str:
    return f"report-{lang}.html"


def render(data: ReportData, lang: str) -> tuple[str, int]:
    """The page in ``lang`` and the number of charts in it."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    figures = Figures(lang)
    year = data.latest
    years = f"{min(data.years)}–{max(data.years)}" if len(data.years) > 1 else str(year)
    current = ' aria-current="page"'
    languages = " ".join(f'<a href="{file_name(code)}" hreflang="{code}" lang="{code}"'
                         f'{current if code == lang else ""}>{code.upper()}</a>' for code in LANGUAGES)
    synthetic = (f'<div class="synthetic" role="note"><strong>{esc(text("synthetic_title", lang))}</strong> — '
                 f'{esc(text("synthetic_text", lang))}<br><span lang="en">{esc(data.notice)}</span></div>'
                 if data.synthetic else "")
    suppressed_key = {v.conf for k, v in data.indicators.items() if k[0] == year and v.conf}
    sections = [
        f'<section id="key"><h2>{esc(text("key_title", lang, year=year))}</h2><p>{esc(text("key_text", lang))}</p>'
        f"{_key_figures(data, lang)}</section>",
        f'<section id="compare"><h2>{esc(text("compare_title", lang, year=year))}</h2>'
        f'<p>{esc(text("compare_text", lang))}</p>{compare_figure(data, figures)}{age_figure(data, figures)}</section>',
        f'<section id="evolution"><h2>{esc(text("evolution_title", lang, first=min(data.years), last=max(data.years)))}'
        f'</h2><p>{esc(text("evolution_text", lang))}</p>{evolution_figure(data, figures)}</section>',
        f'<section id="nuts3"><h2>{esc(text("nuts3_title", lang, count=len(data.nuts3), year=year))}</h2>'
        f'{map_figure(data, figures)}<p class="note">{esc(text("map_note", lang))}</p>'
        f'<p class="note">{esc(text("nuts3_text", lang))}</p>{_nuts3_table(data, lang)}</section>',
        _cooperatives(data, figures),
        f'<section id="reconciliation"><h2>{esc(text("reconciliation_title", lang, year=year))}</h2>'
        f'<p>{esc(text("reconciliation_text", lang))}</p>{reconciliation_figure(data, figures)}'
        f"{_reconciliation_table(data, lang)}</section>",
    ]
    legend = _legend(figures.suppressed | suppressed_key, lang)
    built = text("built", lang, built_at=data.built_at, code_version=data.code_version,
                 years=", ".join(map(str, data.years)))
    footer = (f'<footer><h2>{esc(text("sources_title", lang))}</h2>{_sources(data, lang)}<p>{esc(built)}</p>'
              f'<p class="notice"><span lang="en">{esc(data.notice)}</span></p></footer>')
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(text("title", lang))}</title>
<style>{STYLE}</style>
</head>
<body data-figures="{figures.count}" data-synthetic="{str(data.synthetic).lower()}">
<header><nav class="languages" aria-label="{esc(text("languages", lang))}">{languages}</nav>
<h1>{esc(text("title", lang))}</h1><p>{esc(text("subtitle", lang, years=years))}</p></header>
{synthetic}
<main>
{"".join(sections)}
{legend}
</main>
{footer}
<script>{SORT_SCRIPT}</script>
</body>
</html>
"""
    return page, figures.count


@dataclass(frozen=True)
class ReportFile:
    language: str
    path: Path
    size_bytes: int
    figures: int


def _write_atomically(path: Path, content: str) -> None:
    """Write beside ``path`` under a temporary name, then rename into place in one step. The page gets the usual
    permissions of a new file (the umask's), readable by a web server, unlike a ``tempfile`` (owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_reports(published: str | Path, out_dir: str | Path,
                  languages: Sequence[str] = LANGUAGES) -> list[ReportFile]:
    """Write one page per language of ``languages`` from the published database into ``out_dir``."""
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language(s) {', '.join(unknown)}: choose among {', '.join(LANGUAGES)}")
    data = read_data(published)
    written = []
    for lang in languages:
        page, count = render(data, lang)
        path = Path(out_dir) / file_name(lang)
        _write_atomically(path, page)
        written.append(ReportFile(lang, path, path.stat().st_size, count))
    return written


def summary(files: Sequence[ReportFile]) -> dict:
    """The written pages as plain data (for Dagster metadata and the command's output)."""
    return {f.language: {"path": str(f.path), "size_bytes": f.size_bytes, "figures": f.figures} for f in files}

