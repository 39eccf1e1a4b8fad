"""Deterministic generator of the SYNTHETIC embedded sample, in the producers' real file formats.

``generate_sample(out_dir)`` writes, under ``out_dir``::

    fr/sirene/StockUniteLegale_utf8.zip, StockEtablissement_utf8.zip     INSEE SIRENE stock, format 3.11
    fr/flores/flores_postes_<YYYY>.csv, flores_etablissements_<YYYY>.csv  INSEE FLORES delivery (contracts.md)
    be/kbo/KboOpenData_0130_2025_01_Full.zip                              KBO/BCE open data, full extract
    be/onss/onss_postes_<YYYY>Q4.csv, onss_unites_<YYYY>Q4.csv            ONSS delivery (contracts.md)

each with a ``<file name>.origin.json`` sidecar saying it is synthetic, and a ``README.md``. The figures are
invented; only the formats, the codes and the orders of magnitude are meant to look like the real ones.

Same ``seed`` and ``scale`` give byte-identical files: one ``random.Random`` stream per part, seeded from
``seed`` (never the global generator), fixed timestamps (ZIP entries included), sorted output, and only
arithmetic and ``sqrt`` on floats (no transcendental functions, whose last bit may differ between C
libraries). ``scale`` multiplies the number of rows and entities: the registries get
``scale`` times more units, the deliveries get finer cells (more communes, smaller keys) over the same,
realistic, job totals. The code lists come from ``observatory/nomenclatures`` so that the sample and the
harmonisation agree. Plain Python (stdlib only), no Dagster.

    python -m observatory.sample --out data/raw [--scale 10] [--seed N]
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import math
import random
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

NOMENCLATURES = Path(__file__).parent / "nomenclatures"
# The producer's own code list (observatory/reference/README.md): the sample's KBO code.csv is this file, byte for
# byte, and every juridical form and NACE-BEL code the sample writes must be in it.
KBO_CODE_LIST = Path(__file__).parent / "reference" / "kbo" / "code.csv"
DEFAULT_YEARS = (2022, 2023, 2024)
DEFAULT_SEED = 20260101
RETRIEVED = "2025-01-01"
SNAPSHOT = date(2024, 12, 31)
NOTE = "SYNTHETIC sample in the producer's real format; not real figures"

SIRENE_FOLDER = Path("fr") / "sirene"
FLORES_FOLDER = Path("fr") / "flores"
KBO_FOLDER = Path("be") / "kbo"
ONSS_FOLDER = Path("be") / "onss"
KBO_ZIP = "KboOpenData_0130_2025_01_Full.zip"
KBO_TIMESTAMP = (2025, 1, 1, 7, 7, 49)
SIRENE_TIMESTAMP = (2025, 1, 1, 4, 12, 0)

# Producer, URL and licence recorded in each sidecar (sources-fr.md, sources-be.md, contracts.md).
SIRENE_PRODUCER = "INSEE (Sirene)"
SIRENE_LICENCE = "Licence Ouverte / Etalab 2.0"
SIRENE_URLS = {
    "StockUniteLegale": "https://www.data.gouv.fr/datasets/r/825f4199-cadd-486c-ac46-a65a8ea1a047",
    "StockEtablissement": "https://www.data.gouv.fr/datasets/r/0651fb76-bcf3-4f6a-a38d-bc04fa708576",
}
FLORES_PRODUCER = "INSEE (FLORES), extraction delivered under agreement"
ONSS_PRODUCER = "ONSS/RSZ (social-security data warehouse), extraction delivered under agreement"
AGREEMENT_URL = "delivered under agreement"
AGREEMENT_LICENCE = (
    "Restricted: delivered under a data-sharing agreement; publish only disclosure-controlled aggregates"
)
KBO_PRODUCER = (
    "SPF Economie / FOD Economie (Banque-Carrefour des Entreprises / Kruispuntbank van Ondernemingen)"
)
KBO_URL = f"https://kbopub.economie.fgov.be/kbo-open-data/affiliation/xml/files/{KBO_ZIP}"
KBO_LICENCE = "KBO Open data licence (free registration)"

# ------------------------------------------------------------------------------------------------------------
# Headers, exactly as in the references
# ------------------------------------------------------------------------------------------------------------
def _columns(text: str) -> list[str]:
    return text.split(",")


SIRENE_UNIT_HEADER = _columns(
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
    "sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,"
    "prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,"
    "trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,"
    "nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,"
    "etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,"
    "denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,"
    "nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale"
)
SIRENE_ESTABLISHMENT_HEADER = _columns(
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,"
    "dateDernierTraitementEtablissement,"
    "etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,numeroVoieEtablissement,"
    "indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,"
    "indiceRepetitionDernierNumeroVoieEtablissement,"
    "typeVoieEtablissement,libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,"
    "codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,"
    "libellePaysEtrangerEtablissement,"
    "identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,"
    "complementAdresse2Etablissement,numeroVoie2Etablissement,indiceRepetition2Etablissement,"
    "typeVoie2Etablissement,"
    "libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,"
    "libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,codeCommune2Etablissement,"
    "codeCedex2Etablissement,libelleCedex2Etablissement,codePaysEtranger2Etablissement,"
    "libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,enseigne1Etablissement,"
    "enseigne2Etablissement,enseigne3Etablissement,denominationUsuelleEtablissement,"
    "activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,"
    "caractereEmployeurEtablissement,activitePrincipaleNAF25Etablissement"
)
FLORES_JOBS_HEADER = ["ANNEE", "DEPCOM", "CJ", "APET", "SEXE", "TRAGE", "POSTES", "EQTP"]
FLORES_UNITS_HEADER = ["ANNEE", "DEPCOM", "CJ", "APET", "NBETAB", "POSTES_MAX_ETAB"]
ONSS_JOBS_HEADER = ["TRIMESTRE", "REFNIS", "FORME_JURIDIQUE", "AGREMENT", "NACE_VERSION", "NACE", "SEXE",
                    "CLASSE_AGE", "POSTES", "ETP"]
ONSS_UNITS_HEADER = ["TRIMESTRE", "REFNIS", "FORME_JURIDIQUE", "AGREMENT", "NACE_VERSION", "NACE",
                     "NB_UNITES", "POSTES_MAX_UNITE"]
KBO_HEADERS = {
    "meta.csv": ["Variable", "Value"],
    "code.csv": ["Category", "Code", "Language", "Description"],
    "enterprise.csv": ["EnterpriseNumber", "Status", "JuridicalSituation", "TypeOfEnterprise",
                       "JuridicalForm", "JuridicalFormCAC", "StartDate"],
    "establishment.csv": ["EstablishmentNumber", "StartDate", "EnterpriseNumber"],
    "denomination.csv": ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"],
    "address.csv": ["EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "MunicipalityNL",
                    "MunicipalityFR", "StreetNL", "StreetFR", "HouseNumber", "Box", "ExtraAddressInfo",
                    "DateStrikingOff"],
    "contact.csv": ["EntityNumber", "EntityContact", "ContactType", "Value"],
    "activity.csv": ["EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"],
    "branch.csv": ["Id", "StartDate", "EnterpriseNumber"],
}


# ------------------------------------------------------------------------------------------------------------
# Code lists of the project (read, never written)
# ------------------------------------------------------------------------------------------------------------
def _read_nomenclature(name: str) -> list[dict[str, str]]:
    with (NOMENCLATURES / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Codes:
    """What the generator takes from ``observatory/nomenclatures``."""

    fr_dep_nuts3: dict[str, str]  # area départements -> NUTS3
    fr_departments: set[str]  # every known département code
    be_arr_nuts3: dict[str, str]  # area arrondissements -> NUTS3
    be_arrondissements: set[str]
    be_postcodes: dict[str, list[str]]  # NUTS3 -> postcodes
    be_postcode_set: set[str]
    fr_level2: set[str]
    exclusions: list[str]
    divisions: set[str]
    a10: list[tuple[str, int, int]]
    flores_ages: list[str]
    onss_ages: list[str]
    flores_sex: dict[str, str]  # published sex -> source code
    onss_sex: dict[str, str]
    area_nuts3: list[str]

    def fr_family(self, cj: str) -> str:
        return SAMPLE_FR_FAMILIES.get(cj, "")

    def excluded(self, nace_class: str) -> bool:
        return any(nace_class.startswith(prefix) for prefix in self.exclusions)

    def a10_of(self, division: str) -> str:
        for code, low, high in self.a10:
            if low <= int(division) <= high:
                return code
        return ""


def load_codes() -> Codes:
    deps = _read_nomenclature("fr_departments")
    arrs = _read_nomenclature("be_arrondissements")
    postcodes: dict[str, list[str]] = {}
    for row in _read_nomenclature("be_postcode_nuts3"):
        postcodes.setdefault(row["nuts3"], []).append(row["postcode"])
    ages = _read_nomenclature("age_classes")
    sexes = _read_nomenclature("sex_codes")
    return Codes(
        fr_dep_nuts3={r["dep"]: r["nuts3"] for r in deps if r["in_area"] == "true"},
        fr_departments={r["dep"] for r in deps},
        be_arr_nuts3={r["arrondissement"]: r["nuts3"] for r in arrs if r["in_area"] == "true"},
        be_arrondissements={r["arrondissement"] for r in arrs},
        be_postcodes={k: sorted(v) for k, v in postcodes.items()},
        be_postcode_set={p for v in postcodes.values() for p in v},
        fr_level2={r["code2"] for r in _read_nomenclature("fr_legal_categories_level2")},
        exclusions=[r["nace_prefix"] for r in _read_nomenclature("activity_exclusions")],
        divisions={r["division"] for r in _read_nomenclature("nace_divisions")},
        a10=[(r["nace_a10"], int(r["division_from"]), int(r["division_to"]))
             for r in _read_nomenclature("nace_a10") if r["division_from"]],
        flores_ages=[r["source_class"] for r in ages if r["source_system"] == "flores"],
        onss_ages=[r["source_class"] for r in ages if r["source_system"] == "onss"],
        flores_sex={r["sex"]: r["source_code"] for r in sexes if r["source_system"] == "flores"},
        onss_sex={r["sex"]: r["source_code"] for r in sexes if r["source_system"] == "onss"},
        area_nuts3=[r["geo"] for r in _read_nomenclature("geo") if r["geo_level"] == "NUTS3"],
    )


# What the sample MEANS each legal form it uses to be, stated here from the producers' own labels (INSEE's list,
# the KBO code.csv) and deliberately NOT read from fr_legal_forms.csv / be_legal_forms.csv: a sample derived from the
# mappings agrees with them by construction and cannot catch a wrong one (issue 9). It only shapes the synthetic
# magnitudes (ESS growth, ESS flags, names); the build classifies with the mappings, and the tests compare.
SAMPLE_FR_FAMILIES = {
    "9220": "ASSOC",  # Association déclarée
    "9221": "ASSOC",  # Association déclarée d'insertion par l'économique
    "9222": "ASSOC",  # Association intermédiaire
    "9230": "ASSOC",  # Association déclarée, reconnue d'utilité publique
    "9240": "ASSOC",  # Congrégation
    "5192": "COOP",  # Société coopérative de banque populaire
    "5194": "COOP",  # Caisse (fédérale) de crédit mutuel
    "5196": "COOP",  # Caisse d'épargne et de prévoyance à forme coopérative
    "5432": "COOP",  # SARL d'intérêt collectif agricole (SICA)
    "5458": "COOP",  # SARL coopérative de production (SCOP)
    "5459": "COOP",  # SARL union de sociétés coopératives
    "5460": "COOP",  # Autre SARL coopérative
    "5551": "COOP",  # SA coopérative de consommation à conseil d'administration
    "6316": "COOP",  # Coopérative d'utilisation de matériel agricole en commun (CUMA)
    "6317": "COOP",  # Société coopérative agricole
    "6411": "MUTUAL",  # Société d'assurance à forme mutuelle
    "8210": "MUTUAL",  # Mutuelle
    "8250": "MUTUAL",  # Assurance mutuelle agricole
    "8290": "MUTUAL",  # Autre organisme mutualiste
    "9300": "FOUND",  # Fondation
}
# KBO juridical form (and ONSS accreditation) -> what the sample means it to be (labels of the real code.csv).
SAMPLE_BE_FAMILIES = {
    ("017", ""): "ASSOC",  # Association sans but lucratif
    ("125", ""): "ASSOC",  # Association internationale sans but lucratif
    ("026", ""): "FOUND",  # Fondation privée
    ("029", ""): "FOUND",  # Fondation d'utilité publique
    ("019", ""): "MUTUAL",  # Mutualité / Société Mutualiste / Union nationale de mutualités
    ("021", ""): "MUTUAL",  # Association d'assurances mutuelles / Caisse commune d'assurances de droit privé
    ("706", ""): "COOP",  # Société coopérative
    ("706", "CNC"): "COOP", ("706", "CNC+ES"): "COOP",
    ("001", ""): "COOP",  # Société coopérative européenne
    ("008", "CNC"): "COOP",  # pre-2019 cooperative accredited by the Conseil National de la Coopération
    ("508", ""): "SOCENT", ("608", ""): "SOCENT",  # Société coopérative à responsabilité limitée à finalité sociale
    ("610", "ES"): "SOCENT",  # a company accredited as social enterprise
}


# ------------------------------------------------------------------------------------------------------------
# Strata: which employers exist, how many jobs they hold, who holds them
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stratum:
    legal: str  # CJ (France) or KBO juridical form (Belgium)
    accreditation: str  # Belgium: "", CNC, ES, CNC+ES
    activity: str  # APET without dot (France) or NACE-BEL 2008, 5 digits (Belgium)
    share: float  # % of the side's jobs
    women: float  # share of jobs held by women
    age: str  # Y young, S standard, O older age profile
    size: int  # typical jobs per establishment unit
    fte: float  # FTE per job
    urban: bool  # concentrated in the largest communes
    ess: bool  # ESS family (ASSOC, COOP, MUTUAL, FOUND) under the common definition's forms


def _parse_strata(text: str) -> list[Stratum]:
    strata = []
    for line in text.strip().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        legal, accreditation, activity, share, women, age, size, fte, urban = line.split()
        strata.append(Stratum(legal, "" if accreditation == "-" else accreditation, activity, float(share),
                              float(women), age, int(size), float(fte), urban == "u", False))
    return strata


# France. pct = % of all salaried jobs of the area; women = share of women; age Y/S/O; size = jobs per
# establishment; fte = FTE per job; u = urban (largest communes). Families come from fr_legal_forms.csv.
FR_STRATA = _parse_strata("""
# cj  -  apet   pct   women age size fte  urban
9220  -  8810A  1.30  0.93  O   60  0.62 .   # associations: home help
9220  -  8810C  0.70  0.45  S   90  0.88 .   # sheltered work (ESAT)
9220  -  8720A  0.80  0.75  S   40  0.86 .
9220  -  8730A  0.40  0.88  O   45  0.80 .
9220  -  8710A  0.45  0.88  O   70  0.82 .
9220  -  8899B  0.65  0.75  S   25  0.78 .
9220  -  8891A  0.35  0.95  S   15  0.80 .
9220  -  8610Z  0.55  0.80  S  400  0.86 u
9230  -  8790A  0.20  0.75  S   35  0.85 .
9220  -  8531Z  1.00  0.62  O   50  0.84 .
9220  -  8520Z  0.30  0.80  O   15  0.80 .
9220  -  8559A  0.55  0.60  O   20  0.80 u
9220  -  9312Z  0.45  0.35  Y    6  0.50 .
9220  -  9499Z  0.80  0.62  O    8  0.65 .
9220  -  9001Z  0.25  0.45  S    8  0.65 u
9220  -  8551Z  0.10  0.40  Y    6  0.55 .
9220  -  5629B  0.10  0.60  S   20  0.75 .
9220  -  7990Z  0.05  0.60  S    8  0.80 u
9221  -  8121Z  0.12  0.55  S   20  0.70 .   # insertion through economic activity
9221  -  0113Z  0.04  0.30  S   15  0.80 .
9221  -  3832Z  0.05  0.25  S   20  0.85 .
9221  -  4339Z  0.04  0.05  S   15  0.85 .
9222  -  7830Z  0.10  0.55  S   30  0.40 .
9220  -  5520Z  0.05  0.60  Y   10  0.75 .
9220  -  4779Z  0.03  0.60  S    8  0.75 .
9220  -  5814Z  0.02  0.50  S    6  0.80 u
9220  -  6399Z  0.01  0.40  S    5  0.85 u
9220  -  6820B  0.03  0.60  S    8  0.85 .
9220  -  7219Z  0.04  0.50  S   20  0.90 u
9220  -  7022Z  0.03  0.60  S    6  0.85 u
9220  -  9411Z  0.12  0.55  O   15  0.88 u   # excluded activities held by ESS units
9220  -  9420Z  0.10  0.50  O   15  0.88 u
9220  -  9491Z  0.08  0.45  O    4  0.70 .
9240  -  9491Z  0.02  0.70  O    3  0.80 .
9220  -  8411Z  0.04  0.60  O   20  0.90 u
5192  -  6419Z  0.31  0.60  S   30  0.92 u   # cooperatives
5196  -  6419Z  0.19  0.62  S   30  0.92 u
5194  -  6419Z  0.15  0.60  S   20  0.92 .
6317  -  4621Z  0.19  0.30  S   40  0.95 .
6317  -  1051A  0.10  0.35  S  120  0.96 .
6316  -  0161Z  0.03  0.10  S    3  0.90 .
5458  -  4321A  0.06  0.10  S   15  0.96 .
5458  -  7112B  0.05  0.35  S   12  0.93 u
5551  -  4711D  0.05  0.60  Y   30  0.75 .
5460  -  6201Z  0.03  0.30  S   10  0.95 u
5432  -  8899B  0.04  0.75  S   20  0.80 .
5459  -  6820A  0.01  0.55  S   15  0.90 u
8210  -  6512Z  0.19  0.72  S   40  0.90 u   # mutual societies
8210  -  8610Z  0.12  0.80  S  150  0.86 u
8210  -  8623Z  0.06  0.85  S    8  0.85 .
8210  -  4778A  0.04  0.70  S    4  0.85 .
8290  -  8710A  0.09  0.85  O   60  0.82 .
6411  -  6512Z  0.19  0.60  S   80  0.93 u
8250  -  6512Z  0.07  0.65  O   60  0.92 .
9300  -  8610Z  0.15  0.80  S  300  0.86 u   # foundations
9300  -  8720A  0.10  0.75  S   40  0.86 .
9300  -  7219Z  0.03  0.50  S   30  0.92 u
9300  -  9102Z  0.02  0.55  S   10  0.85 u
9300  -  8899B  0.05  0.75  S   20  0.80 .
7210  -  8411Z  5.50  0.60  O   80  0.88 .   # public bodies
7220  -  8411Z  1.00  0.65  O  300  0.92 u
7230  -  8411Z  0.30  0.60  O  400  0.93 u
7312  -  8411Z  0.10  0.60  O    8  0.85 .
7172  -  8411Z  2.50  0.50  O  200  0.95 u
7172  -  8531Z  3.00  0.68  O   60  0.88 .
7172  -  8520Z  2.00  0.85  O   15  0.88 .
7364  -  8610Z  4.50  0.80  S 1200  0.88 u
7361  -  8899B  0.60  0.88  O   30  0.80 .
7383  -  8542Z  0.60  0.50  S  400  0.90 u
4110  -  4931Z  0.30  0.20  O  150  0.95 u
1000  -  1071C  0.60  0.60  Y    4  0.82 .   # individual entrepreneurs
1000  -  8621Z  0.40  0.90  S    2  0.70 .
1000  -  4773Z  0.60  0.85  S    7  0.80 .
1000  -  5610A  0.60  0.50  Y    4  0.70 .
1000  -  9602A  0.40  0.85  Y    3  0.75 .
1000  -  4322A  0.40  0.10  S    3  0.92 .
1000  -  0150Z  0.50  0.30  S    2  0.85 .
1000  -  4520A  0.30  0.15  S    3  0.92 .
1000  -  6920Z  0.10  0.75  S    4  0.85 .
5499  -  0111Z  0.20  0.25  S    3  0.88 .   # companies: agriculture
6598  -  0150Z  0.60  0.30  S    3  0.88 .
6533  -  0150Z  0.20  0.25  S    4  0.90 .
5710  -  1013A  1.10  0.40  S  150  0.95 .   # industry
5710  -  2910Z  1.80  0.20  S 1500  0.98 u
5599  -  2410Z  0.60  0.10  O  800  0.98 u
5710  -  2562B  1.40  0.15  S   25  0.96 .
5710  -  2014Z  0.80  0.30  S  150  0.97 u
5599  -  3511Z  0.50  0.30  O  300  0.97 u
5710  -  3811Z  0.60  0.15  S   40  0.96 .
5499  -  1071A  0.50  0.50  S   40  0.92 .
5710  -  2222Z  0.80  0.30  S   80  0.96 .
5710  -  2313Z  0.60  0.20  O 2000  0.97 u
5710  -  1081Z  0.30  0.20  O  200  0.96 .
5499  -  3312Z  0.60  0.10  S   10  0.96 .
5710  -  1721A  0.40  0.25  S   90  0.97 .
5710  -  1320Z  0.30  0.45  O   60  0.94 .
5710  -  2829B  0.50  0.20  S   50  0.97 .
5599  -  3600Z  0.20  0.30  O   80  0.96 u
5710  -  2711Z  0.30  0.25  S  150  0.97 .
5710  -  3109B  0.30  0.25  S   30  0.95 .
5710  -  1051A  0.40  0.35  S  200  0.96 .
5710  -  3020Z  0.40  0.12  S  900  0.98 u
5710  -  1039A  0.30  0.45  S  120  0.94 .
5710  -  1610A  0.30  0.10  S   20  0.96 .
5499  -  4321A  1.60  0.10  S    8  0.95 .   # construction
5710  -  4120A  1.40  0.12  S   20  0.96 .
5499  -  4399C  0.90  0.05  S    8  0.95 .
5710  -  4211Z  0.60  0.10  S   50  0.97 .
5499  -  4332A  0.80  0.08  S    6  0.95 .
5710  -  4334Z  0.50  0.08  S    8  0.94 .
5499  -  4312A  0.40  0.08  S   10  0.95 .
5710  -  4711F  2.80  0.60  Y  250  0.78 u   # trade, transport, accommodation, food
5710  -  4711D  1.60  0.60  Y   40  0.76 .
5499  -  4771Z  1.00  0.75  Y    5  0.75 .
5710  -  4690Z  1.60  0.35  S   20  0.94 .
5710  -  4639B  0.60  0.40  S   40  0.94 .
5499  -  4511Z  1.20  0.25  S   15  0.95 .
5710  -  4941A  1.80  0.12  S   25  0.96 .
5710  -  5229B  0.60  0.40  S   25  0.94 u
5710  -  5210B  1.60  0.25  Y  100  0.92 .
5599  -  5310Z  0.80  0.50  O   80  0.90 .
5599  -  4910Z  0.70  0.20  O  200  0.96 u
5710  -  4931Z  0.50  0.20  O  150  0.94 u
5499  -  5610A  2.00  0.50  Y    8  0.70 .
5710  -  5610C  1.20  0.55  Y   20  0.60 .
5710  -  5510Z  0.50  0.55  Y   20  0.80 u
5499  -  4726Z  0.20  0.60  S    3  0.85 .
5710  -  4752B  0.60  0.35  S   40  0.88 .
5710  -  4730Z  0.30  0.55  Y   10  0.85 .
5499  -  5630Z  0.30  0.55  Y    4  0.65 .
5710  -  6202A  0.90  0.30  S   30  0.96 u   # information and communication
5710  -  6201Z  0.50  0.25  S   20  0.96 u
5599  -  6110Z  0.30  0.35  S  200  0.97 u
5710  -  5813Z  0.20  0.45  O  150  0.92 u
5710  -  6311Z  0.20  0.35  S   40  0.96 u
5710  -  6020A  0.10  0.45  S   80  0.93 u
5599  -  6419Z  1.30  0.60  O   25  0.92 u   # finance
5599  -  6511Z  0.40  0.62  S  150  0.93 u
5710  -  6622Z  0.40  0.65  S    5  0.90 .
5599  -  6512Z  0.40  0.60  S  100  0.93 u
5710  -  6831Z  0.40  0.65  S    4  0.92 .   # real estate
5599  -  6820A  0.60  0.55  S   80  0.93 u
6540  -  6820B  0.05  0.50  S    1  0.70 .
5499  -  6832A  0.20  0.70  S    8  0.90 u
5710  -  7820Z  3.00  0.30  Y   60  0.75 u   # business services
5710  -  8121Z  2.00  0.60  O   40  0.62 .
5499  -  6920Z  0.50  0.70  S   12  0.90 .
5710  -  7022Z  0.50  0.45  S   10  0.94 u
5710  -  7112B  0.60  0.30  S   20  0.96 u
5710  -  8010Z  0.80  0.15  S   50  0.90 .
5710  -  8220Z  0.50  0.65  Y  200  0.85 u
5710  -  7711A  0.20  0.30  S   12  0.94 .
5499  -  7490B  0.20  0.40  S    5  0.90 .
5710  -  7311Z  0.20  0.50  S   10  0.93 u
5710  -  8130Z  0.30  0.15  S    8  0.92 .
5499  -  6910Z  0.20  0.80  S    6  0.90 u
5710  -  7219Z  0.20  0.40  S   60  0.96 u
5710  -  8710A  1.00  0.88  O   70  0.82 .   # private health and care
5710  -  8610Z  0.80  0.80  S  250  0.88 u
5499  -  8690A  0.30  0.30  S   12  0.90 .
5710  -  8559A  0.30  0.60  S   15  0.80 u
5710  -  8810A  0.30  0.92  O   50  0.60 .
5499  -  8623Z  0.20  0.85  S    5  0.85 .
5710  -  9329Z  0.20  0.45  Y   15  0.70 .   # other services
5499  -  9602A  0.40  0.85  Y    4  0.78 .
5710  -  9601B  0.20  0.70  S   30  0.90 .
5710  -  9200Z  0.10  0.45  S   20  0.80 u
5710  -  9313Z  0.10  0.45  Y   10  0.65 u
8410  -  9420Z  0.10  0.50  O   10  0.88 u   # trade unions, works councils, co-owners
8310  -  9499Z  0.05  0.55  O    5  0.80 .
9110  -  8110Z  0.05  0.50  O    1  0.60 .
""")

# Belgium: same columns; the legal column is the KBO juridical form (CAC form where the KBO has one), the
# second the accreditation in the ONSS delivery (CNC, ES, CNC+ES), the activity the NACE-BEL 2008 code.
BE_STRATA = _parse_strata("""
# form accr  nace   pct   women age size fte  urban
017  -       87301  1.70  0.86  O   60  0.78 .   # ASBL/VZW: rest and care homes
017  -       86101  1.60  0.78  S  600  0.84 u
017  -       88101  1.00  0.93  O   70  0.62 .
017  -       88911  0.50  0.96  S   15  0.80 .
017  -       88999  0.80  0.68  S   35  0.78 .
017  -       87201  0.60  0.74  S   40  0.82 .
017  -       85201  1.10  0.82  O   25  0.85 .
017  -       85311  1.00  0.62  O   60  0.85 .
017  -       85599  0.35  0.60  S   15  0.75 u
017  -       93129  0.25  0.35  Y    6  0.55 .
017  -       94991  0.45  0.62  O    8  0.70 .
017  -       90011  0.18  0.45  S    8  0.70 u
017  -       81210  0.14  0.60  S   25  0.70 .
017  -       01130  0.04  0.30  S   12  0.80 .
017  -       38321  0.06  0.25  S   20  0.90 .
017  -       43999  0.03  0.05  S   15  0.90 .
017  -       56101  0.06  0.55  Y   10  0.70 .
017  -       58140  0.02  0.50  S    6  0.80 u
017  -       68201  0.03  0.55  S    8  0.85 .
017  -       72190  0.06  0.50  S   20  0.85 u
017  -       94110  0.06  0.55  O   15  0.85 u   # excluded activities held by ESS employers
017  -       94200  0.12  0.50  O   20  0.88 u
017  -       94910  0.03  0.40  O    3  0.60 .
017  -       84130  0.03  0.55  O   20  0.90 u
125  -       94991  0.05  0.55  S   10  0.85 u
125  -       72190  0.03  0.45  S   15  0.90 u
026  -       88999  0.10  0.75  S   20  0.80 .   # foundations
026  -       91020  0.05  0.55  S   10  0.80 u
029  -       86101  0.18  0.78  S  300  0.85 u
029  -       72190  0.05  0.45  S   20  0.90 u
019  -       65122  0.40  0.70  O   40  0.85 u   # mutual societies (019 mutualités, 021 mutual insurance)
019  -       84302  0.04  0.70  O   40  0.85 u
021  -       65122  0.14  0.65  O  100  0.90 u
019  -       86901  0.06  0.80  S   10  0.75 .
706  -       64190  0.20  0.55  S   25  0.92 u   # cooperatives (SC/CV), accredited or not
706  -       46211  0.10  0.25  S   30  0.95 .
706  -       10510  0.14  0.30  S  150  0.95 .
706  -       47111  0.08  0.65  Y   25  0.70 .
706  -       35110  0.02  0.25  S   10  0.95 .
706  CNC     62010  0.04  0.30  S   10  0.92 u
706  CNC     88101  0.07  0.90  O   40  0.65 .
706  CNC+ES  88999  0.03  0.70  S   15  0.80 .
001  -       46900  0.02  0.35  S   20  0.95 u
008  CNC     47730  0.08  0.80  S    8  0.85 .   # pre-2019 cooperative, accredited: COOP
008  -       70220  0.05  0.40  S    6  0.90 u   # pre-2019 cooperative, not accredited: not COOP
508  -       88999  0.05  0.70  S   15  0.80 .   # companies with a social purpose (SOCENT)
510  -       81210  0.04  0.75  S   20  0.70 .
610  ES      38321  0.06  0.25  S   20  0.90 .   # company accredited as social enterprise (SOCENT)
124  -       84111  7.14  0.60  O   80  0.88 .   # public bodies
124  -       88991  1.70  0.85  O   40  0.80 .
124  -       86101  2.55  0.79  S  700  0.85 u
124  -       85311  4.76  0.62  O   60  0.85 .
124  -       85201  3.06  0.84  O   20  0.85 .
124  -       84242  0.85  0.25  S  100  0.95 u
124  -       85422  0.85  0.50  S  300  0.85 u
124  -       53100  0.94  0.30  O   60  0.88 .
124  -       49100  0.94  0.18  O  150  0.95 u
610  -       01110  0.26  0.30  S    3  0.90 .   # companies (SRL/BV)
610  -       01500  0.34  0.30  S    3  0.90 .
610  -       10711  0.68  0.55  Y   20  0.80 .
610  -       10130  0.85  0.40  S  100  0.95 .
610  -       20140  1.19  0.25  S  300  0.97 u
610  -       24100  0.59  0.10  O  800  0.97 u
610  -       29100  0.51  0.15  S 1500  0.98 u
610  -       25620  1.19  0.12  S   25  0.96 .
610  -       22220  0.68  0.25  S   60  0.96 .
610  -       13200  0.59  0.40  O   50  0.93 .
610  -       31091  0.59  0.20  S   30  0.95 .
610  -       28300  0.77  0.15  S  100  0.97 .
610  -       35110  0.59  0.30  S  200  0.97 u
610  -       38110  0.68  0.12  S   40  0.96 .
610  -       33120  0.59  0.08  S   10  0.96 .
610  -       10320  0.51  0.45  S  150  0.93 .
610  -       41201  2.38  0.10  S   15  0.96 .
610  -       43211  1.87  0.05  S    8  0.96 .
610  -       43999  1.53  0.08  S   10  0.96 .
610  -       42110  0.68  0.08  S   50  0.97 .
610  -       47111  3.06  0.65  Y   30  0.72 .
610  -       46900  2.38  0.35  S   20  0.94 .
610  -       45113  0.94  0.22  S   12  0.95 .
610  -       49410  2.38  0.10  S   25  0.95 .
610  -       52100  1.70  0.25  S   80  0.93 .
610  -       56101  2.21  0.48  Y    8  0.60 .
610  -       55100  0.77  0.55  Y   20  0.75 u
610  -       47711  1.10  0.80  Y    5  0.70 .
610  -       47730  0.42  0.85  S    6  0.80 .
610  -       62010  0.94  0.25  S   20  0.96 u
610  -       62020  0.68  0.30  S   20  0.95 u
610  -       61100  0.42  0.35  S  100  0.97 u
610  -       58130  0.17  0.45  O  100  0.90 u
610  -       64190  1.53  0.55  O   20  0.90 u
610  -       65122  0.59  0.55  S   50  0.92 u
610  -       66220  0.59  0.60  S    5  0.90 .
610  -       68201  0.51  0.55  S    8  0.85 .
610  -       68311  0.42  0.60  S    4  0.90 .
610  -       78200  3.06  0.40  Y   40  0.80 u
610  -       81210  3.40  0.90  O   60  0.60 .
610  -       69201  0.94  0.70  S   10  0.88 .
610  -       70220  0.77  0.45  S   10  0.93 u
610  -       71121  0.94  0.25  S   25  0.96 u
610  -       80100  0.59  0.15  S   40  0.92 .
610  -       82200  0.51  0.60  Y  150  0.85 u
610  -       86210  0.51  0.85  S    4  0.75 .
610  -       87301  1.36  0.86  O   70  0.80 .
610  -       85599  0.42  0.55  S   10  0.75 u
610  -       93130  0.17  0.45  Y   10  0.60 u
610  -       96021  0.68  0.88  Y    3  0.75 .
610  -       96012  0.34  0.70  S   20  0.85 .
011  -       47241  0.17  0.60  Y    4  0.70 .
012  -       69101  0.17  0.70  S    5  0.90 u
""")

# Growth per year (factor per year after the first), by kind of employer: plausible, invented.
ESS_GROWTH = 0.02
OTHER_GROWTH = 0.012
PUBLIC_FR = {"7210", "7220", "7230", "7312", "7172", "7364", "7361", "7383", "4110"}

# ------------------------------------------------------------------------------------------------------------
# Geography
# ------------------------------------------------------------------------------------------------------------
# France: jobs per area département (order of magnitude of salaried employment at the place of work),
# communes kept at scale 1, highest COG number, Lambert-93 centre, ESS multiplier (CRESS panorama ranking).
FR_DEPARTMENTS = {
    "59": (905_000, 55, 670, (703_000, 7_050_000), 0.95),
    "62": (455_000, 50, 900, (650_000, 7_040_000), 1.12),
    "02": (150_000, 28, 810, (740_000, 6_945_000), 1.02),
    "60": (245_000, 32, 700, (650_000, 6_925_000), 0.90),
    "80": (175_000, 30, 800, (640_000, 6_980_000), 1.00),
    "08": (78_000, 25, 460, (820_000, 6_960_000), 1.05),
    "51": (205_000, 30, 660, (790_000, 6_880_000), 0.95),
}
# Real COG codes, names and postcodes of the main communes (listed first, largest first).
FR_MAIN_COMMUNES = {
    "59": [("59350", "LILLE", "59000"), ("59512", "ROUBAIX", "59100"), ("59599", "TOURCOING", "59200"),
           ("59183", "DUNKERQUE", "59140"), ("59606", "VALENCIENNES", "59300"),
           ("59009", "VILLENEUVE-D'ASCQ", "59650"),
           ("59178", "DOUAI", "59500"), ("59122", "CAMBRAI", "59400"), ("59392", "MAUBEUGE", "59600")],
    "62": [("62041", "ARRAS", "62000"), ("62193", "CALAIS", "62100"), ("62160", "BOULOGNE-SUR-MER", "62200"),
           ("62498", "LENS", "62300"), ("62119", "BETHUNE", "62400"), ("62765", "SAINT-OMER", "62500")],
    "02": [("02691", "SAINT-QUENTIN", "02100"), ("02722", "SOISSONS", "02200"), ("02408", "LAON", "02000")],
    "60": [("60057", "BEAUVAIS", "60000"), ("60159", "COMPIEGNE", "60200"), ("60175", "CREIL", "60100")],
    "80": [("80021", "AMIENS", "80000"), ("80001", "ABBEVILLE", "80100")],
    "08": [("08105", "CHARLEVILLE-MEZIERES", "08000"), ("08409", "SEDAN", "08200")],
    "51": [("51454", "REIMS", "51100"), ("51108", "CHALONS-EN-CHAMPAGNE", "51000"),
           ("51230", "EPERNAY", "51200")],
}
# Outside the area (counted and reported by the pipeline, never an error) and unknown codes (rejected).
FR_OUTSIDE = {"75056": ("PARIS", "75008", (651_000, 6_862_000)),
              "55029": ("BAR-LE-DUC", "55000", (859_000, 6_850_000)),
              "2A004": ("AJACCIO", "20000", (1_177_000, 6_106_000))}
FR_UNKNOWN_COMMUNE = "96001"
FR_UNKNOWN_CJ = "4444"

# Belgium: jobs per area arrondissement, real REFNIS of its main commune, communes kept at scale 1, ESS
# multiplier.
BE_ARRONDISSEMENTS = {
    "31": (98_000, "31005", 8, 0.95), "32": (13_000, "32003", 3, 0.95), "33": (35_000, "33011", 5, 0.95),
    "34": (105_000, "34022", 8, 0.95), "35": (48_000, "35013", 5, 0.95), "36": (55_000, "36015", 6, 0.95),
    "37": (30_000, "37015", 4, 0.95), "38": (16_000, "38025", 3, 0.95), "44": (235_000, "44021", 10, 1.00),
    "45": (33_000, "45035", 5, 1.00), "51": (20_000, "51004", 4, 1.10), "52": (118_000, "52011", 9, 1.10),
    "53": (72_000, "53053", 7, 1.10), "55": (32_000, "55040", 4, 1.10), "56": (20_000, "56078", 4, 1.10),
    "57": (62_000, "57081", 6, 1.10), "58": (45_000, "58001", 5, 1.10), "81": (18_000, "81001", 3, 1.05),
    "82": (14_000, "82003", 3, 1.05), "83": (17_000, "83034", 3, 1.05), "84": (17_000, "84043", 3, 1.05),
    "85": (9_000, "85045", 3, 1.05), "91": (22_000, "91034", 4, 1.10), "92": (88_000, "92094", 6, 1.10),
    "93": (9_000, "93056", 3, 1.10),
}
BE_OUTSIDE_REFNIS = ("21004", "62063")  # Brussels, Liège: outside the area
BE_UNKNOWN_REFNIS = "54007"  # Mouscron under arrondissement 54, which ended in 2019

# Main town of each Belgian NUTS3 of the area (name of the postcodes of the KBO addresses: synthetic pairs
# except for the town's own postcode) and out-of-area postcodes used for registered seats.
BE_TOWNS = {
    "BE251": ("Brugge", "Bruges", "8000"), "BE252": ("Diksmuide", "Dixmude", "8600"),
    "BE253": ("Ieper", "Ypres", "8900"), "BE254": ("Kortrijk", "Courtrai", "8500"),
    "BE255": ("Oostende", "Ostende", "8400"), "BE256": ("Roeselare", "Roulers", "8800"),
    "BE257": ("Tielt", "Tielt", "8700"), "BE258": ("Veurne", "Furnes", "8630"),
    "BE234": ("Gent", "Gand", "9000"), "BE235": ("Oudenaarde", "Audenarde", "9700"),
    "BE32A": ("Aat", "Ath", "7800"), "BE32B": ("Charleroi", "Charleroi", "6000"),
    "BE323": ("Bergen", "Mons", "7000"), "BE32C": ("Zinnik", "Soignies", "7060"),
    "BE32D": ("Thuin", "Thuin", "6530"), "BE328": ("Doornik", "Tournai", "7500"),
    "BE329": ("La Louvière", "La Louvière", "7100"), "BE341": ("Aarlen", "Arlon", "6700"),
    "BE342": ("Bastenaken", "Bastogne", "6600"), "BE343": ("Marche-en-Famenne", "Marche-en-Famenne", "6900"),
    "BE344": ("Neufchâteau", "Neufchâteau", "6840"), "BE345": ("Virton", "Virton", "6760"),
    "BE351": ("Dinant", "Dinant", "5500"), "BE352": ("Namen", "Namur", "5000"),
    "BE353": ("Philippeville", "Philippeville", "5600"),
}
BE_OUTSIDE_POSTCODES = {"1000": ("Brussel", "Bruxelles"), "4000": ("Luik", "Liège"),
                        "2000": ("Antwerpen", "Anvers")}
BE_UNKNOWN_POSTCODE = "0999"
FLEMISH_NUTS3 = {"BE251", "BE252", "BE253", "BE254", "BE255", "BE256", "BE257", "BE258", "BE234", "BE235"}


# ------------------------------------------------------------------------------------------------------------
# Small deterministic helpers
# ------------------------------------------------------------------------------------------------------------
def _pick_weighted(rng: random.Random, items: Sequence, weights: Sequence[float], k: int) -> list:
    """k distinct items drawn with probability proportional to weight (sequential draws, no replacement)."""
    pool = list(range(len(items)))
    chosen = []
    w = list(weights)
    for _ in range(min(k, len(pool))):
        total = sum(w[i] for i in pool)
        target = rng.random() * total
        acc = 0.0
        position = len(pool) - 1
        for candidate, index in enumerate(pool):
            acc += w[index]
            if acc >= target:
                position = candidate
                break
        chosen.append(items[pool.pop(position)])
    return chosen


def _round_split(rng: random.Random, total: int, weights: Sequence[float], jitter: float) -> list[int]:
    """Split an integer total over weights (with multiplicative jitter), exactly, by largest remainder."""
    noisy = [w * (1.0 - jitter + 2.0 * jitter * rng.random()) for w in weights]
    norm = sum(noisy)
    raw = [total * w / norm for w in noisy]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _draw_counts(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` jobs over cells: one draw per job when small (small cells), else rounded shares."""
    if total > 60:
        return _round_split(rng, total, weights, 0.08)
    cumulative = []
    acc = 0.0
    for w in weights:
        acc += w
        cumulative.append(acc)
    counts = [0] * len(weights)
    for index in rng.choices(range(len(weights)), cum_weights=cumulative, k=total):
        counts[index] += 1
    return counts


