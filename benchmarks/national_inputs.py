"""SYNTHETIC national-scale SIRENE and KBO inputs, in the producers' exact layouts, written by DuckDB SQL alone.

    .venv/bin/python benchmarks/national_inputs.py --fraction 0.01 --format zip|parquet --out DIR

writes, under the raw folder ``DIR`` (after removing the other SIRENE and KBO files of those two folders):

- ``fr/sirene/StockUniteLegale_utf8.<zip|parquet>`` and ``fr/sirene/StockEtablissement_utf8.<zip|parquet>``;
- ``be/kbo/KboOpenData_<nnnn>_<yyyy>_<mm>_Full.zip`` named after the snapshot's month, one extract number a month
  (``KboOpenData_0130_2025_01_Full.zip`` for the default snapshot 2025-01-31; the producer's own names carry the month
  after the snapshot, e.g. SnapshotDate 30-05-2025 in ``..._2025_06_Full.zip``);

each with a ``.origin.json`` sidecar saying ``"synthetic": true``. EVERY ROW IS SYNTHETIC: identifiers, names,
addresses and the links between them are drawn from hashes of the row number (``hash(i, seed, salt)``), never read
from a register. Rows are generated inside DuckDB from a table of row numbers and streamed to the file by ``COPY``:
Python holds only small code lists. The point is to time and size the loaders on national volumes, not to publish
anything. Measured on the 2-core machine: fraction 0.1 in 27 s (Parquet) or 38 s (ZIP), fraction 1.0 (Parquet) in
313 s, peak memory 2.1 GB.

Volumes (national, multiplied by ``fraction``) [file: fact]:

- StockUniteLegale 30,000,000 rows: ``../shared/reference/sources-fr.md`` ("~29-30 M" in 2025);
- StockEtablissement 42,700,000 rows: ``sources-fr.md`` ("~42 M", CSV 5-8 GB);
  ``../shared/reference/real/sirene/stocketablissement_columns_2026-08.json`` (43,896,818 rows in 2026-08);
- KBO Full: 1,938,238 enterprises (``../shared/reference/real/kbo_docs/analysis-results_extract140.txt``, Full extract
  140 of 2025-10-04), 1,672,490 establishment units (same profile: BAET addresses; ``sources-be.md``: establishment.csv
  1.67 M), ~36.3 M activity rows, ~3.3 M denominations, ~2.84 M addresses, ~0.69 M contacts, ~7 k branches
  (``sources-be.md`` table "rows (Oct 2025)").

Frequencies [file: fact, or "approx." when it is the developer's order of magnitude, not a figure in the project]:

- SIRENE: 55 % of establishments closed (``F``) and 48 % of legal units ceased (``C``): approx., from the brief of this
  benchmark (the stock keeps closed establishments and ceased units, ``sources-fr.md``); legal categories: the real
  INSEE level III list ``observatory/reference/insee/DERIVED_cj_septembre_2022_all_levels.csv`` (every code written is
  checked against it), weights ``FR_LEGAL_WEIGHTS`` approx. (1000 ~60 %, 9220 ~5 %); ESS flag ``O`` mostly for the
  codes whose INSEE label says association, foundation, cooperative or mutual; communes: the real département codes
  of ``observatory/nomenclatures/fr_departments.csv`` weighted by their population (``FR_DEPARTMENT_POPULATION``,
  approx. INSEE legal populations, thousands: the border départements 59, 62, 02, 08 and the rest of the area weigh
  as nationally, ~10 %); the commune NUMBER within a département is drawn in the département's COG numbering range
  (Paris: its 20 arrondissements 75101-75120, as SIRENE codes them), so most but not all codes exist: the project
  carries no national commune list; NAF: the classes of the real NACE Rev. 2 list (the 4-digit ``Nace2008`` codes of
  ``observatory/reference/kbo/code.csv``) with a ``Z`` subclass, half of the rows from ``NAF_FREQUENT`` (real NAF
  rev. 2 subclasses, approx. weights).
- KBO: 40 % natural persons (776,298 of 1,938,238 enterprises have no address: extract-140 profile), 65 % of
  enterprises with activities (1,253,298 with a MAIN activity: same), NaceVersion 2008/2025 on every activity and 2003
  on 13.7 % (2,330,232 of 36.3 M rows: same), ActivityGroup and Classification shares (same profile), denomination
  types (same); juridical forms and NACE-BEL codes from the real ``code.csv`` (``observatory/reference/kbo/code.csv``,
  copied byte for byte into the ZIP), form weights ``BE_FORM_WEIGHTS`` approx.; postcodes: the real Belgian postcodes
  of ``observatory/nomenclatures/be_postcode_nuts3.csv`` (only the postcode column: the province comes from the
  postcode ranges of bpost, not from the mapping under test), weighted by province population
  (``BE_PROVINCE_POPULATION``, approx. Statbel 2024), so Hainaut and West-Vlaanderen weigh as nationally (~22 %).

Formats: SIRENE CSV comma, ``"`` quoting only where needed, UTF-8, LF, header, final newline (``sources-fr.md``);
its Parquet has the column types of data.gouv's own Parquet (a public DuckLake DDL of
``stock-stockunitelegale-parquet.parquet`` and ``stock-stocketablissement-parquet.parquet`` of 2026-06-01): dates
DATE, ``dateDernierTraitement*`` TIMESTAMP, years and ``nombrePeriodes*`` BIGINT, booleans BOOLEAN and, in the
legal units, ``categorieJuridiqueUniteLegale`` BIGINT; identifiers and ``codeCommuneEtablissement`` stay VARCHAR.
KBO: every text field in double quotes, dates ``dd-mm-yyyy`` unquoted, NULL an empty unquoted field, headers quoted,
enterprise and unit numbers with valid mod-97 check digits (``sources-be.md``). Headers: those of the embedded sample
(``observatory.sample.sirene`` / ``observatory.sample.kbo``), which match the real files.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # run as a script from anywhere
# Only the headers: nothing the sample derives from the mapping files is used.
from observatory.sample.kbo import KBO_HEADERS  # noqa: E402
from observatory.sample.sirene import SIRENE_ESTABLISHMENT_HEADER, SIRENE_UNIT_HEADER  # noqa: E402

NOMENCLATURES = PROJECT / "observatory" / "nomenclatures"
KBO_CODE_LIST = PROJECT / "observatory" / "reference" / "kbo" / "code.csv"
INSEE_LEGAL_CATEGORIES = PROJECT / "observatory" / "reference" / "insee" / "DERIVED_cj_septembre_2022_all_levels.csv"

NATIONAL = {"units": 30_000_000, "establishments": 42_700_000, "enterprises": 1_938_238, "be_units": 1_672_490,
            "branches": 7_000}
SIRENE_FOLDER = Path("fr") / "sirene"
KBO_FOLDER = Path("be") / "kbo"
UNITS, ESTABLISHMENTS = "StockUniteLegale", "StockEtablissement"
SIRENE_URLS = {UNITS: "https://www.data.gouv.fr/datasets/r/825f4199-cadd-486c-ac46-a65a8ea1a047",
               ESTABLISHMENTS: "https://www.data.gouv.fr/datasets/r/0651fb76-bcf3-4f6a-a38d-bc04fa708576"}
NOTE = "SYNTHETIC national-scale benchmark input in the producer's real format; not real figures"
# Resolution of the weighted draws: the rarest code (2 in 100,000) keeps its slots, and the table stays small enough
# for DuckDB to build the join's hash table on it rather than on the millions of generated rows.
SLOTS = 200_000

# --- SIRENE shares (approx. unless stated) ---------------------------------------------------------------------
P_UNIT_CEASED = 0.48
P_EXTRA_CLOSED = 0.45  # establishments beyond the seat, of active units: makes ~55 % of all establishments closed
P_ORPHAN_UNIT = 100_000  # 1 legal unit in 100,000 missing from StockUniteLegale: its establishments are orphans
BIG_NETWORK_SHARE = 0.03  # of the non-seat establishments, held by networks of thousands (La Poste, banks, chains)

# INSEE level III codes -> weight per 10,000 legal units of the stock (approx.; every code is checked against the
# real INSEE list at run time).
FR_LEGAL_WEIGHTS = {
    # SASU and EURL have no code of their own since the 2022 edition (5720 -> 5710, 5498 -> 5499)
    "1000": 6000, "5499": 1020, "6540": 700, "5710": 950, "9220": 500, "2110": 30,
    "5599": 40, "5699": 8, "6599": 40, "5202": 40, "5306": 5, "6598": 30, "6533": 15, "5485": 20, "5785": 10,
    "6541": 20, "9110": 40, "9150": 10, "6220": 10, "3120": 10, "2900": 10, "2310": 5, "8310": 5, "7210": 10,
    "7220": 0.3, "7364": 1, "7331": 2, "9210": 10, "9230": 2, "9240": 1, "9260": 15, "9300": 5, "6316": 8, "6317": 3,
    "5458": 4, "5460": 3, "5558": 1, "5560": 2, "5194": 0.5, "5192": 0.2, "5191": 0.2, "8210": 1, "8250": 0.5,
    "8290": 0.5, "6411": 0.5, "8410": 2,
}
# Real NAF rev. 2 subclasses frequent in the stock -> weight (approx.); half of the activities come from here.
NAF_FREQUENT = {
    "68.20B": 800, "68.20A": 500, "70.22Z": 500, "94.99Z": 450, "64.20Z": 250, "43.99C": 250, "85.59B": 250,
    "96.09Z": 300, "56.10A": 300, "56.10C": 250, "47.91B": 200, "90.01Z": 200, "96.02A": 200, "96.02B": 200,
    "43.21A": 200, "43.34Z": 200, "47.89Z": 200, "86.90F": 200, "85.59A": 150, "86.21Z": 150, "43.32A": 150,
    "43.22A": 150, "47.71Z": 150, "49.32Z": 150, "53.20Z": 150, "62.01Z": 150, "62.02A": 150, "74.10Z": 150,
    "74.90B": 150, "01.11Z": 150, "93.12Z": 150, "55.20Z": 150, "82.99Z": 150, "86.22C": 100, "41.20A": 100,
    "56.30Z": 100, "47.11B": 60, "47.11D": 25, "47.11F": 15, "46.90Z": 100, "45.20A": 100, "71.12B": 100,
    "81.21Z": 100, "81.30Z": 100, "01.50Z": 100, "88.10A": 100, "90.03A": 100, "90.03B": 100, "86.23Z": 80,
    "49.41A": 80, "73.11Z": 80, "69.10Z": 80, "01.21Z": 80, "10.71C": 80, "69.20Z": 60, "66.22Z": 50, "88.91A": 50,
    "93.13Z": 50, "47.19B": 50, "84.11Z": 30, "32.12Z": 20,
}
# Old codes of units ceased before NAF rev. 2 (2008): real NAF rev. 1 codes.
NAF_REV1 = ("52.1D", "55.3A", "74.7Z", "45.2B", "93.0D", "52.4C", "85.1C", "60.2E", "74.1G", "70.2A")
TRANCHES = {"01": 35, "02": 20, "03": 12, "11": 12, "12": 10, "21": 5, "22": 3, "31": 1, "32": 1, "41": 0.5,
            "42": 0.3, "51": 0.15, "52": 0.05}

# Population (thousands, approx. INSEE legal populations) of every département of fr_departments.csv: the weight of
# its establishments. Highest commune number of the COG where it is below the default (approx.; area départements:
# observatory/sample/territory.py FR_DEPARTMENTS).
FR_DEPARTMENT_POPULATION = {
    "01": 657, "02": 526, "03": 335, "04": 166, "05": 141, "06": 1114, "07": 330, "08": 270, "09": 155, "10": 310,
    "11": 378, "12": 280, "13": 2069, "14": 700, "15": 144, "16": 352, "17": 660, "18": 298, "19": 240, "2A": 161,
    "2B": 183, "21": 535, "22": 602, "23": 116, "24": 413, "25": 545, "26": 520, "27": 600, "28": 431, "29": 918,
    "30": 752, "31": 1435, "32": 192, "33": 1654, "34": 1201, "35": 1095, "36": 218, "37": 612, "38": 1280,
    "39": 259, "40": 420, "41": 329, "42": 766, "43": 228, "44": 1459, "45": 683, "46": 174, "47": 332, "48": 76,
    "49": 823, "50": 493, "51": 566, "52": 170, "53": 307, "54": 733, "55": 182, "56": 767, "57": 1049, "58": 201,
    "59": 2611, "60": 830, "61": 277, "62": 1461, "63": 665, "64": 690, "65": 229, "66": 484, "67": 1150, "68": 767,
    "69": 1890, "70": 234, "71": 551, "72": 566, "73": 439, "74": 836, "75": 2134, "76": 1255, "77": 1428,
    "78": 1449, "79": 375, "80": 569, "81": 392, "82": 264, "83": 1100, "84": 563, "85": 695, "86": 440, "87": 372,
    "88": 360, "89": 336, "90": 138, "91": 1307, "92": 1629, "93": 1656, "94": 1410, "95": 1256, "971": 384,
    "972": 361, "973": 286, "974": 871, "975": 6, "976": 300, "977": 10, "978": 32,
}
FR_HIGHEST_COMMUNE = {
    "59": 670, "62": 900, "02": 810, "60": 700, "80": 800, "08": 460, "51": 660, "13": 119, "06": 163, "83": 153,
    "84": 151, "90": 100, "92": 78, "93": 79, "94": 81, "2A": 362, "2B": 366, "971": 34, "972": 34, "973": 62,
    "974": 24, "975": 2, "976": 17, "977": 1, "978": 1,
}
DEFAULT_HIGHEST_COMMUNE = 300

# --- KBO shares ------------------------------------------------------------------------------------------------
P_NATURAL = 776_298 / 1_938_238  # enterprises without address in the Full 140 profile: natural persons
P_WITH_ACTIVITY = 1_253_298 / 1_938_238  # enterprises with a MAIN activity (same profile)
P_2003 = 2_330_232 / 17_000_000  # NaceVersion 2003 rows per 2008/2025 pair (same profile)
# Juridical forms of legal persons -> weight (approx.); (form, form to read pending adaptation of statutes)
BE_FORM_WEIGHTS = {
    ("610", ""): 400, ("015", "610"): 40, ("015", ""): 40, ("014", ""): 80, ("017", ""): 130, ("706", ""): 25,
    ("008", "706"): 8, ("008", ""): 7, ("006", ""): 3, ("612", ""): 20, ("012", ""): 10, ("011", ""): 10,
    ("702", ""): 50, ("070", ""): 60, ("030", ""): 20, ("703", ""): 10, ("704", ""): 2, ("721", ""): 5,
    ("200", ""): 3, ("026", ""): 3, ("029", ""): 1, ("125", ""): 2, ("019", ""): 0.1, ("021", ""): 0.05,
    ("124", ""): 1, ("411", ""): 0.5, ("412", ""): 0.5, ("414", ""): 0.2, ("020", ""): 0.5, ("060", ""): 0.5,
    ("616", ""): 0.2, ("508", ""): 1, ("506", ""): 0.2,
}
# Real NACE-BEL 2008 codes frequent in the register -> weight (approx.); 40 % of activities come from here.
BE_NACE_FREQUENT = {
    "70220": 60, "68201": 50, "43320": 30, "96021": 30, "86210": 20, "47910": 25, "01500": 20, "74103": 15,
    "62010": 25, "62020": 25, "56101": 30, "56301": 20, "49320": 10, "41201": 20, "43999": 15, "47111": 10,
    "46900": 15, "85599": 20, "94991": 30, "93129": 15, "90011": 15, "88999": 10, "69101": 10, "66220": 10,
    "64200": 30, "81210": 15, "81300": 10,
}
# Population of each province (thousands, approx. Statbel 2024) and its bpost postcode ranges.
BE_PROVINCE_POPULATION = {"Brussels": 1249, "Brabant wallon": 412, "Vlaams-Brabant": 1187, "Antwerpen": 1926,
                          "Limburg": 887, "Liège": 1114, "Namur": 500, "Hainaut": 1360, "Luxembourg": 292,
                          "West-Vlaanderen": 1217, "Oost-Vlaanderen": 1562}
BE_POSTCODE_RANGES = (  # (first, last, province, region)
    (1000, 1299, "Brussels", "BXL"), (1300, 1499, "Brabant wallon", "WAL"), (1500, 1999, "Vlaams-Brabant", "VLA"),
    (2000, 2999, "Antwerpen", "VLA"), (3000, 3499, "Vlaams-Brabant", "VLA"), (3500, 3999, "Limburg", "VLA"),
    (4000, 4999, "Liège", "WAL"), (5000, 5999, "Namur", "WAL"), (6000, 6599, "Hainaut", "WAL"),
    (6600, 6999, "Luxembourg", "WAL"), (7000, 7999, "Hainaut", "WAL"), (8000, 8999, "West-Vlaanderen", "VLA"),
    (9000, 9999, "Oost-Vlaanderen", "VLA"),
)

# --- filler words (names and addresses of realistic width; no real person or firm is meant) ---------------------
SURNAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU",
            "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER",
            "MOREL", "GIRARD", "ANDRE", "MERCIER", "DUPONT", "LAMBERT", "BONNET", "FRANCOIS", "MARTINEZ", "LEGRAND",
            "GARNIER", "FAURE", "ROUSSEAU", "BLANC", "GUERIN", "MULLER", "HENRY", "ROUSSEL", "NICOLAS", "PERRIN",
            "MORIN", "MATHIEU", "CLEMENT", "GAUTHIER", "DUMONT", "LOPEZ", "FONTAINE", "CHEVALIER", "ROBIN", "MASSON",
            "DELATTRE", "VANDAMME", "DEBRUYNE", "PEETERS", "JANSSENS", "MAES", "JACOBS", "WILLEMS", "CLAES", "GOOSSENS")
FIRST_NAMES_M = ("JEAN", "PIERRE", "MICHEL", "PHILIPPE", "ALAIN", "NICOLAS", "CHRISTOPHE", "PATRICK", "THIERRY",
                 "LAURENT", "DAVID", "STEPHANE", "FREDERIC", "JULIEN", "SEBASTIEN", "THOMAS", "KEVIN", "LUCAS")
FIRST_NAMES_F = ("MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "SANDRINE", "VALERIE", "CELINE",
                 "STEPHANIE", "AURELIE", "JULIE", "CAROLINE", "EMILIE", "CHRISTINE", "SOPHIE", "LAURA", "CAMILLE")
FIRM_WORDS = ("SERVICES", "CONSEIL", "TRANSPORTS", "BATIMENT", "IMMOBILIER", "DISTRIBUTION", "INVEST", "HOLDING",
              "GESTION", "DEVELOPPEMENT", "INDUSTRIES", "RENOVATION", "AUTOMOBILES", "RESTAURATION", "TECHNOLOGIES",
              "PATRIMOINE", "ENVIRONNEMENT", "LOGISTIQUE", "ELECTRICITE", "MENUISERIE", "PLOMBERIE", "COMMUNICATION")
FIRM_PREFIXES = ("ETABLISSEMENTS", "SOCIETE", "GROUPE", "CABINET", "ATELIER", "GARAGE", "TRANSPORTS", "", "", "")
ASSOCIATION_PREFIXES = ("ASSOCIATION", "ASSOCIATION", "AMICALE", "CLUB", "COMITE DES FETES DE", "UNION SPORTIVE")
PLACE_WORDS = ("DU VAL", "DES FLANDRES", "DE L'ARTOIS", "DU HAINAUT", "DE LA COTE D'OPALE", "DU LITTORAL",
               "DE PROVENCE", "DE BRETAGNE", "DU SUD-OUEST", "DE L'ATLANTIQUE", "DES ALPES", "DU CENTRE",
               "DE LA VALLEE", "DU MIDI", "DE NORMANDIE", "DE L'EST", "DU PARC", "DES TILLEULS", "DU MOULIN")
STREET_TYPES = ("RUE",) * 12 + ("AV", "AV", "AV", "BD", "CHE", "CHE", "PL", "RTE", "RTE", "IMP", "ALL", "QUAI", "CRS",
                                "LOT", "ZA")
STREETS = ("DE LA REPUBLIQUE", "JEAN JAURES", "DU GENERAL DE GAULLE", "NATIONALE", "DE PARIS", "VICTOR HUGO",
           "PASTEUR", "DU MARECHAL FOCH", "DES TILLEULS", "DE LA GARE", "DE L'EGLISE", "DU MOULIN",
           "ROGER SALENGRO", "DE LILLE", "DES ROSIERS", "DES ACACIAS", "DU CANAL", "DU CHATEAU", "LEON BLUM",
           "DU 8 MAI 1945", "DE LA MAIRIE", "DES ECOLES", "GAMBETTA", "JULES FERRY", "DE LA LIBERATION", "CARNOT",
           "DU STADE", "DES LILAS", "DE VERDUN", "DE LA PAIX", "ANATOLE FRANCE", "DES CHAMPS", "DU PORT")
COMMUNE_ROOTS = ("SAINT-MARTIN", "VILLE", "BEAU", "MONT", "FONTAINE", "NEUVILLE", "CHATEAU", "BOURG", "LA CHAPELLE",
                 "SAINT-GERMAIN", "VAL", "ROCHE", "MAR", "HAUT", "BELLE", "SAINT-JEAN", "VILLERS", "LONG", "LILLE",
                 "AMIENS", "NANTES", "LYON", "REIMS", "BREST", "PAU", "METZ", "TOURS", "DIJON", "NICE", "LAON")
COMMUNE_ENDS = ("",) * 8 + ("-SUR-MER", "COURT", "VILLE", "FORT", "-LE-CHATEAU", "-SUR-LOIRE", "BOURG", "MONT")
COMPLEMENTS = ("BATIMENT A", "ZI DES PRES", "RESIDENCE LES PINS", "CENTRE COMMERCIAL", "LIEU DIT LE BOURG",
               "ZONE ARTISANALE", "2EME ETAGE", "IMMEUBLE LE FORUM")
BE_NAMES = {  # province -> municipality names (NL, FR): address filler only, not matched to the postcode
    "Brussels": (("Brussel", "Bruxelles"), ("Elsene", "Ixelles"), ("Schaarbeek", "Schaerbeek"),
                 ("Anderlecht", "Anderlecht"), ("Ukkel", "Uccle")),
    "Brabant wallon": (("Waver", "Wavre"), ("Nijvel", "Nivelles"), ("Ottignies-Louvain-la-Neuve",) * 2),
    "Vlaams-Brabant": (("Leuven", "Louvain"), ("Vilvoorde", "Vilvorde"), ("Halle", "Hal")),
    "Antwerpen": (("Antwerpen", "Anvers"), ("Mechelen", "Malines"), ("Turnhout", "Turnhout")),
    "Limburg": (("Hasselt", "Hasselt"), ("Genk", "Genk"), ("Sint-Truiden", "Saint-Trond")),
    "Liège": (("Luik", "Liège"), ("Verviers", "Verviers"), ("Seraing", "Seraing")),
    "Namur": (("Namen", "Namur"), ("Dinant", "Dinant"), ("Gembloers", "Gembloux")),
    "Hainaut": (("Charleroi", "Charleroi"), ("Bergen", "Mons"), ("Doornik", "Tournai"), ("La Louvière",) * 2),
    "Luxembourg": (("Aarlen", "Arlon"), ("Bastenaken", "Bastogne"), ("Marche-en-Famenne",) * 2),
    "West-Vlaanderen": (("Brugge", "Bruges"), ("Kortrijk", "Courtrai"), ("Oostende", "Ostende"),
                        ("Roeselare", "Roulers")),
    "Oost-Vlaanderen": (("Gent", "Gand"), ("Aalst", "Alost"), ("Sint-Niklaas", "Saint-Nicolas")),
}
BE_STREETS = {"VLA": ("Kerkstraat", "Stationsstraat", "Markt", "Dorpsstraat", "Nieuwstraat", "Molenstraat",
                      "Schoolstraat", "Industrielaan", "Brugsesteenweg", "Kapelstraat"),
              "WAL": ("Rue de la Station", "Grand-Place", "Rue du Moulin", "Chaussée de Bruxelles", "Rue Haute",
                      "Place Communale", "Rue de l'Eglise", "Zoning industriel", "Rue de Mons", "Avenue Albert Ier"),
              "BXL": ("Rue Royale", "Rue de la Loi", "Rue Neuve", "Avenue Louise", "Chaussée d'Ixelles")}
BE_STREETS_NL_BXL = ("Koningsstraat", "Wetstraat", "Nieuwstraat", "Louizalaan", "Elsensesteenweg")
BE_FIRST_NAMES = ("Jan", "Marc", "Luc", "Peter", "Koen", "Tom", "Bart", "Sophie", "An", "Els", "Marie", "Julie",
                  "Nathalie", "Pierre", "Philippe", "Isabelle", "Sarah", "Lien")
BE_SURNAMES = ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
               "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Leclercq", "Callebaut", "De Groote",
               "Vandenberghe", "Desmet", "Declercq", "Lemaire", "Renard", "Laurent")
BE_SECTOR_WORDS = ("Consult", "Bouw", "Immo", "Invest", "Services", "Construct", "Trading", "Management", "Projects",
                   "Solutions", "Transport", "Design", "Medical", "Food", "Group", "Holding", "Technics", "Garden")


# ------------------------------------------------------------------------------------------------------------
# SQL helpers
# ------------------------------------------------------------------------------------------------------------
def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(_sql_str(item) for item in items) + "]"


def _choice(key: str, salt: str, items: tuple[str, ...] | list[str]) -> str:
    """SQL: one of ``items``, uniformly, by hash of ``key`` (repeat an item to weight it)."""
    return f"list_extract({_sql_list(items)}, 1 + pick({key}, '{salt}', {len(items)}))"


def _coprime(n: int, start: int) -> int:
    """A multiplier coprime with ``n`` (so ``x * m % n`` is a permutation of ``range(n)``)."""
    m = start
    while math.gcd(m, n) != 1:
        m += 1
    return m


def _luhn_sql(x: str, digits: int) -> str:
    """SQL: the Luhn check digit of the integer payload ``x`` of ``digits`` digits (SIREN, SIRET)."""
    terms = []
    for k in range(digits):  # k = position from the right of the payload; k even is doubled
        digit = f"(({x} // {10 ** k}) % 10)"
        terms.append(f"luhn_double{digit}" if k % 2 == 0 else digit)
    return f"((10 - ({' + '.join(terms)}) % 10) % 10)"


def _macros(con: duckdb.DuckDBPyConnection, seed: int, snapshot: date) -> None:
    con.execute(f"""
        CREATE OR REPLACE MACRO pick(i, salt, n) AS CAST(hash(i, {seed}, salt) % n AS BIGINT);
        CREATE OR REPLACE MACRO unif(i, salt) AS CAST(hash(i, {seed}, salt) % 1000003 AS DOUBLE) / 1000003;
        CREATE OR REPLACE MACRO luhn_double(d) AS CASE WHEN d >= 5 THEN 2 * d - 9 ELSE 2 * d END;
        CREATE OR REPLACE MACRO luhn8(x) AS {_luhn_sql('x', 8)};
        CREATE OR REPLACE MACRO luhn13(x) AS {_luhn_sql('x', 13)};
        CREATE OR REPLACE MACRO q(x) AS CASE WHEN x IS NULL THEN '' ELSE '"' || replace(x, '"', '""') || '"' END;
        CREATE OR REPLACE MACRO dmy(d) AS strftime(d, '%d-%m-%Y');
        -- A day between ``lo`` and the snapshot: ``power`` < 1 leans to the snapshot, > 1 to ``lo``.
        CREATE OR REPLACE MACRO day_between(i, salt, lo, power) AS
            lo + CAST(floor(pow(unif(i, salt), power) * (DATE '{snapshot}' - lo + 1)) AS INTEGER);
        -- Row numbers come from a table, not range(): DuckDB scans a table with every core, range() with one.
        CREATE OR REPLACE MACRO ids(n) AS TABLE SELECT i FROM row_ids WHERE i < n;
        CREATE OR REPLACE MACRO days_back(i, salt, days, power) AS
            DATE '{snapshot}' - CAST(floor(pow(unif(i, salt), power) * days) AS INTEGER);
    """)


def _slots(con: duckdb.DuckDBPyConnection, name: str, weighted_sql: str, slots: int = SLOTS) -> None:
    """Table ``name(slot, ...)``: each row of ``weighted_sql`` (columns ``k`` sort key, ``w`` weight, and values)
    owns a share of ``slots`` equal to its weight, so ``JOIN name ON slot = pick(i, salt, slots)`` is a weighted draw
    (an equality join on a small table: far cheaper than a range join over millions of rows)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {name} AS
        WITH w AS ({weighted_sql}),
        c AS (SELECT *, sum(w) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING) AS cum, sum(w) OVER () AS total FROM w)
        SELECT unnest(range(CAST(round((cum - w) / total * {slots}) AS BIGINT),
                             CAST(round(cum / total * {slots}) AS BIGINT))) AS slot, * EXCLUDE (k, w, cum, total), k AS slot_key
        FROM c""")
    weighted, drawn = con.execute(f"SELECT (SELECT count(*) FROM ({weighted_sql}) WHERE w > 0), "
                                  f"(SELECT count(DISTINCT slot_key) FROM {name})").fetchone()
    if weighted != drawn:
        raise ValueError(f"{name}: {weighted - drawn} codes weigh less than one slot in {slots:,}")


def _values(rows: Iterable[tuple]) -> str:
    """SQL VALUES of literal tuples (strings quoted, numbers as they are)."""
    cells = [", ".join(_sql_str(v) if isinstance(v, str) else repr(v) for v in row) for row in rows]
    return "VALUES " + ", ".join(f"({c})" for c in cells)


def _missing(con: duckdb.DuckDBPyConnection, wanted: Iterable[str], real_sql: str) -> list[str]:
    real = {r[0] for r in con.execute(real_sql).fetchall()}
    return sorted(set(wanted) - real)


# ------------------------------------------------------------------------------------------------------------
# Code lists and weighted draws
# ------------------------------------------------------------------------------------------------------------
def _lookups(con: duckdb.DuckDBPyConnection) -> None:
    """The weighted code tables, from the real code lists of the project; refuse any literal code not in them."""
    kbo_codes = f"read_csv({_sql_str(str(KBO_CODE_LIST))}, all_varchar = true)"
    cj_list = f"read_csv({_sql_str(str(INSEE_LEGAL_CATEGORIES))}, all_varchar = true)"
    deps = f"read_csv({_sql_str(str(NOMENCLATURES / 'fr_departments.csv'))}, all_varchar = true)"
    postcodes = f"read_csv({_sql_str(str(NOMENCLATURES / 'be_postcode_nuts3.csv'))}, all_varchar = true)"

    problems = []
    if bad := _missing(con, FR_LEGAL_WEIGHTS, f"SELECT trim(code) FROM {cj_list} WHERE niveau = 'III'"):
        problems.append(f"legal categories not in the INSEE list: {bad}")
    classes = (f"SELECT DISTINCT left(Code, 2) || '.' || right(Code, 2) FROM {kbo_codes} "
               "WHERE Category = 'Nace2008' AND length(Code) = 4")  # NACE-BEL's 4 digits are the NACE Rev. 2 classes
    if bad := _missing(con, {c[:5] for c in NAF_FREQUENT}, classes):
        problems.append(f"NAF classes not in NACE Rev. 2: {bad}")
    if bad := _missing(con, {f for f, _ in BE_FORM_WEIGHTS} | {c for _, c in BE_FORM_WEIGHTS if c},
                       f"SELECT Code FROM {kbo_codes} WHERE Category = 'JuridicalForm'"):
        problems.append(f"juridical forms not in code.csv: {bad}")
    if bad := _missing(con, BE_NACE_FREQUENT, f"SELECT Code FROM {kbo_codes} WHERE Category = 'Nace2008'"):
        problems.append(f"NACE-BEL 2008 codes not in code.csv: {bad}")
    real_deps = {r[0] for r in con.execute(f"SELECT dep FROM {deps}").fetchall()}
    if real_deps != set(FR_DEPARTMENT_POPULATION):
        problems.append(f"départements differ from fr_departments.csv: {sorted(real_deps ^ set(FR_DEPARTMENT_POPULATION))}")
    if problems:
        raise ValueError("; ".join(problems))

    # France: legal categories, with whether INSEE's label makes it a social-economy form (ESS flag mostly O).
    _slots(con, "fr_cj", f"""
        SELECT w.cj AS k, w.w, w.cj,
               w.cj LIKE '92%' OR w.cj = '9300' OR w.cj LIKE '82%' OR w.cj = '6411'
               OR lower(l.libelle) LIKE '%coop%' OR lower(l.libelle) LIKE '%mutu%' AS ess_prone
        FROM ({_values(FR_LEGAL_WEIGHTS.items())}) w(cj, w)
        JOIN (SELECT trim(code) AS code, libelle FROM {cj_list} WHERE niveau = 'III') l ON l.code = w.cj""")
    # NAF: half from the frequent subclasses, half uniform over the real NACE Rev. 2 classes (subclass Z).
    _slots(con, "fr_naf", f"""
        SELECT naf AS k, sum(w) AS w, naf FROM (
            SELECT naf, w / (SELECT sum(w) FROM ({_values(NAF_FREQUENT.items())}) f(naf, w)) AS w
            FROM ({_values(NAF_FREQUENT.items())}) f(naf, w)
            UNION ALL
            SELECT naf, 1.0 / count(*) OVER () FROM ({classes}) c(class), LATERAL (SELECT class || 'Z' AS naf)
        ) GROUP BY naf""")
    _slots(con, "fr_dep", f"""
        SELECT d.dep AS k, p.w, d.dep, coalesce(h.highest, {DEFAULT_HIGHEST_COMMUNE}) AS highest
        FROM (SELECT dep FROM {deps}) d
        JOIN ({_values(FR_DEPARTMENT_POPULATION.items())}) p(dep, w) USING (dep)
        LEFT JOIN ({_values(FR_HIGHEST_COMMUNE.items())}) h(dep, highest) USING (dep)""")
    _slots(con, "fr_tranche", f"SELECT t AS k, w, t AS tranche FROM ({_values(TRANCHES.items())}) v(t, w)", 10_000)

    # Belgium: postcodes (the real list; province by bpost range), forms, NACE codes.
    ranges = _values(BE_POSTCODE_RANGES)
    provinces = _values(BE_PROVINCE_POPULATION.items())
    _slots(con, "be_postcode", f"""
        WITH p AS (SELECT DISTINCT postcode FROM {postcodes} WHERE regexp_full_match(postcode, '[1-9][0-9]{{3}}')),
        r AS (SELECT p.postcode, r.province, r.region FROM p JOIN ({ranges}) r(lo, hi, province, region)
              ON CAST(p.postcode AS INTEGER) BETWEEN r.lo AND r.hi),
        -- main towns (x000) and their districts (xx00) hold more firms than villages
        f AS (SELECT *, CASE WHEN postcode LIKE '%000' THEN 20 WHEN postcode LIKE '%00' THEN 4 ELSE 1 END AS f FROM r)
        SELECT postcode AS k, pop.w * f / sum(f) OVER (PARTITION BY province) AS w, postcode, province, region
        FROM f JOIN ({provinces}) pop(province, w) USING (province)""")
    _slots(con, "be_form", f"SELECT form || cac AS k, w, form, nullif(cac, '') AS cac "
                           f"FROM ({_values((f, c, w) for (f, c), w in BE_FORM_WEIGHTS.items())}) v(form, cac, w)")
    nace = lambda version: f"SELECT DISTINCT Code FROM {kbo_codes} WHERE Category = 'Nace{version}' AND length(Code) = 5"  # noqa: E731
    _slots(con, "be_nace", f"""
        SELECT code AS k, sum(w) AS w, code FROM (
            SELECT code, w / (SELECT sum(w) FROM ({_values(BE_NACE_FREQUENT.items())}) f(code, w)) * 0.4 AS w
            FROM ({_values(BE_NACE_FREQUENT.items())}) f(code, w)
            UNION ALL SELECT Code, 0.6 / count(*) OVER () FROM ({nace('2008')})
        ) GROUP BY code""")
    # The 2025 and 2003 codes an entity's 2008 code goes with: the same number when the other list has it, else a
    # code of the same division (any code when the division is gone): real codes of each version, always.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE be_nace_versions AS
        WITH c08 AS ({nace('2008')}), c25 AS ({nace('2025')}), c03 AS ({nace('2003')})
        SELECT c08.Code AS c08,
               coalesce((SELECT Code FROM c25 WHERE Code = c08.Code),
                        (SELECT min(Code) FROM c25 WHERE left(Code, 2) = left(c08.Code, 2)),
                        (SELECT min(Code) FROM c25)) AS c25,
               coalesce((SELECT Code FROM c03 WHERE Code = c08.Code),
                        (SELECT min(Code) FROM c03 WHERE left(Code, 2) = left(c08.Code, 2)),
                        (SELECT min(Code) FROM c03)) AS c03
        FROM c08""")