def _luhn_complete(prefix: str) -> str:
    """``prefix`` followed by the digit that makes the whole number pass the Luhn check (SIREN, SIRET)."""
    total = 0
    for position, char in enumerate(reversed(prefix)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return prefix + str((10 - total % 10) % 10)


def kbo_check_digits(first8: str) -> str:
    """The two check digits of a KBO number: 97 - (first 8 digits mod 97)."""
    return f"{97 - int(first8) % 97:02d}"


def kbo_number_is_valid(number: str) -> bool:
    digits = number.replace(".", "")
    return len(digits) == 10 and digits.isdigit() and kbo_check_digits(digits[:8]) == digits[8:]


def _kbo_format(digits: str, enterprise: bool) -> str:
    if enterprise:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    return f"{digits[0]}.{digits[1:4]}.{digits[4:7]}.{digits[7:]}"


def _date_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _timestamp(rng: random.Random, day: date) -> str:
    seconds = rng.randrange(6 * 3600, 23 * 3600)
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _scaled(count: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(count * scale + 0.5))


# ------------------------------------------------------------------------------------------------------------
# Employment cells shared by both deliveries
# ------------------------------------------------------------------------------------------------------------
FR_AGE_WEIGHTS = {"00": 1.5, "20": 6.5, "25": 10.0, "30": 11.0, "35": 11.5, "40": 11.5, "45": 12.0,
                  "50": 12.0, "55": 11.0, "60": 7.0, "65": 1.2}
BE_AGE_WEIGHTS = {"<25": 8.0, "25-34": 22.0, "35-44": 24.5, "45-54": 24.5, "55-64": 19.0, "65+": 1.2}
YOUNG_CLASSES = {"00", "20", "25", "<25", "25-34"}
OLD_CLASSES = {"55", "60", "65", "55-64", "65+"}
YOUNGEST_CLASSES = {"00", "<25"}
OLDEST_CLASSES = {"65", "65+"}


def _age_profile(base: dict[str, float], classes: list[str], profile: str) -> list[float]:
    missing = [c for c in classes if c not in base]
    if missing:
        raise ValueError(f"age classes {missing} of age_classes.csv have no weight in observatory.sample")
    weights = []
    for code in classes:
        w = base[code]
        if profile == "Y":
            w *= 1.8 if code in YOUNG_CLASSES else (0.6 if code in OLD_CLASSES else 1.0)
        elif profile == "O":
            w *= 0.7 if code in YOUNG_CLASSES else (1.3 if code in OLD_CLASSES else 1.0)
        weights.append(w)
    return weights


@dataclass
class Key:
    """One cell key of a delivery (commune x legal form x activity) with what stays stable across years."""

    geo: str
    stratum: Stratum
    legal: str
    accreditation: str
    version: str
    activity: str
    base_jobs: int
    base_units: int
    dominance: float  # where the largest unit sits between the even split and the whole cell
    fixed: bool = False  # a deliberate corner case: present every year


def _units_for(rng: random.Random, jobs: int, size: int) -> int:
    estimate = int(jobs / (size * (0.6 + 0.8 * rng.random())) + 0.5)
    return max(1, min(jobs, estimate))


def _largest_unit(jobs: int, units: int, dominance: float) -> int:
    if units <= 1:
        return jobs
    low = -(-jobs // units)
    high = jobs - (units - 1)
    return low + int((high - low) * dominance)


def _dominance(rng: random.Random, size: int) -> float:
    dominant = rng.random() < (0.5 if size >= 300 else 0.06)
    if dominant:
        return 0.9 + 0.1 * rng.random()
    r = rng.random()
    return 0.6 * r * r * r


def _make_keys(rng: random.Random, regions: list[tuple[str, int, float, list[tuple[str, float]]]],
               strata: list[Stratum], theta: float, version: str) -> dict[tuple, Key]:
    """Allocate jobs of each region x stratum to a few communes (keys of about ``theta`` jobs or more).

    ``regions``: (name, jobs, ESS multiplier, [(commune, weight)]). Keeps each region's totals in expectation.
    """
    total_share = sum(s.share for s in strata)
    keys: dict[tuple, Key] = {}
    for _, jobs, ess_mult, communes in regions:
        codes = [c for c, _ in communes]
        region_theta = min(theta, jobs / 4.0)  # small regions keep a few keys even at small scales
        for stratum in strata:
            expected = jobs * stratum.share / total_share * (ess_mult if stratum.ess else 1.0)
            k = expected / region_theta
            if k >= 1.0:
                n = int(k) + (1 if rng.random() < k - int(k) else 0)
                mass = expected
            else:
                # One key with probability sqrt(k), holding expected/sqrt(k) jobs: unbiased, not too lumpy.
                root = math.sqrt(k)
                if rng.random() >= root:
                    continue
                n, mass = 1, expected / root
            weights = [w * w if stratum.urban else w for _, w in communes]
            chosen = _pick_weighted(rng, codes, weights, n)
            local = [weights[codes.index(c)] for c in chosen]
            for commune, share in zip(chosen, _round_split(rng, int(mass + 0.5), local, 0.4), strict=True):
                if share < 1:
                    continue
                key = (commune, stratum.legal, stratum.accreditation, version, stratum.activity)
                if key in keys:
                    keys[key].base_jobs += share
                    continue
                keys[key] = Key(commune, stratum, stratum.legal, stratum.accreditation, version,
                                stratum.activity, share, 0, _dominance(rng, stratum.size))
    return keys


def _add_missing_strata(rng: random.Random, keys: dict[tuple, Key], main_communes: list[str],
                        strata: list[Stratum], version: str) -> None:
    """One small key for any stratum the allocation left out (at small scales), so that every form,
    accreditation and sector of the tables appears whatever the scale."""
    present = {(k.legal, k.accreditation, k.activity) for k in keys.values()}
    for stratum in strata:
        if (stratum.legal, stratum.accreditation, stratum.activity) not in present:
            commune = rng.choice(main_communes)
            key = (commune, stratum.legal, stratum.accreditation, version, stratum.activity)
            keys[key] = Key(commune, stratum, stratum.legal, stratum.accreditation, version, stratum.activity,
                            rng.randint(5, 40), 0, _dominance(rng, stratum.size))


def _add_small_keys(rng: random.Random, keys: dict[tuple, Key], communes: list[str], strata: list[Stratum],
                    count: int, version: str) -> None:
    """Small cells anywhere (1-30 jobs): they make the confidential cells of the published tables."""
    for _ in range(count):
        stratum = rng.choice(strata)
        commune = rng.choice(communes)
        key = (commune, stratum.legal, stratum.accreditation, version, stratum.activity)
        if key not in keys:
            jobs = rng.randint(1, 30)
            keys[key] = Key(commune, stratum, stratum.legal, stratum.accreditation, version, stratum.activity,
                            jobs, 0, _dominance(rng, stratum.size))


def _year_cells(rng: random.Random, keys: dict[tuple, Key], years: tuple[int, ...], ages: list[str],
                age_base: dict[str, float], sex_codes: tuple[str, str]) -> dict[int, list[tuple]]:
    """Per year: (key, cells [(sex, age, jobs, fte)], units, largest unit) for every key present that year."""
    out: dict[int, list[tuple]] = {y: [] for y in years}
    profiles = {p: _age_profile(age_base, ages, p) for p in ("Y", "S", "O")}
    men, women = sex_codes
    for key_id in sorted(keys):
        key = keys[key_id]
        key.base_units = _units_for(rng, key.base_jobs, key.stratum.size)
        growth = ESS_GROWTH if key.stratum.ess else OTHER_GROWTH
        for index, year in enumerate(years):
            if not key.fixed and key.base_jobs < 20 and rng.random() < 0.1:
                continue  # small cells come and go
            factor = (1.0 + growth * index) * (0.975 + 0.05 * rng.random())
            jobs = max(1, int(key.base_jobs * factor + 0.5))
            units = max(1, min(jobs, int(key.base_units * jobs / key.base_jobs + 0.5)))
            if units > 2 and rng.random() < 0.15:
                units = min(jobs, units + rng.choice((-1, 1)))
            largest = _largest_unit(jobs, units, key.dominance)
            ages_w = profiles[key.stratum.age]
            weights = []
            cells = []
            for sex, share in ((men, 1.0 - key.stratum.women), (women, key.stratum.women)):
                for age, w in zip(ages, ages_w, strict=True):
                    weights.append(share * w)
                    cells.append((sex, age))
            counts = _draw_counts(rng, jobs, weights)
            rows = []
            for (sex, age), count in zip(cells, counts, strict=True):
                if count == 0:
                    continue
                ratio = key.stratum.fte * (0.93 if sex == women else 1.03)
                if age in YOUNGEST_CLASSES:
                    ratio *= 0.75
                elif age in OLDEST_CLASSES:
                    ratio *= 0.6
                ratio = min(1.0, ratio) * (0.97 + 0.03 * rng.random())
                fte = None if rng.random() < 0.012 else count * ratio
                rows.append((sex, age, count, fte))
            out[year].append((key, rows, units, largest))
    return out


def _write_text(path: Path, text: str, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _sidecar(path: Path, producer: str, url: str, licence: str, period: str, seed: int, scale: float) -> Path:
    origin = {
        "producer": producer,
        "url": url,
        "licence": licence,
        "reference_period": period,
        "retrieved": RETRIEVED,
        "synthetic": True,
        "generator": f"observatory.sample (seed {seed}, scale {scale:g})",
        "note": NOTE,
    }
    return _write_text(path.with_name(path.name + ".origin.json"),
                       json.dumps(origin, ensure_ascii=False, indent=2) + "\n")


# ------------------------------------------------------------------------------------------------------------
# France: geography, FLORES
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    postcode: str
    x: int
    y: int
    weight: float


NAME_ROOTS = ("HAUT", "BOUR", "ESTR", "WATT", "HEN", "MAR", "FRE", "BEAU", "CAMB", "HAM", "BAILL", "WAMB",
              "AUB", "LOUV", "NEUV", "FONT", "GOUR", "ROQU", "VERM", "BRAY", "CREV", "HERL", "WIM", "LIEV",
              "SAUL")
NAME_ENDS = ("COURT", "VILLE", "HEM", "GHEM", "INGHEM", "MONT", "LIEU", "CHIES", "ECOURT", "ERIES", "INCOURT",
             "ONVILLE", "-LE-GRAND", "-LE-PETIT", "-LES-BOIS", "-EN-PLAINE")


def _fr_communes(rng: random.Random, scale: float) -> dict[str, list[Commune]]:
    """Communes per area département: the real main communes, then synthetic codes in its range."""
    out: dict[str, list[Commune]] = {}
    for dep, (_, count, highest, (cx, cy), _) in FR_DEPARTMENTS.items():
        n = max(4, min(int(highest * 0.9), int(count * scale + 0.5)))
        mains = FR_MAIN_COMMUNES[dep][:n]
        taken = {int(code[2:]) for code, _, _ in mains}
        numbers = sorted(rng.sample([i for i in range(1, highest) if i not in taken], n - len(mains)))
        rows = list(mains)
        names = set()
        for number in numbers:
            name = rng.choice(NAME_ROOTS) + rng.choice(NAME_ENDS)
            while name in names:
                name = rng.choice(("SAINT-", "LE ", "LA ")) + name
            names.add(name)
            rows.append((f"{dep}{number:03d}", name, f"{dep}{rng.randrange(1, 99):02d}0"))
        communes = []
        for rank, (code, name, postcode) in enumerate(rows):
            x = cx + rng.randrange(-35_000, 35_000)
            y = cy + rng.randrange(-30_000, 30_000)
            # Main communes keep their rank; synthetic ones get a random one (a long tail of small communes).
            rank_weight = rank + 1.5 if rank < len(mains) else len(mains) + 1.5 + rng.random() * 3 * n
            communes.append(Commune(code, name, postcode, x, y, 1.0 / rank_weight))
        out[dep] = communes
    return out


def _fr_keys(rng: random.Random, codes: Codes, communes: dict[str, list[Commune]], scale: float) -> dict:
    strata = [_with_family(s, codes.fr_family(s.legal)) for s in FR_STRATA]
    regions = [(dep, FR_DEPARTMENTS[dep][0], FR_DEPARTMENTS[dep][4],
                [(c.code, c.weight) for c in communes[dep]]) for dep in FR_DEPARTMENTS]
    keys = _make_keys(rng, regions, strata, 4800.0 / scale, "")
    all_codes = [c.code for dep in FR_DEPARTMENTS for c in communes[dep]]
    _add_small_keys(rng, keys, all_codes, strata, _scaled(300, scale, 20), "")
    _add_missing_strata(rng, keys, [communes[dep][0].code for dep in FR_DEPARTMENTS], strata, "")
    # Deliberate corner cases: outside the area (reported, not an error) and unknown codes (rejected, tiny).
    by_legal = {(s.legal, s.activity): s for s in strata}
    extras = [("75056", "5710", "7022Z", 12), ("55029", "9220", "8810A", 25), ("2A004", "7210", "8411Z", 6),
              (FR_UNKNOWN_COMMUNE, "5499", "4321A", 8), ("59350", FR_UNKNOWN_CJ, "7022Z", 5)]
    for commune, cj, apet, jobs in extras:
        stratum = by_legal.get((cj, apet)) or Stratum(cj, "", apet, 0.0, 0.5, "S", 5, 0.9, False, False)
        keys[(commune, cj, "", "", apet)] = Key(commune, stratum, cj, "", "", apet, jobs, 0, 0.2, fixed=True)
    return keys


def _with_family(stratum: Stratum, family: str) -> Stratum:
    return Stratum(stratum.legal, stratum.accreditation, stratum.activity, stratum.share, stratum.women,
                   stratum.age, stratum.size, stratum.fte, stratum.urban,
                   family in {"ASSOC", "COOP", "MUTUAL", "FOUND"})


def _write_flores(out_dir: Path, cells: dict[int, list[tuple]], years: tuple[int, ...],
                  seed: int, scale: float) -> list[Path]:
    written = []
    bom_year = years[1] if len(years) > 1 else None
    for year in years:
        jobs_lines = [";".join(FLORES_JOBS_HEADER)]
        unit_lines = [";".join(FLORES_UNITS_HEADER)]
        for key, rows, units, largest in sorted(cells[year], key=lambda item: (item[0].geo, item[0].legal,
                                                                                 item[0].activity)):
            prefix = f"{year};{key.geo};{key.legal};{key.activity}"
            for sex, age, count, fte in sorted(rows, key=lambda r: (r[0], r[1])):
                eqtp = "" if fte is None else f"{fte:.2f}".replace(".", ",")
                jobs_lines.append(f"{prefix};{sex};{age};{count};{eqtp}")
            unit_lines.append(f"{prefix};{units};{largest}")
        for name, lines in ((f"flores_postes_{year}.csv", jobs_lines),
                            (f"flores_etablissements_{year}.csv", unit_lines)):
            path = _write_text(out_dir / FLORES_FOLDER / name, "\n".join(lines) + "\n", bom=year == bom_year)
            sidecar = _sidecar(path, FLORES_PRODUCER, AGREEMENT_URL, AGREEMENT_LICENCE, str(year), seed,
                               scale)
            written += [path, sidecar]
    return written


# ------------------------------------------------------------------------------------------------------------
# France: SIRENE stock (legal units and establishments)
# ------------------------------------------------------------------------------------------------------------
SURNAMES = ("DUPONT", "LEFEBVRE", "DUBOIS", "MARTIN", "LEROY", "DELATTRE", "DEBRUYNE", "VANDAMME", "CARON",
            "LECLERCQ", "DUHAMEL", "MOREL", "DEMAILLY", "POTTIER", "LEMAIRE", "WAUQUIER", "DEVOS", "BOUCHER",
            "LAMBERT", "FOURNIER", "DUCROCQ", "HOLLEBECQUE", "VERHAEGHE", "DELANNOY", "PRUVOST", "TAILLIEZ")
FIRST_NAMES = (("M", "JEAN"), ("M", "PIERRE"), ("M", "THIERRY"), ("M", "NICOLAS"), ("M", "KEVIN"),
               ("M", "ALAIN"), ("F", "MARIE"), ("F", "SANDRINE"), ("F", "NATHALIE"), ("F", "CELINE"),
               ("F", "JULIE"), ("F", "CHRISTINE"), ("M", "LUDOVIC"), ("F", "AURELIE"))
STREETS = (("RUE", "DE LA REPUBLIQUE"), ("RUE", "JEAN JAURES"), ("AV", "DU GENERAL DE GAULLE"),
           ("RUE", "NATIONALE"), ("RUE", "DE PARIS"), ("BD", "VICTOR HUGO"), ("RUE", "PASTEUR"),
           ("AV", "DU MARECHAL FOCH"), ("RUE", "DES TILLEULS"), ("PL", "DE LA GARE"), ("RUE", "DE L'EGLISE"),
           ("CHE", "DU MOULIN"), ("RUE", "ROGER SALENGRO"), ("RTE", "DE LILLE"), ("IMP", "DES ROSIERS"),
           ("ALL", "DES ACACIAS"), ("QUAI", "DU CANAL"), ("RUE", "DU CHATEAU"), ("RUE", "LEON BLUM"),
           ("RUE", "DU 8 MAI 1945"))
WORDS = ("DU VAL", "DES FLANDRES", "DE L'ARTOIS", "DU HAINAUT", "DE LA COTE D'OPALE", "DU CAMBRESIS",
         "DU SOISSONNAIS", "DU BEAUVAISIS", "DE PICARDIE", "DES ARDENNES", "DE CHAMPAGNE", "DU LITTORAL",
         "DU PAYS NOIR", "DE LA SAMBRE", "DE LA LYS", "DE L'AVESNOIS", "DU VERMANDOIS", "DU TERNOIS",
         "DE LA THIERACHE", "DU MONTREUILLOIS")
NAF_REV1_CODES = ("85.3K", "52.1D", "55.3A", "74.7Z", "45.2B", "93.0D", "52.4C", "91.3E", "80.4C", "60.2M")


def _fr_name(rng: random.Random, family: str, cj: str, apet: str, place: str) -> tuple[str, str]:
    """(denomination, sigle) of a legal person: synthetic names in the style of the register."""
    word = rng.choice(WORDS)
    if family == "ASSOC":
        by_division = {
            "88": (f"ASSOCIATION D'AIDE A DOMICILE {word}", f"ADMR DE {place}", f"CENTRE SOCIAL {word}",
                   f"AIDE, ACCUEIL ET SERVICES {word}"),
            "87": (f"FOYER DE VIE {word}", f"RESIDENCE {word}", f"ASSOCIATION DES PARALYSES {word}"),
            "86": (f"HOPITAL PRIVE {word}", f"CENTRE DE SANTE {word}"),
            "85": (f"ORGANISME DE GESTION DE L'ENSEIGNEMENT CATHOLIQUE {word}",
                   f"INSTITUT DE FORMATION {word}"),
            "93": (f"UNION SPORTIVE DE {place}", f"ASSOCIATION SPORTIVE {word}"),
            "90": (f"COMPAGNIE THEATRALE {word}", f"HARMONIE MUNICIPALE DE {place}"),
            "94": (f"AMICALE DE {place}", f"COMITE DES FETES DE {place}", f"ASSOCIATION {word}"),
        }
        templates = by_division.get(apet[:2], (f"ASSOCIATION {word}", f"ASSOCIATION D'INSERTION {word}"))
        name = rng.choice(templates)
        return name, ("ADMR" if name.startswith("ADMR") else ("OGEC" if "CATHOLIQUE" in name else ""))
    if family == "COOP":
        templates = (f"SCOP {rng.choice(SURNAMES)} {word}", f"COOPERATIVE AGRICOLE {word}",
                     f"CAISSE DE CREDIT MUTUEL DE {place}", f"BANQUE POPULAIRE {word}",
                     f"SOCIETE COOPERATIVE {word}")
        return rng.choice(templates), ""
    if family == "MUTUAL":
        templates = (f"MUTUELLE {word}", f"MUTUALITE FRANCAISE {word}", f"MUTUELLE GENERALE {word}")
        return rng.choice(templates), ""
    if family == "FOUND":
        return rng.choice((f"FONDATION {rng.choice(SURNAMES)}", f"FONDATION {word}")), ""
    if cj.startswith("7") or cj.startswith("4"):
        templates = {"8411Z": f"COMMUNE DE {place}", "8610Z": f"CENTRE HOSPITALIER DE {place}",
                     "8899B": f"CENTRE COMMUNAL D'ACTION SOCIALE DE {place}", "8542Z": f"UNIVERSITE {word}",
                     "8531Z": f"LYCEE {rng.choice(SURNAMES)}", "8520Z": f"ECOLE PUBLIQUE DE {place}"}
        return templates.get(apet, f"REGIE {word}"), ""
    if cj == "6540":
        return f"SCI {rng.choice(SURNAMES)}", ""
    templates = (f"{rng.choice(SURNAMES)} ET FILS", f"ETABLISSEMENTS {rng.choice(SURNAMES)}",
                 f"{rng.choice(SURNAMES)} INDUSTRIES", f"TRANSPORTS {rng.choice(SURNAMES)}",
                 f"{rng.choice(SURNAMES)}, {rng.choice(SURNAMES)} ET ASSOCIES", f"SOCIETE {word}",
                 f"GROUPE {rng.choice(SURNAMES)}")
    return rng.choice(templates), ""


def _tranche(jobs: int) -> str:
    for limit, code in ((0, "00"), (2, "01"), (5, "02"), (9, "03"), (19, "11"), (49, "12"), (99, "21"),
                        (199, "22"), (249, "31"), (499, "32"), (999, "41"), (1999, "42"), (4999, "51"),
                        (9999, "52")):
        if jobs <= limit:
            return code
    return "53"


def _dotted(apet: str) -> str:
    return f"{apet[:2]}.{apet[2:]}"


@dataclass
class _SireneState:
    rng: random.Random
    codes: Codes
    communes: dict[str, Commune]
    by_dep: dict[str, list[Commune]]
    units: list[dict[str, str]] = field(default_factory=list)
    establishments: list[dict[str, str]] = field(default_factory=list)
    sirens: set[str] = field(default_factory=set)

    def new_siren(self) -> str:
        while True:
            siren = _luhn_complete(f"{self.rng.randrange(30_000_000, 99_999_999):08d}")
            if siren not in self.sirens:
                self.sirens.add(siren)
                return siren

    def processed(self, created: date, recent: bool = False) -> str:
        start = max(created, date(2015, 1, 1)) if not recent else max(created, date(2024, 6, 1))
        return _timestamp(self.rng, _date_between(self.rng, min(start, SNAPSHOT), SNAPSHOT))


def _siret(siren: str, sequence: int) -> tuple[str, str]:
    base = f"{siren}{sequence:04d}"
    siret = _luhn_complete(base)
    return siret[9:], siret


def _sirene_unit(state: _SireneState, *, cj: str, apet: str, ess: str, employer: bool, jobs: int, place: str,
                 active: bool = True, nomenclature: str = "NAFRev2", status: str = "O",
                 created: date | None = None, purged: bool = False, mission: str = "") -> dict[str, str]:
    rng = state.rng
    family = state.codes.fr_family(cj)
    earliest = date(1950, 1, 1) if family else date(1975, 1, 1)
    created = created or _date_between(rng, earliest, date(2024, 11, 30))
    unit = dict.fromkeys(SIRENE_UNIT_HEADER, "")
    siren = state.new_siren()
    unit.update(siren=siren, statutDiffusionUniteLegale=status, dateCreationUniteLegale=created.isoformat(),
                categorieJuridiqueUniteLegale=cj, etatAdministratifUniteLegale="A" if active else "C",
                nomenclatureActivitePrincipaleUniteLegale=nomenclature,
                activitePrincipaleUniteLegale=_dotted(apet) if nomenclature == "NAFRev2" else apet,
                economieSocialeSolidaireUniteLegale=ess, societeMissionUniteLegale=mission,
                nombrePeriodesUniteLegale=str(rng.randint(1, 6)))
    if purged:
        unit["unitePurgeeUniteLegale"] = "true"
    period_start = _date_between(rng, created, min(SNAPSHOT, created + timedelta(days=365 * 20)))
    unit["dateDebut"] = period_start.isoformat()
    unit["dateDernierTraitementUniteLegale"] = state.processed(period_start)
    if employer and active:
        unit["trancheEffectifsUniteLegale"] = _tranche(jobs)
        unit["anneeEffectifsUniteLegale"] = "2022"
        unit["caractereEmployeurUniteLegale"] = "O"
    else:
        unit["trancheEffectifsUniteLegale"] = "NN"
        unit["caractereEmployeurUniteLegale"] = "N" if active and rng.random() < 0.8 else ""
    if active and cj != "1000":
        unit["categorieEntreprise"] = "GE" if jobs >= 5000 else ("ETI" if jobs >= 250 else "PME")
        unit["anneeCategorieEntreprise"] = "2022"
    if cj == "1000":
        sex, first = rng.choice(FIRST_NAMES)
        surname = rng.choice(SURNAMES)
        if status == "P":
            unit.update(sexeUniteLegale="[ND]", prenom1UniteLegale="[ND]", prenomUsuelUniteLegale="[ND]",
                        nomUniteLegale="[ND]")
        else:
            unit.update(sexeUniteLegale=sex, prenom1UniteLegale=first, prenomUsuelUniteLegale=first,
                        nomUniteLegale=surname)
            if rng.random() < 0.2:
                unit["prenom2UniteLegale"] = rng.choice(FIRST_NAMES)[1]
    else:
        name, sigle = _fr_name(rng, family, cj, apet, place)
        unit["denominationUniteLegale"] = name
        unit["sigleUniteLegale"] = sigle
        if family == "ASSOC":
            prefix = rng.choice(("591", "593", "595", "596", "622", "623", "021", "022", "602", "802", "081",
                                 "511", "513"))
            unit["identifiantAssociationUniteLegale"] = f"W{prefix}{rng.randrange(10**6):06d}"
        if rng.random() < 0.05:
            unit["denominationUsuelle1UniteLegale"] = rng.choice(WORDS).split(" ", 1)[1]
    state.units.append(unit)
    return unit


def _sirene_establishment(state: _SireneState, unit: dict[str, str], sequence: int,
                          commune: Commune | None, *, apet: str, employer: str, jobs: int, siege: bool,
                          active: bool = True, nomenclature: str = "NAFRev2",
                          foreign: tuple[str, str, str] | None = None) -> None:
    rng = state.rng
    siren = unit["siren"]
    nic, siret = _siret(siren, sequence)
    if siege:
        unit["nicSiegeUniteLegale"] = nic
    unit_created = date.fromisoformat(unit["dateCreationUniteLegale"])
    created = _date_between(rng, unit_created, SNAPSHOT - timedelta(days=20))
    row = dict.fromkeys(SIRENE_ESTABLISHMENT_HEADER, "")
    row.update(siren=siren, nic=nic, siret=siret,
               statutDiffusionEtablissement=unit["statutDiffusionUniteLegale"],
               dateCreationEtablissement=created.isoformat(), etablissementSiege="true" if siege else "false",
               nombrePeriodesEtablissement=str(rng.randint(1, 4)),
               etatAdministratifEtablissement="A" if active else "F",
               nomenclatureActivitePrincipaleEtablissement=nomenclature,
               activitePrincipaleEtablissement=_dotted(apet) if nomenclature == "NAFRev2" else apet,
               caractereEmployeurEtablissement=employer)
    start = _date_between(rng, created, SNAPSHOT - timedelta(days=10))
    row["dateDebut"] = start.isoformat()
    row["dateDernierTraitementEtablissement"] = state.processed(start)
    if employer == "O":
        row["trancheEffectifsEtablissement"] = _tranche(jobs)
        row["anneeEffectifsEtablissement"] = "2022"
    else:
        row["trancheEffectifsEtablissement"] = "NN"
    street_type, street = rng.choice(STREETS)
    number = rng.randint(1, 250)
    if foreign is not None:
        town, country_code, country = foreign
        row.update(numeroVoieEtablissement=str(number), libelleVoieEtablissement="RUE ROYALE",
                   libelleCommuneEtrangerEtablissement=town, codePaysEtrangerEtablissement=country_code,
                   libellePaysEtrangerEtablissement=country)
    elif commune is not None:
        row.update(numeroVoieEtablissement=str(number), typeVoieEtablissement=street_type,
                   libelleVoieEtablissement=street, codePostalEtablissement=commune.postcode,
                   libelleCommuneEtablissement=commune.name, codeCommuneEtablissement=commune.code)
        if rng.random() < 0.05:
            row["indiceRepetitionEtablissement"] = rng.choice(("B", "T"))
        if rng.random() < 0.08:
            row["complementAdresseEtablissement"] = rng.choice(
                ("BATIMENT A", "ZI DE LA PILATERIE", "RESIDENCE LES PINS", "CENTRE COMMERCIAL"))
        if rng.random() < 0.03:
            row["distributionSpecialeEtablissement"] = f"BP {rng.randrange(1, 400)}"
        if rng.random() < 0.7:
            street_id = rng.randrange(100, 9999)
            x = commune.x + rng.randrange(-2500, 2500)
            y = commune.y + rng.randrange(-2500, 2500)
            row["identifiantAdresseEtablissement"] = f"{commune.code}_{street_id:04d}_{number:05d}"
            row["coordonneeLambertAbscisseEtablissement"] = f"{x}.{rng.randrange(10)}"
            row["coordonneeLambertOrdonneeEtablissement"] = f"{y}.{rng.randrange(10)}"
        if unit["statutDiffusionUniteLegale"] == "P":
            row.update(codePostalEtablissement="[ND]", numeroVoieEtablissement="", typeVoieEtablissement="",
                       libelleVoieEtablissement="[ND]", identifiantAdresseEtablissement="",
                       coordonneeLambertAbscisseEtablissement="[ND]",
                       coordonneeLambertOrdonneeEtablissement="[ND]")
    if unit["categorieJuridiqueUniteLegale"] in ("1000", "5499", "5710") and rng.random() < 0.15:
        row["enseigne1Etablissement"] = f"{rng.choice(('CHEZ', 'AU', 'LE'))} {rng.choice(SURNAMES)}"
    state.establishments.append(row)


def _sirene(rng: random.Random, codes: Codes, communes: dict[str, list[Commune]],
            fr_cells: dict[int, list[tuple]], year: int,
            scale: float) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    by_code = {c.code: c for dep in communes for c in communes[dep]}
    for code, (name, postcode, (x, y)) in FR_OUTSIDE.items():
        by_code[code] = Commune(code, name, postcode, x, y, 0.0)
    by_code[FR_UNKNOWN_COMMUNE] = Commune(FR_UNKNOWN_COMMUNE, "", "", 0, 0, 0.0)
    state = _SireneState(rng, codes, by_code, communes)

    # Employers: legal units drawn from the FLORES cells of the snapshot year, weighted by their units.
    cells = [(key, units, sum(r[2] for r in rows)) for key, rows, units, _ in fr_cells[year]
             if key.geo in by_code and key.geo[:2] in FR_DEPARTMENTS]
    same_cj: dict[tuple[str, str], list[tuple]] = {}
    for cell in cells:
        same_cj.setdefault((cell[0].geo[:2], cell[0].legal), []).append(cell)
    cumulative = []
    acc = 0.0
    for _, units, _ in cells:
        acc += math.sqrt(units)
        cumulative.append(acc)
    for key, _, jobs in rng.choices(cells, cum_weights=cumulative, k=_scaled(2000, scale, 50)):
        _sirene_employer(state, key, jobs, same_cj)

    # Registry-only corner cases and every family in every département (SOCENT included).
    _sirene_coverage(state, communes)
    _sirene_non_employers(state, communes, scale)
    _sirene_ceased(state, communes, scale)
    _sirene_specials(state, communes)

    # The snapshot is dated by its last processing date: a few lines processed on 2024-12-31 itself.
    for row in state.establishments[:: max(1, len(state.establishments) // 5)]:
        if row["etatAdministratifEtablissement"] == "A":
            row["dateDernierTraitementEtablissement"] = _timestamp(rng, SNAPSHOT)
    for unit in state.units[:: max(1, len(state.units) // 5)]:
        unit["dateDernierTraitementUniteLegale"] = _timestamp(rng, SNAPSHOT)
    units = sorted(state.units, key=lambda u: u["siren"])
    establishments = sorted(state.establishments, key=lambda e: e["siret"])
    return units, establishments


def _ess_flag(rng: random.Random, family: str) -> str:
    if family:
        return "O" if rng.random() < 0.97 else ""
    return "N" if rng.random() < 0.85 else ""


def _sirene_employer(state: _SireneState, key: Key, jobs: int, same_cj: dict) -> None:
    rng = state.rng
    family = state.codes.fr_family(key.legal)
    commune = state.communes[key.geo]
    big_association = family == "ASSOC" and key.stratum.size >= 40
    multi = key.legal in PUBLIC_FR or family in {"COOP", "MUTUAL"} or big_association
    n = rng.randint(2, 6) if multi and rng.random() < 0.6 else (2 if rng.random() < 0.12 else 1)
    status = "P" if key.legal == "1000" and rng.random() < 0.06 else "O"
    unit = _sirene_unit(state, cj=key.legal, apet=key.activity, ess=_ess_flag(rng, family), employer=True,
                        jobs=max(1, jobs // max(1, key.base_units)) * n, place=commune.name, status=status,
                        mission="O" if key.legal == "5710" and rng.random() < 0.02 else "")
    size = max(1, jobs // max(1, key.base_units))
    _sirene_establishment(state, unit, 1, commune, apet=key.activity, employer="O", jobs=size, siege=True)
    siblings = same_cj.get((key.geo[:2], key.legal), [])
    for sequence in range(2, n + 1):
        other = rng.choice(siblings)[0] if siblings and rng.random() < 0.7 else key
        employer = "O" if rng.random() < 0.85 else "N"
        _sirene_establishment(state, unit, sequence, state.communes[other.geo], apet=other.activity,
                              employer=employer, jobs=size, siege=False)
    if rng.random() < 0.08:  # an earlier establishment, now closed
        _sirene_establishment(state, unit, n + 1, state.communes[key.geo], apet=key.activity, employer="N",
                              jobs=0, siege=False, active=False)
    if rng.random() < 0.004:  # an old establishment still coded in NAF rev. 1
        _sirene_establishment(state, unit, n + 2, commune, apet=rng.choice(NAF_REV1_CODES), employer="O",
                              jobs=size, siege=False, nomenclature="NAFRev1")


FR_COVERAGE = {  # family -> (cj, apet); SOCENT = ESS-registered commercial company
    "ASSOC": ("9220", "8810A"), "COOP": ("5458", "4321A"), "MUTUAL": ("8210", "6512Z"),
    "FOUND": ("9300", "8720A"), "SOCENT": ("5710", "8810A"),
}


def _sirene_coverage(state: _SireneState, communes: dict[str, list[Commune]]) -> None:
    """An active employer establishment of every family (SOCENT included) in every area département."""
    rng = state.rng
    for dep in FR_DEPARTMENTS:
        for family, (cj, apet) in FR_COVERAGE.items():
            commune = rng.choice(communes[dep][:5])
            unit = _sirene_unit(state, cj=cj, apet=apet, ess="O", employer=True, jobs=25, place=commune.name)
            _sirene_establishment(state, unit, 1, commune, apet=apet, employer="O", jobs=25, siege=True)
            if family == "SOCENT":
                for socent_cj, socent_apet in (("5499", "3832Z"), ("5710", "5610A")):
                    unit = _sirene_unit(state, cj=socent_cj, apet=socent_apet, ess="O", employer=True,
                                        jobs=12, place=commune.name)
                    _sirene_establishment(state, unit, 1, rng.choice(communes[dep]), apet=socent_apet,
                                          employer="O", jobs=12, siege=True)


NON_EMPLOYERS = (  # (cj, apet, weight)
    ("1000", "6820A", 10), ("1000", "4332A", 6), ("1000", "7410Z", 4), ("1000", "8559B", 5),
    ("1000", "9609Z", 4), ("1000", "4791A", 4), ("1000", "0111Z", 5), ("1000", "8690E", 5),
    ("1000", "4932Z", 3), ("1000", "9003A", 3), ("6540", "6820B", 16), ("6540", "6820A", 4),
    ("9220", "9499Z", 9), ("9220", "9312Z", 5), ("9220", "9001Z", 2), ("9220", "8899B", 1),
    ("5710", "7010Z", 5), ("5720", "6202A", 3), ("5499", "4690Z", 2), ("5499", "7022Z", 3),
    ("6599", "6820B", 1), ("6220", "8299Z", 1),
)


def _sirene_non_employers(state: _SireneState, communes: dict[str, list[Commune]], scale: float) -> None:
    rng = state.rng
    deps = list(FR_DEPARTMENTS)
    dep_weights = [FR_DEPARTMENTS[d][0] for d in deps]
    for _ in range(_scaled(3000, scale, 60)):
        cj, apet, _ = rng.choices(NON_EMPLOYERS, weights=[w for *_, w in NON_EMPLOYERS])[0]
        dep = rng.choices(deps, weights=dep_weights)[0]
        commune = rng.choices(communes[dep], weights=[c.weight + 0.02 for c in communes[dep]])[0]
        family = state.codes.fr_family(cj)
        status = "P" if cj == "1000" and rng.random() < 0.06 else "O"
        created = _date_between(rng, date(1990, 1, 1), date(2024, 12, 20))
        unit = _sirene_unit(state, cj=cj, apet=apet, ess=_ess_flag(rng, family), employer=False, jobs=0,
                            place=commune.name, status=status, created=created)
        _sirene_establishment(state, unit, 1, commune, apet=apet, employer="N" if rng.random() < 0.9 else "",
                              jobs=0, siege=True)


def _sirene_ceased(state: _SireneState, communes: dict[str, list[Commune]], scale: float) -> None:
    """Ceased legal units (C) and their closed establishments (F), some with old NAF codes."""
    rng = state.rng
    deps = list(FR_DEPARTMENTS)
    for _ in range(_scaled(700, scale, 15)):
        cj, apet, _ = rng.choice(NON_EMPLOYERS)
        dep = rng.choice(deps)
        commune = rng.choice(communes[dep])
        old = rng.random() < 0.3
        created = _date_between(rng, date(1960, 1, 1), date(2001, 12, 31) if old else date(2022, 12, 31))
        nomenclature, code = ("NAFRev1", rng.choice(NAF_REV1_CODES)) if old else ("NAFRev2", apet)
        unit = _sirene_unit(state, cj=cj, apet=code, ess="", employer=False, jobs=0, place=commune.name,
                            active=False, nomenclature=nomenclature, created=created,
                            purged=old and rng.random() < 0.5)
        for sequence in range(1, rng.choice((1, 1, 1, 2)) + 1):
            _sirene_establishment(state, unit, sequence, rng.choice(communes[dep]), apet=code, employer="N",
                                  jobs=0, siege=sequence == 1, active=False, nomenclature=nomenclature)


def _sirene_specials(state: _SireneState, communes: dict[str, list[Commune]]) -> None:
    """Out-of-area and unknown codes, a foreign establishment, old NAF codes still active, and
    orphans (establishments whose siren has no legal unit)."""
    rng = state.rng
    lille = state.communes["59350"]
    # A cooperative bank seated in Paris with establishments in the area.
    bank = _sirene_unit(state, cj="5192", apet="6419Z", ess="O", employer=True, jobs=3000, place="PARIS")
    _sirene_establishment(state, bank, 1, state.communes["75056"], apet="6419Z", employer="O", jobs=400,
                          siege=True)
    for sequence, dep in enumerate(("59", "62", "80"), start=2):
        _sirene_establishment(state, bank, sequence, communes[dep][0], apet="6419Z", employer="O", jobs=40,
                              siege=False)
    # Meuse and Corsica (outside the area).
    for code, cj, apet in (("55029", "9220", "8810A"), ("2A004", "7210", "8411Z")):
        ess = _ess_flag(rng, state.codes.fr_family(cj))
        unit = _sirene_unit(state, cj=cj, apet=apet, ess=ess, employer=True, jobs=30,
                            place=state.communes[code].name)
        _sirene_establishment(state, unit, 1, state.communes[code], apet=apet, employer="O", jobs=30,
                              siege=True)
    # A company of the area with an establishment in Belgium (no French commune).
    company = _sirene_unit(state, cj="5710", apet="4941A", ess="N", employer=True, jobs=60, place=lille.name)
    _sirene_establishment(state, company, 1, lille, apet="4941A", employer="O", jobs=50, siege=True)
    _sirene_establishment(state, company, 2, None, apet="4941A", employer="O", jobs=10, siege=False,
                          foreign=("MOUSCRON", "99131", "BELGIQUE"))
    # Unknown codes: a legal category whose level II is not in the INSEE list, a commune of no département.
    unknown = _sirene_unit(state, cj=FR_UNKNOWN_CJ, apet="7022Z", ess="", employer=True, jobs=5,
                           place=lille.name)
    _sirene_establishment(state, unknown, 1, lille, apet="7022Z", employer="O", jobs=5, siege=True)
    nowhere = _sirene_unit(state, cj="5499", apet="4321A", ess="N", employer=True, jobs=8, place="")
    _sirene_establishment(state, nowhere, 1, state.communes[FR_UNKNOWN_COMMUNE], apet="4321A", employer="O",
                          jobs=8, siege=True)
    # ESS units holding excluded activities.
    for apet in ("8411Z", "9411Z", "9420Z", "9491Z"):
        commune = rng.choice(communes[rng.choice(list(FR_DEPARTMENTS))][:4])
        unit = _sirene_unit(state, cj="9220", apet=apet, ess="O", employer=True, jobs=15, place=commune.name)
        _sirene_establishment(state, unit, 1, commune, apet=apet, employer="O", jobs=15, siege=True)
    # Active old establishments still coded in NAF rev. 1.
    for code in NAF_REV1_CODES[:3]:
        commune = rng.choice(communes["62"])
        unit = _sirene_unit(state, cj="1000", apet=code, ess="", employer=False, jobs=0, place=commune.name,
                            nomenclature="NAFRev1", created=date(1988, 4, 1))
        _sirene_establishment(state, unit, 1, commune, apet=code, employer="N", jobs=0, siege=True,
                              nomenclature="NAFRev1")
    # Orphans: active establishments whose legal unit is missing from StockUniteLegale.
    for index in range(3):
        ghost = _sirene_unit(state, cj="5499", apet="4711D", ess="N", employer=True, jobs=6, place=lille.name)
        _sirene_establishment(state, ghost, 1, rng.choice(communes["59"]), apet="4711D", employer="O", jobs=6,
                              siege=True, active=index < 2)
        state.units.remove(ghost)


def _write_sirene(out_dir: Path, units: list[dict[str, str]], establishments: list[dict[str, str]], seed: int,
                  scale: float) -> list[Path]:
    written = []
    for stem, header, rows in (("StockUniteLegale", SIRENE_UNIT_HEADER, units),
                               ("StockEtablissement", SIRENE_ESTABLISHMENT_HEADER, establishments)):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row[name] for name in header])
        path = out_dir / SIRENE_FOLDER / f"{stem}_utf8.zip"
        _write_zip(path, [(f"{stem}_utf8.csv", buffer.getvalue().encode("utf-8"))], SIRENE_TIMESTAMP)
        sidecar = _sidecar(path, SIRENE_PRODUCER, SIRENE_URLS[stem], SIRENE_LICENCE, SNAPSHOT.isoformat(),
                           seed, scale)
        written += [path, sidecar]
    return written


def _write_zip(path: Path, members: list[tuple[str, bytes]], timestamp: tuple[int, ...]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    path.write_bytes(buffer.getvalue())
    return path


# ------------------------------------------------------------------------------------------------------------
# Belgium: geography, ONSS
# ------------------------------------------------------------------------------------------------------------
def _be_communes(rng: random.Random, scale: float) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for arr, (_, main, count, _) in BE_ARRONDISSEMENTS.items():
        n = max(2, min(60, int(count * scale + 0.5)))
        taken = {int(main[2:])}
        numbers = sorted(rng.sample([i for i in range(1, 95) if i not in taken], n - 1))
        communes = [(main, 1.0 / 1.5)]
        communes += [(f"{arr}{number:03d}", 1.0 / (2.5 + rng.random() * 2 * n)) for number in numbers]
        out[arr] = communes
    return out


def _be_keys(rng: random.Random, codes: Codes, communes: dict[str, list[tuple[str, float]]],
             scale: float) -> dict:
    strata = [_with_family(s, SAMPLE_BE_FAMILIES.get((s.legal, s.accreditation), "")) for s in BE_STRATA]
    regions = [(arr, BE_ARRONDISSEMENTS[arr][0], BE_ARRONDISSEMENTS[arr][3], communes[arr])
               for arr in BE_ARRONDISSEMENTS]
    keys = _make_keys(rng, regions, strata, 2600.0 / scale, "2008")
    all_codes = [c for arr in BE_ARRONDISSEMENTS for c, _ in communes[arr]]
    _add_small_keys(rng, keys, all_codes, strata, _scaled(250, scale, 20), "2008")
    _add_missing_strata(rng, keys, [communes[arr][0][0] for arr in BE_ARRONDISSEMENTS], strata, "2008")
    by_activity = {(s.legal, s.accreditation, s.activity): s for s in strata}
    extras = [("21004", "019", "", "2008", "65122", 40), ("62063", "017", "", "2008", "88999", 15),
              (BE_UNKNOWN_REFNIS, "610", "", "2008", "47111", 20), ("31005", "610", "", "2025", "62100", 10),
              ("52011", "017", "", "2025", "88101", 6)]
    for refnis, form, accreditation, version, nace, jobs in extras:
        if nace not in real_kbo_codes()[f"Nace{version}"]:
            raise ValueError(f"ONSS sample cell: NACE-BEL {version} {nace} is not in {KBO_CODE_LIST.name}")
        stratum = (by_activity.get((form, accreditation, nace))
                   or Stratum(form, accreditation, nace, 0.0, 0.6, "S", 5, 0.9, False, False))
        key = Key(refnis, stratum, form, accreditation, version, nace, jobs, 0, 0.2, fixed=True)
        keys[(refnis, form, accreditation, version, nace)] = key
    return keys


def _write_onss(out_dir: Path, cells: dict[int, list[tuple]], years: tuple[int, ...], seed: int,
                scale: float) -> list[Path]:
    written = []
    for year in years:
        quarter = f"{year}Q4"
        jobs_buffer, units_buffer = io.StringIO(), io.StringIO()
        jobs_writer = csv.writer(jobs_buffer, lineterminator="\n")
        units_writer = csv.writer(units_buffer, lineterminator="\n")
        jobs_writer.writerow(ONSS_JOBS_HEADER)
        units_writer.writerow(ONSS_UNITS_HEADER)
        order = {code: i for i, code in enumerate(("<25", "25-34", "35-44", "45-54", "55-64", "65+"))}
        for key, rows, units, largest in sorted(cells[year], key=lambda item: (
                item[0].geo, item[0].legal, item[0].accreditation, item[0].version, item[0].activity)):
            prefix = [quarter, key.geo, key.legal, key.accreditation, key.version, key.activity]
            for sex, age, count, fte in sorted(rows, key=lambda r: (r[0], order.get(r[1], 99), r[1])):
                jobs_writer.writerow(prefix + [sex, age, count, "" if fte is None else f"{fte:.2f}"])
            units_writer.writerow(prefix + [units, largest])
        for name, buffer in ((f"onss_postes_{quarter}.csv", jobs_buffer),
                             (f"onss_unites_{quarter}.csv", units_buffer)):
            path = _write_text(out_dir / ONSS_FOLDER / name, buffer.getvalue())
            sidecar = _sidecar(path, ONSS_PRODUCER, AGREEMENT_URL, AGREEMENT_LICENCE, quarter, seed, scale)
            written += [path, sidecar]
    return written


# ------------------------------------------------------------------------------------------------------------
# Belgium: KBO open data (full extract)
# ------------------------------------------------------------------------------------------------------------
@functools.cache
def real_kbo_codes() -> dict[str, dict[str, dict[str, str]]]:
    """Category -> code -> language -> label of the producer's code.csv (KBO_CODE_LIST)."""
    codes: dict[str, dict[str, dict[str, str]]] = {}
    with KBO_CODE_LIST.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            codes.setdefault(row["Category"], {}).setdefault(row["Code"], {})[row["Language"]] = row["Description"]
    return codes


# NACE-BEL 2008 code -> the NACE-BEL 2025 code the sample gives the same entity, where the 2008 number is not a 2025
# code (class renumbered or split in NACE Rev. 2.1). Picked by hand from the real code.csv's Nace2025 labels; every
# other code keeps its number, which the generator checks is a real 2025 code. Never read from the Rev. 2.1 -> Rev. 2
# correspondence the pipeline converts with, so that the sample tests that conversion instead of agreeing with it.
NACE_BEL_2025 = {
    "31091": "31004",  # furniture for dining rooms, living rooms and bedrooms
    "38321": "38210",  # recovery of sorted materials
    "41201": "41001",  # general construction of residential buildings
    "43999": "43990",  # other specialised construction
    "45113": "47811",  # retail sale of cars and light motor vehicles (trade of vehicles moves to division 47)
    "47111": "47110",  # non-specialised retail sale
    "49100": "49110",  # passenger rail transport
    "56101": "56111",  # full-service restaurants
    "58140": "58130",  # publishing of journals and periodicals
    "62010": "62100",  # computer programming
    "62020": "62200",  # computer consultancy
    "68311": "68310",  # real-estate intermediation
    "70220": "70200",  # business and other management consultancy
    "72190": "72109",  # other research and development in natural sciences
    "74103": "74120",  # graphic design
    "80100": "80010",  # private security
    "85422": "85402",  # subsidised private higher education
    "86901": "86910",  # medical laboratories
    "90011": "90201",  # performing arts by independent artists
    "91020": "91210",  # museums
    "96012": "96102",  # laundries for private customers
    "96021": "96210",  # hairdressing
    "96099": "96999",  # other personal services
}
KBO_NON_EMPLOYERS = (  # (kind, form, nace, weight): kind N natural person, L legal person
    ("N", "", "43320", 8), ("N", "", "96021", 6), ("N", "", "86210", 5), ("N", "", "47241", 4),
    ("N", "", "01500", 6), ("N", "", "74103", 4), ("N", "", "96099", 4), ("N", "", "47910", 5),
    ("N", "", "68201", 6), ("L", "610", "70100", 8), ("L", "610", "62020", 5), ("L", "610", "68201", 8),
    ("L", "610", "46900", 3), ("L", "017", "94991", 8), ("L", "017", "93129", 4), ("L", "017", "90011", 2),
    ("L", "125", "94991", 1), ("L", "026", "94991", 1), ("L", "706", "35110", 1), ("L", "011", "47241", 1),
    ("L", "012", "69101", 1), ("L", "001", "46900", 0.2), ("L", "506", "88999", 0.2),
    ("L", "029", "91020", 0.2),
)


BE_SECTOR_WORDS = {  # A*10 group -> (FR, NL) keyword of synthetic names
    "A": ("Agri", "Agro"), "B-E": ("Industries", "Industrie"), "F": ("Construction", "Bouw"),
    "G-I": ("Commerce", "Handel"), "J": ("Informatique", "Informatica"), "K": ("Finances", "Financiën"),
    "L": ("Immo", "Vastgoed"), "M_N": ("Services", "Diensten"), "O-Q": ("Soins", "Zorg"),
    "R-U": ("Loisirs", "Vrije Tijd"),
}
FLEMISH_STREETS = ("Kerkstraat", "Stationsstraat", "Markt", "Dorpsstraat", "Nieuwstraat", "Molenstraat",
                   "Schoolstraat", "Industrielaan")
WALLOON_STREETS = ("Rue de la Station", "Grand-Place", "Rue du Moulin", "Chaussée de Bruxelles", "Rue Haute",
                   "Place Communale", "Rue de l'Eglise", "Zoning industriel")
BRUSSELS_STREETS = (("Koningsstraat", "Rue Royale"), ("Wetstraat", "Rue de la Loi"),
                    ("Nieuwstraat", "Rue Neuve"))


def _nace_2025(code: str) -> str:
    return NACE_BEL_2025.get(code, code)


class _Kbo:
    def __init__(self, rng: random.Random, codes: Codes) -> None:
        self.rng = rng
        self.codes = codes
        self.numbers: set[str] = set()
        self.enterprises: list[list] = []
        self.establishments: list[list] = []
        self.denominations: list[list] = []
        self.addresses: list[list] = []
        self.contacts: list[list] = []
        self.activities: list[list] = []
        self.branches: list[list] = []
        self.forms_used: set[str] = set()
        self.nace_used: dict[str, set[str]] = {"2008": set(), "2025": set()}
        self.postcode_names: dict[str, tuple[str, str]] = {}
        for nuts3, (nl, fr, _) in BE_TOWNS.items():
            for postcode in codes.be_postcodes.get(nuts3, []):
                self.postcode_names[postcode] = (nl, fr)
        self.postcode_names.update(BE_OUTSIDE_POSTCODES)
        self.flemish = {p for nuts3 in FLEMISH_NUTS3 for p in codes.be_postcodes.get(nuts3, [])}

    def number(self, first: str, low: int, high: int, enterprise: bool) -> str:
        while True:
            body = f"{first}{self.rng.randrange(low, high):07d}"
            digits = body + kbo_check_digits(body)
            formatted = _kbo_format(digits, enterprise)
            if formatted not in self.numbers:
                self.numbers.add(formatted)
                return formatted

    def postcode(self, nuts3: str) -> str:
        postcodes = self.codes.be_postcodes[nuts3]
        town = BE_TOWNS[nuts3][2]
        return town if self.rng.random() < 0.4 and town in postcodes else self.rng.choice(postcodes)

    def address(self, entity: str, kind: str, postcode: str) -> None:
        rng = self.rng
        number = str(rng.randint(1, 220))
        box = rng.choice(("", "", "", "", "A", "1", "2"))
        nl, fr = self.postcode_names.get(postcode, ("Onbekend", "Inconnu"))
        if postcode in BE_OUTSIDE_POSTCODES:
            street_nl, street_fr = rng.choice(BRUSSELS_STREETS)
        else:
            streets = FLEMISH_STREETS if postcode in self.flemish else WALLOON_STREETS
            street_nl = street_fr = rng.choice(streets)
        self.addresses.append([entity, kind, None, None, postcode, nl, fr, street_nl, street_fr, number, box,
                               "", None])

    def activity(self, entity: str, group: str, nace: str, classification: str,
                 only_2025: bool = False) -> None:
        if not only_2025:
            self.activities.append([entity, group, "2008", nace, classification])
            self.nace_used["2008"].add(nace)
        new = _nace_2025(nace)
        self.activities.append([entity, group, "2025", new, classification])
        self.nace_used["2025"].add(new)

    def enterprise(self, *, form: str, cac: str, start: date, nace: str, employer: bool, nuts3: str,
                   units: int, seat_postcode: str | None = None, only_2025: bool = False,
                   unit_nuts3: list[str] | None = None) -> str:
        rng = self.rng
        recent = start >= date(2023, 1, 1)
        number = self.number("1" if recent else "0", 2_000_000 if not recent else 0, 9_999_999, True)
        natural = form == ""
        kind = "1" if natural else "2"
        self.enterprises.append([number, "AC", "000", kind, form or None, cac or None, start])
        for used in (form, cac):
            if used:
                self.forms_used.add(used)
        flemish = nuts3 in FLEMISH_NUTS3
        language = "2" if flemish else "1"
        if not natural:
            name = self.enterprise_name(form, nace, nuts3)
            self.denominations.append([number, language, "001", name])
            if rng.random() < 0.15:
                short = "".join(w[0] for w in name.split()[:4]).upper()
                self.denominations.append([number, language, "002", short])
            self.address(number, "REGO", seat_postcode or self.postcode(nuts3))
        group = "003" if form in ("017", "125", "124", "026", "029", "019", "021") else "001"
        self.activity(number, group, nace, "MAIN", only_2025)
        if rng.random() < 0.2:
            self.activity(number, group, rng.choice(("46900", "70220", "85599", "94991")), "SECO", only_2025)
        if employer:
            self.activity(number, "006", nace, "MAIN", only_2025)
        if rng.random() < 0.25:
            self.contacts.append([number, "ENT", "TEL", f"0{rng.randint(50, 99)} {rng.randint(10, 99)} "
                                                      f"{rng.randint(10, 99)} {rng.randint(10, 99)}"])
        if rng.random() < 0.1:
            self.contacts.append([number, "ENT", "EMAIL", f"info{len(self.enterprises)}@example.be"])
        if rng.random() < 0.05:
            self.contacts.append([number, "ENT", "WEB", f"www.example.be/{len(self.enterprises)}"])
        places = unit_nuts3 or [nuts3]
        for index in range(units):
            unit_start = _date_between(rng, start, max(start, SNAPSHOT - timedelta(days=5)))
            unit = self.number("2", 0, 3_999_999, False)
            self.establishments.append([unit, unit_start, number])
            self.address(unit, "BAET", self.postcode(places[index % len(places)]))
            self.activity(unit, group, nace, "MAIN", only_2025)
            if rng.random() < 0.1:
                self.denominations.append([unit, language, "003", self.enterprise_name(form, nace, nuts3)])
        return number

    def enterprise_name(self, form: str, nace: str, nuts3: str) -> str:
        """A synthetic name in the language of the place: surname or town, a sector keyword, the form."""
        rng = self.rng
        nl, fr, _ = BE_TOWNS.get(nuts3, ("Brussel", "Bruxelles", ""))
        flemish = nuts3 in FLEMISH_NUTS3
        town = nl if flemish else fr
        keyword_fr, keyword_nl = BE_SECTOR_WORDS.get(self.codes.a10_of(nace[:2]), ("Services", "Diensten"))
        keyword = keyword_nl if flemish else keyword_fr
        surname = rng.choice(SURNAMES).capitalize()
        if form in ("026", "029"):
            return f"{'Stichting' if flemish else 'Fondation'} {surname}"
        if form == "019":
            return f"{'Ziekenfonds' if flemish else 'Mutualité'} {town}"
        if form == "021":
            return f"{'Onderlinge Verzekeringen' if flemish else 'Assurances mutuelles'} {town}"
        if form == "124":
            if nace.startswith("88"):
                return f"OCMW {town}" if flemish else f"CPAS de {town}"
            return f"{keyword} {town}"
        if form in ("017", "125"):
            prefix = rng.choice(("Vrienden van", "Centrum", "Huis") if flemish
                                else ("Les Amis de", "Centre", "Maison"))
            return f"{prefix} {town} {keyword} {'VZW' if flemish else 'ASBL'}"
        suffix = {"610": "BV" if flemish else "SRL", "015": "BVBA" if flemish else "SPRL",
                  "706": "CV" if flemish else "SC", "006": "CVOA" if flemish else "SCRI",
                  "008": "CVBA" if flemish else "SCRL"}.get(form, "")
        return f"{surname} {keyword}{' ' + suffix if suffix else ''}"


def _kbo(rng: random.Random, codes: Codes, be_cells: dict[int, list[tuple]], year: int, scale: float) -> _Kbo:
    kbo = _Kbo(rng, codes)
    arr_nuts3 = codes.be_arr_nuts3
    nuts3_list = sorted(BE_TOWNS)
    weights = [BE_ARRONDISSEMENTS[arr][0] for arr in BE_ARRONDISSEMENTS]

    # Employers, drawn from the ONSS cells of the snapshot year (weighted by their units).
    cells = [(key, units) for key, _, units, _ in be_cells[year]
             if key.version == "2008" and key.geo[:2] in arr_nuts3]
    cumulative = []
    acc = 0.0
    for _, units in cells:
        acc += math.sqrt(units)
        cumulative.append(acc)
    for key, _ in rng.choices(cells, cum_weights=cumulative, k=_scaled(1400, scale, 40)):
        nuts3 = arr_nuts3[key.geo[:2]]
        form, cac = key.legal, ""
        if form == "706" and rng.random() < 0.2:
            form, cac = rng.choice(("006", "008")), "706"
        elif form == "610" and rng.random() < 0.3:
            form, cac = "015", "610"
        multi = key.legal in ("124", "019", "021", "029") or (key.legal == "017" and key.stratum.size >= 40)
        units = rng.randint(2, 5) if multi and rng.random() < 0.6 else (2 if rng.random() < 0.1 else 1)
        seat = None
        if key.legal in ("019", "021") and rng.random() < 0.5:
            seat = "1000"
        start = _date_between(rng, date(1921, 1, 1) if key.legal in ("017", "124") else date(1960, 1, 1),
                              date(2024, 6, 30))
        kbo.enterprise(form=form, cac=cac, start=start, nace=key.activity, employer=True, nuts3=nuts3,
                       units=units, seat_postcode=seat)

    # Non-employers: natural persons (no juridical form) and small legal persons.
    for _ in range(_scaled(2200, scale, 60)):
        kind, form, nace, _ = rng.choices(KBO_NON_EMPLOYERS, weights=[w for *_, w in KBO_NON_EMPLOYERS])[0]
        arr = rng.choices(list(BE_ARRONDISSEMENTS), weights=weights)[0]
        nuts3 = arr_nuts3[arr]
        start = _date_between(rng, date(1975, 1, 1), date(2024, 12, 15))
        only_2025 = start >= date(2024, 11, 1)
        kbo.enterprise(form=form if kind == "L" else "", cac="", start=start, nace=nace, employer=False,
                       nuts3=nuts3, units=1, only_2025=only_2025)

    # Every area NUTS3 and every family has establishment units.
    for nuts3 in nuts3_list:
        for form, nace in (("017", "88999"), ("706", "46211"), ("019", "65122"), ("029", "72190"),
                           ("508", "88999"), ("610", "47111")):
            kbo.enterprise(form=form, cac="", start=_date_between(rng, date(1990, 1, 1), date(2020, 1, 1)),
                           nace=nace, employer=True, nuts3=nuts3, units=1)
    # Enterprises under pre-2019 forms, with the form to read pending adaptation of statutes (CAC) or not.
    for form, cac, nace in (("006", "706", "46211"), ("008", "706", "10510"), ("015", "610", "43211"),
                            ("008", "", "47730")):
        kbo.enterprise(form=form, cac=cac, start=date(1987, 6, 15), nace=nace, employer=True, nuts3="BE352",
                       units=1)
    # Created in December 2024: activities coded in NACE-BEL 2025 only.
    for form, nace, nuts3 in (("610", "62010", "BE234"), ("", "96021", "BE323")):
        kbo.enterprise(form=form, cac="", start=date(2024, 12, 2), nace=nace, employer=False, nuts3=nuts3,
                       units=1, only_2025=True)
    # Out-of-area seats with units in the area, unknown postcodes, a foreign entity with a Belgian branch.
    seats = (("1000", "019", "65122"), ("4000", "017", "88101"), ("2000", "610", "52100"))
    for postcode, form, nace in seats:
        kbo.enterprise(form=form, cac="", start=date(1995, 3, 1), nace=nace, employer=True, nuts3="BE254",
                       units=2, seat_postcode=postcode, unit_nuts3=["BE254", "BE32B"])
    for form, nace in (("610", "43211"), ("017", "94991")):
        kbo.enterprise(form=form, cac="", start=date(2012, 5, 2), nace=nace, employer=False, nuts3="BE328",
                       units=1, seat_postcode=BE_UNKNOWN_POSTCODE)
        kbo.addresses[-1][4] = BE_UNKNOWN_POSTCODE  # the unit's address too
    foreign = kbo.enterprise(form="030", cac="", start=date(2008, 9, 1), nace="49410", employer=True,
                             nuts3="BE328", units=1)
    for row in kbo.addresses:
        if row[0] == foreign and row[1] == "REGO":
            row[2:7] = ["Frankrijk", "France", "59000", "Rijsel", "Lille"]
            row[7] = row[8] = "Rue Nationale"
    branch = kbo.number("9", 0, 99_999, False)
    kbo.branches.append([branch, date(2008, 9, 1), foreign])
    kbo.address(branch, "ABBR", kbo.postcode("BE328"))
    return kbo


def _kbo_field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return _dmy(value)
    return '"' + str(value).replace('"', '""') + '"'


def _kbo_table(header: list[str], rows: Iterable[list]) -> bytes:
    lines = [",".join(_kbo_field(h) for h in header)]
    lines += [",".join(_kbo_field(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _check_kbo_codes(kbo: _Kbo) -> None:
    """Every juridical form and NACE-BEL code the sample writes is one of the producer's (real code.csv)."""
    real = real_kbo_codes()
    unknown = sorted(f"JuridicalForm {form}" for form in kbo.forms_used if form not in real["JuridicalForm"])
    for version, used in kbo.nace_used.items():
        unknown += sorted(f"Nace{version} {code}" for code in used if code not in real[f"Nace{version}"])
    if unknown:
        raise ValueError(f"the sample writes codes absent from {KBO_CODE_LIST}: {', '.join(unknown)}")


def _write_kbo(out_dir: Path, kbo: _Kbo, seed: int, scale: float) -> list[Path]:
    meta = [["SnapshotDate", _dmy(SNAPSHOT)], ["ExtractTimestamp", "01-01-2025 07:07:49"],
            ["ExtractType", "full"], ["ExtractNumber", "130"], ["Version", "1.0.0"]]
    tables = {
        "meta.csv": meta,
        "enterprise.csv": sorted(kbo.enterprises, key=lambda r: r[0]),
        "establishment.csv": sorted(kbo.establishments, key=lambda r: r[0]),
        "denomination.csv": sorted(kbo.denominations, key=lambda r: (r[0], r[2], r[1])),
        "address.csv": sorted(kbo.addresses, key=lambda r: (r[0], r[1])),
        "contact.csv": sorted(kbo.contacts, key=lambda r: (r[0], r[2])),
        "activity.csv": sorted(kbo.activities, key=lambda r: (r[0], r[1], r[2], r[4], r[3])),
        "branch.csv": sorted(kbo.branches, key=lambda r: r[0]),
    }
    _check_kbo_codes(kbo)
    members = [(name, _kbo_table(KBO_HEADERS[name], rows)) for name, rows in tables.items()]
    # The producer's code list itself, never one written from the mappings (issue 9).
    members.insert(1, ("code.csv", KBO_CODE_LIST.read_bytes()))
    path = _write_zip(out_dir / KBO_FOLDER / KBO_ZIP, members, KBO_TIMESTAMP)
    return [path, _sidecar(path, KBO_PRODUCER, KBO_URL, KBO_LICENCE, SNAPSHOT.isoformat(), seed, scale)]


# ------------------------------------------------------------------------------------------------------------
# README and entry points
# ------------------------------------------------------------------------------------------------------------
README = """# data/raw — the embedded SYNTHETIC sample

**Every file in this folder is synthetic.** The files have the producers' real formats (names, columns,
order, separators, encodings, quoting, codes), but every row is invented: the enterprises, names, addresses,
identifiers and figures do not describe real units, and no statistic drawn from them is true. The magnitudes
are only meant to look plausible (about 2.2 million jobs on the French side of the area and 1.2 million on the
Belgian side each year, a social-economy share of roughly 10-15 %).

Each data file has a sidecar `<file name>.origin.json` (`producer`, `url`, `licence`, `reference_period`,
`retrieved`, `synthetic: true`, `generator`, `note`) that the pipeline records in `meta.sources`.

## How it was made

By the deterministic generator `observatory/sample.py` (stdlib only, seeded `random.Random` streams, fixed
timestamps): the same seed and scale always give byte-identical files.

```bash
python -m observatory.sample --out data/raw                # this folder: seed {seed}, scale {scale}
python -m observatory.sample --out /tmp/raw --scale 10    # ten times more rows and entities
observatory sample --out /tmp/raw --scale 10               # the same through the project's command
```

`--scale` multiplies the registry entities (legal units, establishments, enterprises) and makes the
employment cells finer (more communes, smaller cells) over the same realistic totals. Territorial codes
(départements, arrondissements, TERCET postcodes) and the age and sex classes of the deliveries are read from
`observatory/nomenclatures/*.csv`, which hold those producer lists with their sources; the legal forms, their
meaning and the KBO code list are not (see below).

## Layout

```
fr/sirene/StockUniteLegale_utf8.zip         INSEE SIRENE stock of legal units (format 3.11, NAF 2025
fr/sirene/StockEtablissement_utf8.zip       column empty) and of establishments; snapshot of 2024-12-31
fr/flores/flores_postes_<YYYY>.csv          INSEE FLORES delivery under agreement (contracts.md): jobs at
fr/flores/flores_etablissements_<YYYY>.csv  31/12 by commune, CJ, APET, sex, age; establishments per cell
be/kbo/KboOpenData_0130_2025_01_Full.zip    KBO/BCE open data, full extract (meta, code, enterprise,
                                            establishment, denomination, address, contact, activity,
                                            branch); snapshot of 31-12-2024
be/onss/onss_postes_<YYYY>Q4.csv            ONSS delivery under agreement (contracts.md): jobs on the last
be/onss/onss_unites_<YYYY>Q4.csv            day of Q4 by REFNIS, form, accreditation, NACE-BEL, sex, age
eu/eurostat/demo_r_pjangrp3.csv.gz          Eurostat population on 1 January by sex and five-year age,
                                            NUTS3, SDMX-CSV (years above and the next one)
eu/eurostat/lfst_r_lfe2en2.tsv.gz           Eurostat LFS employment by sex, age, NACE section, NUTS2,
                                            bulk TSV (context only)
fr/insee_population/estim-pop-dep-sexe-aq-1975-2025.xlsx
                                            INSEE population estimates by département, sex and five-year
                                            age, one sheet per year
be/statbel_population/TF_SOC_POP_STRUCT_<YYYY>.zip
                                            Statbel population on 1 January by commune, sex and single year
                                            of age (pipe-delimited, UTF-8 with BOM)
```

Years: {years}.

## Deliberate oddities (so that the pipeline's handling of them is exercised)

- SIRENE: ceased units (`C`) with closed establishments (`F`); partially non-diffusible units (`P`) with
  `[ND]` postal codes; old `NAFRev1` codes; establishments outside the area (Paris 75056, Meuse 55029,
  Corsica 2A004) and one abroad (empty commune, `codePaysEtranger` 99131); an unknown legal category
  (`4444`) and an unknown commune (`96001`); ESS units with excluded activities (84.11Z, 94.11Z, 94.20Z,
  94.91Z); commercial companies flagged ESS (SOCENT); orphan establishments (siren absent from the units).
- FLORES: a UTF-8 BOM on one year only; some empty `EQTP`; small cells; cells outside the area and a few
  tiny cells with unknown codes (`96001`, CJ `4444`).
- KBO: enterprises under pre-2019 forms with a `JuridicalFormCAC`; natural persons (no juridical form, no
  published name or seat); out-of-area seats (1000, 4000, 2000); unknown postcode `0999`; a foreign entity
  with a French seat and a Belgian branch; NACE 2008 and 2025 rows, some entities with a 2025 code only.
- ONSS: REFNIS outside the area (21004, 62063), an unknown arrondissement (54007: arrondissement 54 ended in
  2019), a couple of small NACE-BEL 2025 cells.
- Eurostat: a confidential cell (BE100, 2025, F, Y_GE90), a missing one (FRF32, 2022, M, Y_GE90), provisional
  figures (BE254 and BE25 in 2025), an unknown age (FRE23), and a legacy `: c` in the TSV (BE34, section L, F).

## Code lists: the producers' own, never the project's mappings

The KBO `code.csv` is the **real** one, byte for byte: the complete code list of the KBO open-data Update
extract 0147 (`observatory/reference/kbo/code.csv`, source in that folder's README). Every juridical form and
NACE-BEL code the sample writes is one of its codes (the generator refuses to write any other). The
NACE-BEL 2025 code of an entity is its 2008 code where that number is still a 2025 code, else one picked by
hand from the real 2025 labels (`NACE_BEL_2025` in the generator): the sample never uses the Rev. 2.1 -> Rev. 2
correspondence the pipeline converts with. The families the generator has in mind for each legal form are
stated in the generator from the producers' labels, not read from `observatory/nomenclatures/`, so that a
wrong mapping shows in the build instead of agreeing with the sample by construction. Commune names other than
those of the main towns are invented, and so are the pairs of Belgian postcodes and municipality names.
"""


def generate_sample(out_dir: Path, *, years: tuple[int, ...] = DEFAULT_YEARS, scale: float = 1.0,
                    seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the synthetic sample under ``out_dir``; return the files written (data, sidecars, README)."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    if not years:
        raise ValueError("at least one year is needed")
    years = tuple(sorted(set(years)))
    out_dir = Path(out_dir)
    codes = load_codes()
    _check_codes(codes)
    snapshot_year = SNAPSHOT.year if SNAPSHOT.year in years else years[-1]
    written: list[Path] = []

    fr_rng = random.Random(f"{seed}/fr-employment")
    communes = _fr_communes(fr_rng, scale)
    fr_keys = _fr_keys(fr_rng, codes, communes, scale)
    fr_cells = _year_cells(fr_rng, fr_keys, years, codes.flores_ages, FR_AGE_WEIGHTS,
                           (codes.flores_sex["M"], codes.flores_sex["F"]))
    written += _write_flores(out_dir, fr_cells, years, seed, scale)

    sirene_rng = random.Random(f"{seed}/fr-sirene")
    units, establishments = _sirene(sirene_rng, codes, communes, fr_cells, snapshot_year, scale)
    written += _write_sirene(out_dir, units, establishments, seed, scale)

    be_rng = random.Random(f"{seed}/be-employment")
    be_communes = _be_communes(be_rng, scale)
    be_keys = _be_keys(be_rng, codes, be_communes, scale)
    be_cells = _year_cells(be_rng, be_keys, years, codes.onss_ages, BE_AGE_WEIGHTS,
                           (codes.onss_sex["M"], codes.onss_sex["F"]))
    written += _write_onss(out_dir, be_cells, years, seed, scale)

    kbo = _kbo(random.Random(f"{seed}/be-kbo"), codes, be_cells, snapshot_year, scale)
    written += _write_kbo(out_dir, kbo, seed, scale)

    # Population and labour-market context: regional facts that do not depend on the sampled enterprises.
    # Imported here because those modules reuse this one's writers (_sidecar, _write_zip).
    from observatory.sample_eurostat import write_eurostat_sample
    from observatory.sample_national_population import write_national_population_sample

    written += write_eurostat_sample(out_dir, years, seed, scale)
    written += write_national_population_sample(out_dir, years, seed, scale)

    readme = README.format(seed=seed, scale=f"{scale:g}", years=", ".join(str(y) for y in years))
    written.append(_write_text(out_dir / "README.md", readme))
    return written


def _check_codes(codes: Codes) -> None:
    """Fail early if the project's code lists, or the producers' own, no longer agree with what the generator writes."""
    problems = []
    for stratum in FR_STRATA:
        if stratum.legal[:2] not in codes.fr_level2:
            problems.append(f"CJ {stratum.legal}: level II not in fr_legal_categories_level2.csv")
        if stratum.activity[:2] not in codes.divisions:
            problems.append(f"APET {stratum.activity}: division unknown")
    real = real_kbo_codes()
    for stratum in BE_STRATA:
        if stratum.activity not in real["Nace2008"]:
            problems.append(f"NACE-BEL 2008 {stratum.activity}: not in {KBO_CODE_LIST.name}")
        if stratum.legal not in real["JuridicalForm"]:
            problems.append(f"juridical form {stratum.legal}: not in {KBO_CODE_LIST.name}")
    if FR_UNKNOWN_CJ[:2] in codes.fr_level2:
        problems.append(f"CJ {FR_UNKNOWN_CJ} was meant to be unknown")
    if FR_UNKNOWN_COMMUNE[:2] in codes.fr_departments:
        problems.append(f"commune {FR_UNKNOWN_COMMUNE} was meant to be in no département")
    if BE_UNKNOWN_REFNIS[:2] in codes.be_arrondissements:
        problems.append(f"REFNIS {BE_UNKNOWN_REFNIS} was meant to be in no arrondissement")
    if BE_UNKNOWN_POSTCODE in codes.be_postcode_set:
        problems.append(f"postcode {BE_UNKNOWN_POSTCODE} was meant to be unknown")
    if set(FR_DEPARTMENTS) != set(codes.fr_dep_nuts3):
        problems.append("the area départements of fr_departments.csv differ from FR_DEPARTMENTS")
    if set(BE_ARRONDISSEMENTS) != set(codes.be_arr_nuts3):
        problems.append("the area arrondissements of be_arrondissements.csv differ from BE_ARRONDISSEMENTS")
    if set(BE_TOWNS) != set(codes.be_arr_nuts3.values()):
        problems.append("BE_TOWNS does not cover the Belgian NUTS3 of the area")
    if problems:
        raise ValueError("observatory.sample disagrees with the nomenclatures: " + "; ".join(problems))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m observatory.sample",
        description="Write the deterministic SYNTHETIC sample in the producers' formats.")
    parser.add_argument("--out", type=Path, default=Path("data") / "raw",
                        help="output folder (default: data/raw)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies rows and entities (default: 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default: {DEFAULT_SEED})")
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS), help="reference years")
    args = parser.parse_args(argv)
    files = generate_sample(args.out, years=tuple(args.years), scale=args.scale, seed=args.seed)
    data = [f for f in files if not f.name.endswith(".origin.json") and f.name != "README.md"]
    for path in data:
        print(f"{path.stat().st_size:>10,d}  {path}")
    print(f"Wrote {len(files)} files ({len(data)} data files, their sidecars and a README) under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