# ------------------------------------------------------------------------------------------------------------
# SIRENE
# ------------------------------------------------------------------------------------------------------------
class _Sirene:
    """Sizes and the SQL of both stock files; a legal unit's attributes are functions of its index ``u``, so an
    establishment recomputes its unit's siren, state, category and activity without a join on 30 M rows."""

    def __init__(self, fraction: float, snapshot: date) -> None:
        self.snapshot = snapshot
        self.units = max(100, round(NATIONAL["units"] * fraction))
        self.establishments = max(self.units + 10, round(NATIONAL["establishments"] * fraction))
        extras = self.establishments - self.units
        self.big = round(extras * BIG_NETWORK_SHARE)
        self.big_units = max(1, round(self.units * 0.000005))
        self.mid_units = max(1, round(self.units * 0.22))
        # siren payload: an affine permutation of the 8-digit numbers (unique sirens that look random)
        self.siren_mul, self.siren_add = 73_939_133, 12_345_677
        self.big_mul = _coprime(self.units, 1_000_003)
        self.mid_mul = _coprime(self.units, 7_919_999)
        # nic sequence numbers: seat 1-40, ordinary establishments 41-4999, network establishments 5000-9999
        assert extras // self.mid_units + 41 < 5000 and self.big // self.big_units + 5000 < 10_000, "too many per unit"

    def macros(self, con: duckdb.DuckDBPyConnection) -> None:
        s = self.snapshot
        con.execute(f"""
            CREATE OR REPLACE MACRO siren9(u) AS
                ((u * {self.siren_mul} + {self.siren_add}) % 100000000) * 10
                + luhn8((u * {self.siren_mul} + {self.siren_add}) % 100000000);
            CREATE OR REPLACE MACRO nic5(s9, seq) AS lpad(CAST(seq AS VARCHAR), 4, '0')
                || CAST(luhn13(s9 * 10000 + seq) AS VARCHAR);
            CREATE OR REPLACE MACRO u_ceased(u) AS unif(u, 'u_state') < {P_UNIT_CEASED};
            CREATE OR REPLACE MACRO u_created(u) AS days_back(u, 'u_created', {365 * 75}, 1.4);  -- ~4 % less than a year old
            CREATE OR REPLACE MACRO u_seat_seq(u) AS 1 + pick(u, 'u_nic', 40);
            CREATE OR REPLACE MACRO u_status(u, cj) AS CASE WHEN cj = '1000' AND unif(u, 'u_p') < 0.05 THEN 'P'
                ELSE 'O' END;
            -- The unit's APE: SCI rent, associations are mostly 94.99Z; otherwise the general draw.
            CREATE OR REPLACE MACRO u_activity(u, cj, naf) AS CASE
                WHEN cj IN ('6540', '6541') THEN {_choice('u', 'u_sci', ['68.20B'] * 6 + ['68.20A'] * 3 + ['68.10Z'])}
                WHEN cj LIKE '92%' AND unif(u, 'u_assoc') < 0.45 THEN '94.99Z' ELSE naf END;
            CREATE OR REPLACE MACRO u_old(u, ceased, created) AS
                ceased AND created < DATE '2008-01-01' AND unif(u, 'u_rev') < 0.5;
            CREATE OR REPLACE MACRO stamp(i, salt, lo) AS CAST(day_between(i, salt || 'd',
                greatest(lo, DATE '{s - timedelta(days=365 * 11)}'), 0.35) AS TIMESTAMP)
                + to_seconds(pick(i, salt || 's', 86400));
        """)

    def units_sql(self) -> str:
        year = self.snapshot.year
        first = f"CASE WHEN sex = 'M' THEN {_choice('u', 'u_fn', FIRST_NAMES_M)} ELSE {_choice('u', 'u_fn', FIRST_NAMES_F)} END"
        prefix = (f"CASE WHEN cj LIKE '92%' THEN {_choice('u', 'u_pre', ASSOCIATION_PREFIXES)} "
                  f"WHEN cj IN ('6540', '6541') THEN 'SCI' ELSE {_choice('u', 'u_pre', FIRM_PREFIXES)} END")
        name = (f"concat_ws(' ', nullif({prefix}, ''), "
                f"{_choice('u', 'u_sur', SURNAMES)}, {_choice('u', 'u_word', FIRM_WORDS)}, "
                f"CASE WHEN unif(u, 'u_place') < 0.4 THEN {_choice('u', 'u_pw', PLACE_WORDS)} END)")
        return f"""
        WITH b AS (
            SELECT u, siren9(u) AS s9, u_ceased(u) AS ceased, u_created(u) AS created, c.cj, c.ess_prone,
                   u_activity(u, c.cj, n.naf) AS ape, u_status(u, c.cj) AS status,
                   CASE WHEN unif(u, 'u_sex') < 0.6 THEN 'M' ELSE 'F' END AS sex
            FROM ids({self.units}) t(u)
            JOIN fr_cj c ON c.slot = pick(u, 'u_cj', {SLOTS})
            JOIN fr_naf n ON n.slot = pick(u, 'u_naf', {SLOTS})
            WHERE pick(u, 'u_orphan', {P_ORPHAN_UNIT}) <> 0   -- the missing units: their establishments are orphans
        ), d AS (
            SELECT *, created + CAST(floor(unif(u, 'u_debut') * (DATE '{self.snapshot}' - created)) AS INTEGER) AS debut,
                   cj = '1000' AS person, NOT ceased AND unif(u, 'u_emp') < CASE WHEN cj = '1000' THEN 0.04 ELSE 0.22 END
                   AS employer, u_old(u, ceased, created) AS old
            FROM b
        )
        SELECT
            lpad(CAST(s9 AS VARCHAR), 9, '0') AS siren,
            status AS statutDiffusionUniteLegale,
            CASE WHEN ceased AND created < DATE '2000-01-01' AND unif(u, 'u_purge') < 0.3 THEN true END
                AS unitePurgeeUniteLegale,
            CASE WHEN unif(u, 'u_nodate') >= 0.003 THEN created END AS dateCreationUniteLegale,
            CASE WHEN NOT person AND unif(u, 'u_sigle') < 0.06
                 THEN {_choice('u', 'u_sig', ['SCB', 'AGF', 'ADMR', 'SGT', 'BTP 59', 'IMMO'])} END
                AS sigleUniteLegale,
            CASE WHEN person THEN CASE WHEN status = 'P' THEN '[ND]' ELSE sex END END AS sexeUniteLegale,
            CASE WHEN person THEN CASE WHEN status = 'P' THEN '[ND]' ELSE {first} END END AS prenom1UniteLegale,
            CASE WHEN person AND status = 'O' AND unif(u, 'u_p2') < 0.3
                 THEN {_choice('u', 'u_fn2', FIRST_NAMES_M + FIRST_NAMES_F)} END
                AS prenom2UniteLegale,
            CASE WHEN person AND status = 'O' AND unif(u, 'u_p2') < 0.1
                 THEN {_choice('u', 'u_fn3', FIRST_NAMES_M + FIRST_NAMES_F)} END
                AS prenom3UniteLegale,
            CASE WHEN person AND status = 'O' AND unif(u, 'u_p2') < 0.03 THEN {_choice('u', 'u_fn4', FIRST_NAMES_M)} END
                AS prenom4UniteLegale,
            CASE WHEN person THEN CASE WHEN status = 'P' THEN '[ND]' ELSE {first} END END AS prenomUsuelUniteLegale,
            CASE WHEN person AND status = 'O' AND unif(u, 'u_pseudo') < 0.004 THEN 'LE ' || {_choice('u', 'u_ps', SURNAMES)} END
                AS pseudonymeUniteLegale,
            CASE WHEN cj LIKE '92%' AND unif(u, 'u_rna') < 0.6
                 THEN 'W' || lpad(CAST(10 + pick(u, 'u_rna_dep', 980) AS VARCHAR), 3, '0')
                      || lpad(CAST(pick(u, 'u_rna_n', 1000000) AS VARCHAR), 6, '0') END AS identifiantAssociationUniteLegale,
            CASE WHEN employer THEN tr.tranche ELSE 'NN' END AS trancheEffectifsUniteLegale,
            CASE WHEN employer THEN CAST({year - 2} AS BIGINT) END AS anneeEffectifsUniteLegale,
            stamp(u, 'u_last', debut) AS dateDernierTraitementUniteLegale,
            CAST(1 + floor(pow(unif(u, 'u_periods'), 2) * 9) AS BIGINT) AS nombrePeriodesUniteLegale,
            CASE WHEN NOT ceased AND unif(u, 'u_cat') < 0.9
                 THEN CASE WHEN unif(u, 'u_cat2') < 0.004 THEN 'ETI' WHEN unif(u, 'u_cat2') < 0.0042 THEN 'GE'
                           ELSE 'PME' END END AS categorieEntreprise,
            CASE WHEN NOT ceased AND unif(u, 'u_cat') < 0.9 THEN CAST({year - 2} AS BIGINT) END AS anneeCategorieEntreprise,
            debut AS dateDebut,
            CASE WHEN ceased THEN 'C' ELSE 'A' END AS etatAdministratifUniteLegale,
            CASE WHEN person THEN CASE WHEN status = 'P' THEN '[ND]' ELSE {_choice('u', 'u_nom', SURNAMES)} END END
                AS nomUniteLegale,
            CASE WHEN person AND status = 'O' AND unif(u, 'u_usage') < 0.08 THEN {_choice('u', 'u_nu', SURNAMES)} END
                AS nomUsageUniteLegale,
            CASE WHEN NOT person THEN {name} END AS denominationUniteLegale,
            CASE WHEN NOT person AND unif(u, 'u_du') < 0.03 THEN {_choice('u', 'u_du1', FIRM_WORDS)} END
                AS denominationUsuelle1UniteLegale,
            CASE WHEN NOT person AND unif(u, 'u_du') < 0.003 THEN {_choice('u', 'u_du2', PLACE_WORDS)} END
                AS denominationUsuelle2UniteLegale,
            NULL::VARCHAR AS denominationUsuelle3UniteLegale,
            CAST(cj AS BIGINT) AS categorieJuridiqueUniteLegale,
            CASE WHEN old THEN {_choice('u', 'u_rev1', NAF_REV1)} ELSE ape END AS activitePrincipaleUniteLegale,
            CASE WHEN old THEN 'NAFRev1' ELSE 'NAFRev2' END AS nomenclatureActivitePrincipaleUniteLegale,
            nic5(s9, u_seat_seq(u)) AS nicSiegeUniteLegale,
            CASE WHEN ess_prone THEN CASE WHEN unif(u, 'u_ess') < 0.90 THEN 'O' WHEN unif(u, 'u_ess') < 0.92 THEN 'N' END
                 ELSE CASE WHEN unif(u, 'u_ess') < 0.005 THEN 'O' WHEN unif(u, 'u_ess') < 0.805 THEN 'N' END END
                AS economieSocialeSolidaireUniteLegale,
            CASE WHEN NOT ceased AND cj IN ('5710', '5720', '5499', '5599') AND unif(u, 'u_mission') < 0.002 THEN 'O' END
                AS societeMissionUniteLegale,
            CASE WHEN employer THEN 'O' WHEN unif(u, 'u_cemp') < 0.8 THEN 'N' END AS caractereEmployeurUniteLegale,
            NULL::VARCHAR AS activitePrincipaleNAF25UniteLegale
        FROM d JOIN fr_tranche tr ON tr.slot = pick(u, 'u_tranche', 10000)"""

    def establishments_sql(self) -> str:
        s, units = self.snapshot, self.units
        commune_name = f"{_choice('e', 'e_cr', COMMUNE_ROOTS)} || {_choice('e', 'e_ce', COMMUNE_ENDS)}"
        return f"""
        WITH i AS (
            SELECT e, e < {units} AS seat,
                   CASE WHEN e < {units} THEN e
                        WHEN e - {units} < {self.big}
                        THEN ((e - {units}) % {self.big_units} * {self.big_mul} + 17) % {units}
                        ELSE ((e - {units} - {self.big}) % {self.mid_units} * {self.mid_mul} + 91) % {units} END AS u,
                   CASE WHEN e < {units} THEN NULL
                        WHEN e - {units} < {self.big} THEN 5000 + (e - {units}) // {self.big_units}
                        ELSE 41 + (e - {units} - {self.big}) // {self.mid_units} END AS extra_seq
            FROM ids({self.establishments}) t(e)
        ), b AS (
            SELECT i.*, siren9(u) AS s9, coalesce(extra_seq, u_seat_seq(u)) AS seq, u_ceased(u) AS ceased,
                   u_created(u) AS u_created, c.cj, u_status(u, c.cj) AS status,
                   CASE WHEN seat OR unif(e, 'e_same') < 0.8 THEN u_activity(u, c.cj, n.naf) ELSE ne.naf END AS ape,
                   u_old(u, u_ceased(u), u_created(u)) AS old,
                   CASE WHEN seat OR unif(e, 'e_samedep') < 0.7 THEN pick(u, 'u_dep', {SLOTS})
                        ELSE pick(e, 'e_dep', {SLOTS}) END AS dep_slot
            FROM i
            JOIN fr_cj c ON c.slot = pick(u, 'u_cj', {SLOTS})
            JOIN fr_naf n ON n.slot = pick(u, 'u_naf', {SLOTS})
            JOIN fr_naf ne ON ne.slot = pick(e, 'e_naf', {SLOTS})
        ), d AS (
            SELECT b.*, dep.dep, dep.highest,
                   NOT ceased AND (seat OR unif(e, 'e_open') >= {P_EXTRA_CLOSED}) AS active,
                   CASE WHEN seat THEN u_created
                        ELSE u_created + CAST(floor(unif(e, 'e_created') * (DATE '{s}' - u_created)) AS INTEGER) END
                   AS created,
                   unif(e, 'e_foreign') < 0.001 AS abroad
            FROM b JOIN fr_dep dep ON dep.slot = b.dep_slot
        ), g AS (
            SELECT *,
                   created + CAST(floor(unif(e, 'e_debut') * (DATE '{s}' - created)) AS INTEGER) AS debut,
                   active AND unif(e, 'e_emp') < 0.12 AS employer,
                   CASE WHEN abroad THEN NULL
                        WHEN dep = '75' THEN '751' || lpad(CAST(1 + pick(e, 'e_arr', 20) AS VARCHAR), 2, '0')
                        WHEN length(dep) = 3 THEN dep || lpad(CAST(1 + pick(e, 'e_com', highest) AS VARCHAR), 2, '0')
                        ELSE dep || lpad(CAST(1 + pick(e, 'e_com', highest) AS VARCHAR), 3, '0') END AS commune,
                   CASE WHEN length(dep) = 3 THEN dep || lpad(CAST(pick(e, 'e_cp', 10) * 10 AS VARCHAR), 2, '0')
                        WHEN dep IN ('2A', '2B') THEN '20' || lpad(CAST(pick(e, 'e_cp', 100) * 10 AS VARCHAR), 3, '0')
                        ELSE dep || lpad(CAST(pick(e, 'e_cp', 100) * 10 AS VARCHAR), 3, '0') END AS postcode,
                   (active AND unif(e, 'e_geo') < 0.7) OR unif(e, 'e_geo') < 0.05 AS located,  -- geocoded (BAN id, Lambert)
                   CAST(1 + floor(pow(unif(e, 'e_num'), 3) * 250) AS BIGINT) AS number
            FROM d
        )
        SELECT
            lpad(CAST(s9 AS VARCHAR), 9, '0') AS siren,
            nic5(s9, seq) AS nic,
            lpad(CAST(s9 AS VARCHAR), 9, '0') || nic5(s9, seq) AS siret,
            status AS statutDiffusionEtablissement,
            CASE WHEN unif(e, 'e_nodate') >= 0.003 THEN created END AS dateCreationEtablissement,
            CASE WHEN employer THEN tr.tranche WHEN active OR unif(e, 'e_nn') < 0.7 THEN 'NN' END
                AS trancheEffectifsEtablissement,
            CASE WHEN employer THEN CAST({s.year - 2} AS BIGINT) END AS anneeEffectifsEtablissement,
            NULL::VARCHAR AS activitePrincipaleRegistreMetiersEtablissement,
            CASE WHEN active AND pick(e, 'e_today', 2000) = 0   -- a few processed on the snapshot day itself
                 THEN CAST(DATE '{s}' AS TIMESTAMP) + to_seconds(pick(e, 'e_ts', 30000))
                 ELSE stamp(e, 'e_last', debut) END AS dateDernierTraitementEtablissement,
            seat AS etablissementSiege,
            CAST(1 + floor(pow(unif(e, 'e_periods'), 2) * 6) AS BIGINT) AS nombrePeriodesEtablissement,
            CASE WHEN unif(e, 'e_compl') < 0.08 THEN {_choice('e', 'e_cpl', COMPLEMENTS)} END AS complementAdresseEtablissement,
            CASE WHEN status = 'O' AND unif(e, 'e_hasnum') < 0.75 THEN CAST(number AS VARCHAR) END AS numeroVoieEtablissement,
            CASE WHEN status = 'O' AND unif(e, 'e_bis') < 0.03 THEN {_choice('e', 'e_bt', ['B', 'B', 'T', 'Q'])} END
                AS indiceRepetitionEtablissement,
            CASE WHEN status = 'O' AND unif(e, 'e_last_num') < 0.01 THEN CAST(number + 4 AS VARCHAR) END
                AS dernierNumeroVoieEtablissement,
            NULL::VARCHAR AS indiceRepetitionDernierNumeroVoieEtablissement,
            CASE WHEN status = 'O' AND unif(e, 'e_street') < 0.9 THEN {_choice('e', 'e_tv', STREET_TYPES)} END
                AS typeVoieEtablissement,
            CASE WHEN status = 'P' THEN '[ND]' WHEN unif(e, 'e_street') < 0.95 THEN {_choice('e', 'e_lv', STREETS)} END
                AS libelleVoieEtablissement,
            CASE WHEN abroad THEN NULL WHEN status = 'P' THEN '[ND]' ELSE postcode END AS codePostalEtablissement,
            CASE WHEN NOT abroad THEN {commune_name} END AS libelleCommuneEtablissement,
            CASE WHEN abroad THEN {_choice('e', 'e_fc', ['BRUXELLES', 'MOUSCRON', 'TOURNAI', 'LIEGE', 'COURTRAI'])} END
                AS libelleCommuneEtrangerEtablissement,
            CASE WHEN unif(e, 'e_bp') < 0.03 THEN 'BP ' || CAST(1 + pick(e, 'e_bpn', 900) AS VARCHAR) END
                AS distributionSpecialeEtablissement,
            commune AS codeCommuneEtablissement,
            CASE WHEN NOT abroad AND unif(e, 'e_cedex') < 0.01 THEN postcode END AS codeCedexEtablissement,
            CASE WHEN NOT abroad AND unif(e, 'e_cedex') < 0.01 THEN {commune_name} || ' CEDEX' END AS libelleCedexEtablissement,
            CASE WHEN abroad THEN '99131' END AS codePaysEtrangerEtablissement,  -- INSEE's code of Belgium
            CASE WHEN abroad THEN 'BELGIQUE' END AS libellePaysEtrangerEtablissement,
            CASE WHEN located AND NOT abroad AND status = 'O'
                 THEN commune || '_' || lpad(CAST(pick(e, 'e_ban', 10000) AS VARCHAR), 4, '0') || '_'
                      || lpad(CAST(number AS VARCHAR), 5, '0') END AS identifiantAdresseEtablissement,
            CASE WHEN status = 'P' THEN '[ND]' WHEN located AND NOT abroad
                 THEN CAST(100000 + pick(e, 'e_x', 1100000) AS VARCHAR) || '.' || CAST(pick(e, 'e_xd', 10) AS VARCHAR) END
                AS coordonneeLambertAbscisseEtablissement,
            CASE WHEN status = 'P' THEN '[ND]' WHEN located AND NOT abroad
                 THEN CAST(6050000 + pick(e, 'e_y', 1060000) AS VARCHAR) || '.' || CAST(pick(e, 'e_yd', 10) AS VARCHAR) END
                AS coordonneeLambertOrdonneeEtablissement,
            NULL::VARCHAR AS complementAdresse2Etablissement,
            CASE WHEN unif(e, 'e_addr2') < 0.01 THEN CAST(1 + pick(e, 'e_n2', 99) AS VARCHAR) END AS numeroVoie2Etablissement,
            NULL::VARCHAR AS indiceRepetition2Etablissement,
            CASE WHEN unif(e, 'e_addr2') < 0.01 THEN 'RUE' END AS typeVoie2Etablissement,
            CASE WHEN unif(e, 'e_addr2') < 0.01 THEN {_choice('e', 'e_lv2', STREETS)} END AS libelleVoie2Etablissement,
            CASE WHEN unif(e, 'e_addr2') < 0.01 AND NOT abroad THEN postcode END AS codePostal2Etablissement,
            CASE WHEN unif(e, 'e_addr2') < 0.01 AND NOT abroad THEN {commune_name} END AS libelleCommune2Etablissement,
            NULL::VARCHAR AS libelleCommuneEtranger2Etablissement,
            NULL::VARCHAR AS distributionSpeciale2Etablissement,
            CASE WHEN unif(e, 'e_addr2') < 0.01 THEN commune END AS codeCommune2Etablissement,
            NULL::VARCHAR AS codeCedex2Etablissement,
            NULL::VARCHAR AS libelleCedex2Etablissement,
            NULL::VARCHAR AS codePaysEtranger2Etablissement,
            NULL::VARCHAR AS libellePaysEtranger2Etablissement,
            debut AS dateDebut,
            CASE WHEN active THEN 'A' ELSE 'F' END AS etatAdministratifEtablissement,
            CASE WHEN unif(e, 'e_ens') < 0.12 THEN {_choice('e', 'e_en1', ['CHEZ', 'AU', 'LE', 'LA', 'L'])} || ' '
                 || {_choice('e', 'e_en2', SURNAMES + FIRM_WORDS)} END AS enseigne1Etablissement,
            CASE WHEN unif(e, 'e_ens') < 0.01 THEN {_choice('e', 'e_en3', FIRM_WORDS)} END AS enseigne2Etablissement,
            CASE WHEN unif(e, 'e_ens') < 0.002 THEN {_choice('e', 'e_en4', PLACE_WORDS)} END AS enseigne3Etablissement,
            CASE WHEN unif(e, 'e_du') < 0.04
                 THEN {_choice('e', 'e_du1', FIRM_WORDS)} || ' ' || {_choice('e', 'e_du2', SURNAMES)} END
                AS denominationUsuelleEtablissement,
            CASE WHEN old THEN {_choice('u', 'u_rev1', NAF_REV1)} ELSE ape END AS activitePrincipaleEtablissement,
            CASE WHEN old THEN 'NAFRev1' ELSE 'NAFRev2' END AS nomenclatureActivitePrincipaleEtablissement,
            CASE WHEN employer THEN 'O' WHEN active THEN CASE WHEN unif(e, 'e_cemp') < 0.9 THEN 'N' END
                 WHEN unif(e, 'e_cemp') < 0.85 THEN 'N' END AS caractereEmployeurEtablissement,
            NULL::VARCHAR AS activitePrincipaleNAF25Etablissement
        FROM g JOIN fr_tranche tr ON tr.slot = pick(e, 'e_tranche', 10000)"""


# ------------------------------------------------------------------------------------------------------------
# KBO
# ------------------------------------------------------------------------------------------------------------
class _Kbo:
    """Sizes and the SQL of each member; entities are functions of their index, like the SIRENE units."""

    def __init__(self, fraction: float, snapshot: date) -> None:
        self.snapshot = snapshot
        self.enterprises = max(100, round(NATIONAL["enterprises"] * fraction))
        self.units = max(50, round(NATIONAL["be_units"] * fraction))
        self.branches = max(5, round(NATIONAL["branches"] * fraction))
        self.with_activity = round(self.enterprises * P_WITH_ACTIVITY)
        self.single = min(self.units, round(self.enterprises * 0.6))  # units 0..single-1: one per enterprise
        # Numbers: affine permutations inside the real ranges (enterprises 0200.000.0xx-0899.999.9xx, units
        # 2.000.000.0xx-2.399.999.9xx, branches 9.000.000.0xx-...), then the mod-97 check digits.
        self.ent_space, self.unit_space, self.branch_space = 7_000_000, 4_000_000, 1_000_000
        assert self.enterprises + 1000 < self.ent_space and self.units < self.unit_space, "fraction too large"
        self.ent_mul = _coprime(self.ent_space, 2_654_437)
        self.unit_mul = _coprime(self.unit_space, 1_299_709)
        self.branch_mul = _coprime(self.branch_space, 104_723)

    def macros(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"""
            -- the ten digits: the first eight, then 97 - (first eight mod 97) (sources-be.md)
            CREATE OR REPLACE MACRO kbo_digits(first8) AS
                lpad(CAST(first8 AS VARCHAR), 8, '0') || lpad(CAST(97 - first8 % 97 AS VARCHAR), 2, '0');
            CREATE OR REPLACE MACRO fmt_ent(d) AS substr(d, 1, 4) || '.' || substr(d, 5, 3) || '.' || substr(d, 8, 3);
            CREATE OR REPLACE MACRO fmt_unit(d) AS substr(d, 1, 1) || '.' || substr(d, 2, 3) || '.' || substr(d, 5, 3)
                || '.' || substr(d, 8, 3);
            CREATE OR REPLACE MACRO ent_no(i) AS fmt_ent(kbo_digits(2000000 + (i * {self.ent_mul} + 12345) % {self.ent_space}));
            CREATE OR REPLACE MACRO unit_no(j) AS
                fmt_unit(kbo_digits(20000000 + (j * {self.unit_mul} + 777) % {self.unit_space}));
            CREATE OR REPLACE MACRO branch_no(b) AS
                fmt_unit(kbo_digits(90000000 + (b * {self.branch_mul} + 31) % {self.branch_space}));
            CREATE OR REPLACE MACRO ent_natural(i) AS unif(i, 'k_nat') < {P_NATURAL};
            CREATE OR REPLACE MACRO ent_employer(i) AS i < {self.with_activity}
                AND unif(i, 'k_emp') < CASE WHEN ent_natural(i) THEN 0.06 ELSE 0.28 END;
            CREATE OR REPLACE MACRO ent_start(i) AS days_back(i, 'k_start', {365 * 80}, 1.4);
            -- The enterprise of unit j: one each for the first ones, then a skewed draw (a few have hundreds), and
            -- one unit in 100,000 pointing to a number absent from enterprise.csv (the loader rejects it).
            CREATE OR REPLACE MACRO unit_ent(j) AS CASE
                WHEN j < {self.single} THEN j
                WHEN pick(j, 'k_orphan', 100000) = 0 THEN {self.enterprises} + j % 1000
                ELSE CAST(floor(pow(unif(j, 'k_owner'), 3) * {self.with_activity}) AS BIGINT) END;
            CREATE OR REPLACE MACRO lang(region, i) AS CASE region WHEN 'VLA' THEN '2' WHEN 'WAL'
                THEN CASE WHEN unif(i, 'k_de') < 0.012 THEN '3' ELSE '1' END
                ELSE CASE WHEN unif(i, 'k_bxl') < 0.7 THEN '1' WHEN unif(i, 'k_bxl') < 0.97 THEN '2' ELSE '4' END END;
        """)

    def member_sql(self, member: str) -> str:
        header = ",".join(f'"{name}"' for name in KBO_HEADERS[member])
        column = '"' + header.replace('"', '""') + '"'
        return f"SELECT line AS {column} FROM ({getattr(self, '_' + member.removesuffix('.csv'))()})"

    def _meta(self) -> str:
        s = self.snapshot
        stamp = (s + timedelta(days=1)).strftime("%d-%m-%Y") + " 07:07:49"
        rows = [("SnapshotDate", s.strftime("%d-%m-%Y")), ("ExtractTimestamp", stamp), ("ExtractType", "full"),
                ("ExtractNumber", str(_extract_number(s))), ("Version", "1.0.0")]
        return " UNION ALL ".join(f"SELECT q({_sql_str(k)}) || ',' || q({_sql_str(v)}) AS line" for k, v in rows)

    def _enterprise(self) -> str:
        return f"""
            SELECT concat_ws(',', q(ent_no(i)), q('AC'), q(situation), q(CASE WHEN is_natural THEN '1' ELSE '2' END),
                             CASE WHEN is_natural THEN '' ELSE q(f.form) END,
                             CASE WHEN is_natural THEN '' ELSE q(f.cac) END, dmy(ent_start(i))) AS line
            FROM (SELECT i, ent_natural(i) AS is_natural,
                         CASE WHEN unif(i, 'k_sit') < 0.992 THEN '000'
                              ELSE {_choice('i', 'k_sit2', ['012', '012', '050', '090', '091', '020'])} END AS situation
                  FROM ids({self.enterprises}) t(i)) e
            JOIN be_form f ON f.slot = pick(i, 'k_form', {SLOTS})"""

    def _establishment(self) -> str:
        return f"""
            SELECT concat_ws(',', q(unit_no(j)),
                             dmy(day_between(j, 'k_ustart', ent_start(least(unit_ent(j), {self.enterprises - 1})), 1.0)),
                             q(ent_no(unit_ent(j)))) AS line
            FROM ids({self.units}) t(j)"""

    def _places(self) -> str:
        """Every entity with an address: legal persons (REGO), units (BAET), branches (ABBR); also its language."""
        return f"""
            SELECT 'REGO' AS kind, i AS key, ent_no(i) AS entity FROM ids({self.enterprises}) t(i)
                WHERE NOT ent_natural(i)
            UNION ALL SELECT 'BAET', {self.ent_space} + j, unit_no(j) FROM ids({self.units}) t(j)
            UNION ALL SELECT 'ABBR', {self.ent_space * 2} + b, branch_no(b) FROM ids({self.branches}) t(b)"""

    def _address(self) -> str:
        names = " UNION ALL ".join(
            f"SELECT {_sql_str(p)} AS province, {k} AS n, {_sql_str(nl)} AS nl, {_sql_str(fr)} AS fr"
            for p, pairs in BE_NAMES.items() for k, (nl, fr) in enumerate(pairs))
        counts = _values((p, len(v)) for p, v in BE_NAMES.items())
        street = lambda region, salt: _choice("key", salt, BE_STREETS[region])  # noqa: E731
        return f"""
            WITH a AS (
                SELECT p.*, pc.postcode, pc.province, pc.region,
                       kind = 'REGO' AND unif(key, 'k_abroad') < 0.004 AS abroad
                FROM ({self._places()}) p JOIN be_postcode pc ON pc.slot = pick(key, 'k_pc', {SLOTS})
            )
            SELECT concat_ws(',', q(entity), q(kind),
                             CASE WHEN abroad THEN q('Frankrijk') ELSE '' END, CASE WHEN abroad THEN q('France') ELSE '' END,
                             q(CASE WHEN abroad THEN '59000' ELSE postcode END),
                             q(CASE WHEN abroad THEN 'Rijsel' ELSE m.nl END), q(CASE WHEN abroad THEN 'Lille' ELSE m.fr END),
                             q(CASE region WHEN 'VLA' THEN {street('VLA', 'k_st')} WHEN 'WAL' THEN {street('WAL', 'k_st')}
                                 ELSE {_choice('key', 'k_st', BE_STREETS_NL_BXL)} END),
                             q(CASE region WHEN 'VLA' THEN {street('VLA', 'k_st')} WHEN 'WAL' THEN {street('WAL', 'k_st')}
                                 ELSE {street('BXL', 'k_st')} END),
                             q(CAST(CAST(1 + floor(pow(unif(key, 'k_no'), 3) * 300) AS BIGINT) AS VARCHAR)),
                             q(CASE WHEN unif(key, 'k_box') < 0.2 THEN CAST(1 + pick(key, 'k_boxn', 30) AS VARCHAR) ELSE '' END),
                             q(''),
                             CASE WHEN kind = 'REGO' AND unif(key, 'k_strike') < 0.001
                                  THEN dmy(day_between(key, 'k_strike_d', DATE '2015-01-01', 1.0)) ELSE '' END) AS line
            FROM a JOIN ({counts}) c(province, n) USING (province)
            JOIN ({names}) m ON m.province = a.province AND m.n = pick(key, 'k_town', c.n)"""

    def _denomination(self) -> str:
        person = (f"{_choice('key', 'k_sn', BE_SURNAMES)} || ', ' || {_choice('key', 'k_fn', BE_FIRST_NAMES)}")
        suffix = _choice("key", "k_suffix", ["BV", "SRL", "NV", "SA", "VZW", "ASBL", "CV"])
        firm = (f"{_choice('key', 'k_fsn', BE_SURNAMES)} || ' ' || {_choice('key', 'k_sw', BE_SECTOR_WORDS)}"
                f" || CASE WHEN kind = 'REGO' THEN ' ' || {suffix} ELSE '' END")
        return f"""
            WITH p AS (SELECT p.*, pc.region FROM ({self._places()}) p
                       JOIN be_postcode pc ON pc.slot = pick(key, 'k_pc', {SLOTS})),
            names AS (
                -- natural persons: their name, language unknown (0); their addresses are not published
                SELECT ent_no(i) AS entity, '0' AS language, '001' AS type, 'NAT' AS kind, i AS key
                FROM ids({self.enterprises}) t(i) WHERE ent_natural(i)
                UNION ALL SELECT entity, lang(region, key), '001', kind, key FROM p WHERE kind = 'REGO'
                UNION ALL SELECT entity, lang(region, key), '002', kind, key FROM p
                    WHERE kind = 'REGO' AND unif(key, 'k_abbr') < 0.085
                UNION ALL SELECT entity, lang(region, key), '003', kind, key FROM p
                    WHERE (kind = 'BAET' AND unif(key, 'k_com') < 0.72) OR (kind = 'REGO' AND unif(key, 'k_com') < 0.058)
                UNION ALL SELECT entity, lang(region, key), '004', kind, key FROM p
                    WHERE kind = 'ABBR' AND unif(key, 'k_br') < 0.03
            )
            SELECT concat_ws(',', q(entity), q(language), q(type),
                             q(CASE WHEN kind = 'NAT' THEN {person} WHEN type = '002'
                                    THEN upper(left({_choice('key', 'k_fsn', BE_SURNAMES)}, 3)) || ' '
                                         || upper(left({_choice('key', 'k_sw', BE_SECTOR_WORDS)}, 3))
                                    ELSE {firm} END)) AS line
            FROM names"""

    def _contact(self) -> str:
        return f"""
            SELECT concat_ws(',', q(ent_no(i)), q('ENT'), q(type),
                             q(CASE type WHEN 'TEL' THEN '0' || CAST(10 + pick(i, 'k_tel1', 90) AS VARCHAR) || ' '
                                         || lpad(CAST(pick(i, 'k_tel2', 1000000) AS VARCHAR), 6, '0')
                                    WHEN 'EMAIL' THEN 'info' || CAST(i AS VARCHAR) || '@example.be'
                                    ELSE 'www.example' || CAST(i AS VARCHAR) || '.be' END)) AS line
            FROM ids({self.enterprises}) t(i),
                 unnest(['TEL', 'EMAIL', 'WEB']) AS c(type)
            WHERE unif(i, 'k_c_' || type) < CASE type WHEN 'TEL' THEN 0.16 WHEN 'EMAIL' THEN 0.12 ELSE 0.076 END"""

    def _activity(self) -> str:
        # Per entity: n slots (mean ~5.8, median 3), each one activity written in NACE-BEL 2008 and 2025, and in
        # 2003 for ~14 % of them (extract-140 profile). Slot 0 is MAIN, an employer's slot 1 its ONSS (006) MAIN.
        group = _choice("key * 64 + k", "k_group", ["003"] * 4300 + ["001"] * 650 + ["007"] * 5 + ["005"] * 2 + ["004"] * 1)
        return f"""
            WITH entities AS (
                SELECT i AS key, ent_no(i) AS entity, ent_employer(i) AS employer
                FROM ids({self.with_activity}) t(i)
                UNION ALL
                SELECT {self.ent_space} + j, unit_no(j), ent_employer(least(unit_ent(j), {self.enterprises - 1}))
                FROM ids({self.units}) t(j)
            ), slots AS (
                SELECT e.*, k,
                       CASE WHEN k = 0 THEN CASE WHEN unif(key, 'k_vat') < 0.3 THEN '001' ELSE '003' END
                            WHEN k = 1 AND employer THEN '006' ELSE {group} END AS grp,
                       CASE WHEN k = 0 OR (k = 1 AND employer) THEN 'MAIN'
                            WHEN unif(key * 64 + k, 'k_class') < 0.0002 THEN 'ANCI'
                            WHEN unif(key * 64 + k, 'k_class') < 0.73 THEN 'MAIN' ELSE 'SECO' END AS classification,
                       unif(key * 64 + k, 'k_2003') < {P_2003} AS with_2003
                FROM entities e,
                     unnest(range(greatest(CASE WHEN employer THEN 2 ELSE 1 END,
                                           1 + CAST(floor(pow(unif(key, 'k_n'), 3) * 21) AS BIGINT)))) AS s(k)
            )
            SELECT concat_ws(',', q(entity), q(grp), q(version),
                             q(CASE version WHEN '2008' THEN v.c08 WHEN '2025' THEN v.c25 ELSE v.c03 END),
                             q(classification)) AS line
            FROM slots
            JOIN be_nace n ON n.slot = pick(key * 64 + k, 'k_nace', {SLOTS})
            JOIN be_nace_versions v ON v.c08 = n.code,
            unnest(CASE WHEN with_2003 THEN ['2003', '2008', '2025'] ELSE ['2008', '2025'] END) AS x(version)"""

    def _branch(self) -> str:
        return f"""
            SELECT concat_ws(',', q(branch_no(b)), dmy(day_between(b, 'k_bstart', DATE '1990-01-01', 1.0)),
                             q(ent_no(pick(b, 'k_bent', {self.enterprises})))) AS line
            FROM ids({self.branches}) t(b)"""


def _extract_number(snapshot: date) -> int:
    """The extract number of the month: 130 for January 2025 (the sample's ``KboOpenData_0130_2025_01``), one a
    month (the monthly Fulls; daily files since October 2025 are not modelled)."""
    return 130 + (snapshot.year - 2025) * 12 + snapshot.month - 1


# ------------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------------
def _copy_csv(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    """COPY ``sql`` to a CSV (comma, minimal quoting, header, LF, final newline); return the rows written."""
    con.execute(f"COPY ({sql}) TO {_sql_str(str(path))} (FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', "
                "ESCAPE '\"', DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S')")
    return _rows_written(con)


def _copy_lines(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> int:
    """COPY a one-column query of ready-made lines (quoted by the SQL) as they are, its column name as header."""
    con.execute(f"COPY ({sql}) TO {_sql_str(str(path))} (FORMAT csv, HEADER true, QUOTE '', ESCAPE '', "
                "DELIMITER '\x1f')")
    return _rows_written(con)


def _check_columns(con: duckdb.DuckDBPyConnection, sql: str, header: list[str]) -> None:
    """The query's columns are the producer's header, in its order (the sample's headers match the real files)."""
    names = [row[0] for row in con.execute(f"DESCRIBE {sql}").fetchall()]
    if names != header:
        raise AssertionError(f"columns differ from the real header: {sorted(set(names) ^ set(header)) or 'order'}")


def _rows_written(con: duckdb.DuckDBPyConnection) -> int:
    result = con.fetchone()
    return int(result[0]) if result else -1


def _zip(members: list[Path], target: Path) -> None:
    """``target`` holding ``members`` (in order, stored under their names) deflated at level 1, streamed from disk:
    the ``zip`` command when present (several times faster than Python's zipfile), else zipfile."""
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    if shutil.which("zip"):
        subprocess.run(["zip", "-q", "-1", "-j", "-X", str(partial), *map(str, members)], check=True)
    else:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as archive:
            for member in members:
                archive.write(member, member.name)
    partial.replace(target)


class _Background:
    """Compressions run beside the next generation (DuckDB and zip each keep a core busy)."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def run(self, job: Callable[[], None]) -> None:
        def wrapped() -> None:
            try:
                job()
            except BaseException as exc:  # re-raised by join()
                self.errors.append(exc)
        thread = threading.Thread(target=wrapped)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]


def _sidecar(path: Path, producer: str, url: str, licence: str, snapshot: date, seed: int, fraction: float) -> None:
    last_day = (snapshot + timedelta(days=1)).day == 1
    origin = {
        "producer": producer, "url": url, "licence": licence,
        # a month (YYYY-MM) means its last day to the SIRENE loader; any other day is given in full
        "reference_period": snapshot.strftime("%Y-%m") if last_day else snapshot.isoformat(),
        "retrieved": date.today().isoformat(), "synthetic": True,
        "generator": f"benchmarks/national_inputs.py (seed {seed}, fraction {fraction:g})", "note": NOTE,
    }
    path.with_name(path.name + ".origin.json").write_text(json.dumps(origin, ensure_ascii=False, indent=2) + "\n",
                                                          encoding="utf-8")


def _clear(folder: Path, prefixes: tuple[str, ...]) -> None:
    """Remove the other inputs of the source, so the loader reads ours; refuse when a dated vintage would win."""
    folder.mkdir(parents=True, exist_ok=True)
    if vintages := [p.name for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", p.name)]:
        raise ValueError(f"{folder} holds dated vintages ({', '.join(sorted(vintages))}): the loader would read "
                         "them, not the generated files; remove them or use another raw folder")
    for path in folder.iterdir():
        if path.is_file() and path.name.startswith(prefixes):
            path.unlink()


def generate(raw_dir: Path, fraction: float, sirene_format: str = "parquet", *, seed: int = 1,
             snapshot: date = date(2025, 1, 31)) -> dict:
    """Write the SYNTHETIC SIRENE stock files (``zip`` or ``parquet``) and KBO Full extract into ``raw_dir`` at
    ``fraction`` of national size; return rows, bytes and seconds per file."""
    if sirene_format not in ("zip", "parquet"):
        raise ValueError(f"sirene_format {sirene_format!r}: expected zip or parquet")
    if not 0 < fraction <= 3:
        raise ValueError(f"fraction {fraction}: expected 0 < fraction <= 3")
    raw_dir = Path(raw_dir)
    sirene_dir, kbo_dir = raw_dir / SIRENE_FOLDER, raw_dir / KBO_FOLDER
    _clear(sirene_dir, (UNITS, ESTABLISHMENTS))
    _clear(kbo_dir, ("KboOpenData_",))
    work = raw_dir / ".national_inputs_tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    started = time.perf_counter()
    report: dict = {"fraction": fraction, "format": sirene_format, "seed": seed, "snapshot": snapshot.isoformat(),
                    "files": {}}
    background = _Background()
    con = duckdb.connect()
    try:
        # The joins stay as written (millions of rows probing a small code table): left to its estimates, DuckDB
        # builds some hash tables on the generated rows instead, and runs on one core.
        con.execute(f"SET memory_limit = '2GB'; SET preserve_insertion_order = false; "
                    f"SET temp_directory = {_sql_str(str(work / 'duckdb'))}; "
                    "SET disabled_optimizers = 'join_order,build_side_probe_side'")
        sirene, kbo = _Sirene(fraction, snapshot), _Kbo(fraction, snapshot)
        largest = max(sirene.establishments, kbo.enterprises, kbo.units, kbo.branches)
        con.execute(f"CREATE TEMP TABLE row_ids AS SELECT range AS i FROM range({largest})")
        _macros(con, seed, snapshot)
        _lookups(con)
        sirene.macros(con)
        kbo.macros(con)

        for stem, sql, header in ((UNITS, sirene.units_sql(), SIRENE_UNIT_HEADER),
                                  (ESTABLISHMENTS, sirene.establishments_sql(), SIRENE_ESTABLISHMENT_HEADER)):
            _check_columns(con, sql, header)
            t0 = time.perf_counter()
            target = sirene_dir / f"{stem}_utf8.{sirene_format}"
            entry = report["files"][str(target.relative_to(raw_dir))] = {}
            if sirene_format == "parquet":
                partial = work / target.name
                con.execute(f"COPY ({sql}) TO {_sql_str(str(partial))} (FORMAT parquet, COMPRESSION zstd)")
                entry["rows"] = _rows_written(con)
                partial.replace(target)
                entry.update(bytes=target.stat().st_size, seconds=round(time.perf_counter() - t0, 1))
            else:
                csv_path = work / f"{stem}_utf8.csv"
                entry["rows"] = _copy_csv(con, sql, csv_path)
                entry.update(csv_bytes=csv_path.stat().st_size, seconds=round(time.perf_counter() - t0, 1))

                def compress(csv_path: Path = csv_path, target: Path = target, entry: dict = entry) -> None:
                    t1 = time.perf_counter()
                    _zip([csv_path], target)
                    csv_path.unlink()
                    entry.update(bytes=target.stat().st_size, zip_seconds=round(time.perf_counter() - t1, 1))
                background.run(compress)
            _sidecar(target, "INSEE (Sirene)", SIRENE_URLS[stem], "Licence Ouverte / Etalab 2.0", snapshot, seed,
                     fraction)

        t0 = time.perf_counter()
        name = f"KboOpenData_{_extract_number(snapshot):04d}_{snapshot:%Y}_{snapshot:%m}_Full.zip"
        members, member_rows = [], {}
        kbo_work = work / "kbo"
        kbo_work.mkdir()
        for member in KBO_HEADERS:
            path = kbo_work / member
            if member == "code.csv":  # the producer's own code list, byte for byte
                shutil.copyfile(KBO_CODE_LIST, path)
                member_rows[member] = con.execute(
                    f"SELECT count(*) FROM read_csv({_sql_str(str(path))}, all_varchar = true)").fetchone()[0]
            else:
                member_rows[member] = _copy_lines(con, kbo.member_sql(member), path)
            members.append(path)
        generated = time.perf_counter() - t0
        background.join()  # the SIRENE ZIPs, before the KBO one takes the spare core
        t1 = time.perf_counter()
        _zip(members, kbo_dir / name)
        report["files"][str(KBO_FOLDER / name)] = {
            "rows": member_rows, "csv_bytes": sum(p.stat().st_size for p in members),
            "bytes": (kbo_dir / name).stat().st_size, "seconds": round(generated, 1),
            "zip_seconds": round(time.perf_counter() - t1, 1)}
        _sidecar(kbo_dir / name, "SPF Economie / FOD Economie (Banque-Carrefour des Entreprises / Kruispuntbank van "
                 "Ondernemingen)", f"https://kbopub.economie.fgov.be/kbo-open-data/affiliation/xml/files/{name}",
                 "KBO Open data licence (free registration)", snapshot, seed, fraction)
    finally:
        background.join()
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _print(report: dict) -> None:
    print(f"fraction {report['fraction']:g}, SIRENE as {report['format']}, {report['seconds']} s in all")
    for name, entry in report["files"].items():
        rows = entry["rows"] if isinstance(entry["rows"], int) else sum(entry["rows"].values())
        raw = entry.get("csv_bytes")
        per_row = f", CSV {raw / 1e6:,.1f} MB = {raw / max(rows, 1):.0f} B/row" if raw else ""
        zipped = f" + zip {entry['zip_seconds']} s" if "zip_seconds" in entry else ""
        print(f"  {name}: {rows:,} rows, {entry['bytes'] / 1e6:,.1f} MB{per_row}; {entry['seconds']} s{zipped}")
        if not isinstance(entry["rows"], int):
            print("    " + ", ".join(f"{m} {n:,}" for m, n in entry["rows"].items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fraction", type=float, default=0.01, help="share of national size (default 0.01)")
    parser.add_argument("--format", choices=("zip", "parquet"), default="parquet", help="SIRENE format")
    parser.add_argument("--out", type=Path, required=True, help="raw folder (fr/sirene and be/kbo are written)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--snapshot", type=date.fromisoformat, default=date(2025, 1, 31), help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    report = generate(args.out, args.fraction, args.format, seed=args.seed, snapshot=args.snapshot)
    _print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
