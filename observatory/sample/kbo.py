"""KBO/BCE open data: the Belgian register of enterprises, a Full extract and the monthly Updates after it, as the
sample writes them.

``be/kbo/KboOpenData_0118_2024_01_Full.zip`` holding ``meta.csv``, ``code.csv``, ``enterprise.csv``,
``establishment.csv``, ``denomination.csv``, ``address.csv``, ``contact.csv``, ``activity.csv`` and ``branch.csv``
(comma-separated, every field double-quoted except empty ones, dates dd-mm-yyyy, UTF-8, LF), snapshot of
31-12-2023; then ``KboOpenData_0119_2024_02_Update.zip`` .. ``KboOpenData_0130_2025_01_Update.zip``, one per month of
2024 (snapshot the month's last day), each with ``meta.csv`` and, per table, ``<table>_delete.csv`` (the key column)
and ``<table>_insert.csv`` (every row of the entities inserted); each with its sidecar. The register after the last
Update is the one of 31-12-2024. The entities started in 2024 arrive by the Update of their month; the enterprises
that cease in 2024 (about 5 % of the stock, the author's approximation) are in the Full and deleted, with their
units, by the Update of their month; a few enterprises are deleted and inserted again (their rows changed). The
real Updates also carry the complete code.csv (2 MB); the sample's leave it out, to stay small (the loader keeps
the Full's codes when an Update has none).

The layout is restated here from the producer's documentation of the open-data extracts (the KBO open data
cookbook: member names and order, column names and order, quoting, date format), and checked by the tests
against the real extract kept in ``tests/fixtures/real``. ``code.csv`` is the producer's own code list, byte for byte
(``observatory/reference/kbo/code.csv``, see ``observatory/reference/README.md``), and every juridical form and
NACE-BEL code the sample writes must be one of its codes. Employers are drawn from the ONSS cells of the snapshot
year, then non-employers and corner cases are added.
"""

from __future__ import annotations

import csv
import functools
import math
import random
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from observatory.sample.common import SNAPSHOT, SURNAMES, date_between, dmy, scaled, write_sidecar, write_zip
from observatory.sample.territory import (
    BE_AREA_NUTS3,
    BE_ARRONDISSEMENTS,
    BE_OUTSIDE_POSTCODES,
    BE_POSTCODES,
    BE_TOWNS,
    BE_UNKNOWN_POSTCODE,
    FLEMISH_NUTS3,
)

# The producer's own code list (observatory/reference/README.md): the sample's KBO code.csv is this file, byte for
# byte, and every juridical form and NACE-BEL code the sample writes must be in it.
KBO_CODE_LIST = Path(__file__).resolve().parents[1] / "reference" / "kbo" / "code.csv"
KBO_FOLDER = Path("be") / "kbo"
KBO_FULL_NUMBER = 118
KBO_ZIP = "KboOpenData_0118_2024_01_Full.zip"
KBO_FULL_SNAPSHOT = date(SNAPSHOT.year - 1, 12, 31)
KBO_TIMESTAMP = (2024, 1, 1, 7, 7, 49)
# The tables of an Update and the key column of their <table>_delete.csv (KBO open data cookbook).
KBO_UPDATE_KEYS = {"enterprise": "EnterpriseNumber", "establishment": "EstablishmentNumber",
                   "denomination": "EntityNumber", "address": "EntityNumber", "contact": "EntityNumber",
                   "activity": "EntityNumber", "branch": "Id"}
# Producer, URL and licence recorded in the sidecar (the KBO open-data pages of SPF Economie).
KBO_PRODUCER = (
    "SPF Economie / FOD Economie (Banque-Carrefour des Entreprises / Kruispuntbank van Ondernemingen)"
)
KBO_URL = "https://kbopub.economie.fgov.be/kbo-open-data/affiliation/xml/files/{}"
KBO_LICENCE = "KBO Open data licence (free registration)"
# Members and their headers, in the producer's order (KBO open data cookbook).
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
# Eurostat's A*10 aggregation of NACE Rev. 2: (group, first division, last division); names the synthetic enterprises.
NACE_A10 = (("A", 1, 3), ("B-E", 5, 39), ("F", 41, 43), ("G-I", 45, 56), ("J", 58, 63), ("K", 64, 66),
            ("L", 68, 68), ("M_N", 69, 82), ("O-Q", 84, 88), ("R-U", 90, 99))


def a10_of(division: str) -> str:
    for code, low, high in NACE_A10:
        if low <= int(division) <= high:
            return code
    return ""


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
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.numbers: set[str] = set()
        self.enterprises: list[list] = []
        self.establishments: list[list] = []
        self.denominations: list[list] = []
        self.addresses: list[list] = []
        self.contacts: list[list] = []
        self.activities: list[list] = []
        self.branches: list[list] = []
        self.ceased: dict[str, date] = {}  # enterprise -> day it ceases (deleted by that month's Update)
        self.changed: dict[str, date] = {}  # enterprise -> day its row changes (deleted and inserted again)
        self.forms_used: set[str] = set()
        self.nace_used: dict[str, set[str]] = {"2008": set(), "2025": set()}
        self.postcode_names: dict[str, tuple[str, str]] = {}
        for nuts3, (nl, fr, _) in BE_TOWNS.items():
            for postcode in BE_POSTCODES.get(nuts3, []):
                self.postcode_names[postcode] = (nl, fr)
        self.postcode_names.update(BE_OUTSIDE_POSTCODES)
        self.flemish = {p for nuts3 in FLEMISH_NUTS3 for p in BE_POSTCODES.get(nuts3, [])}

    def number(self, first: str, low: int, high: int, enterprise: bool) -> str:
        while True:
            body = f"{first}{self.rng.randrange(low, high):07d}"
            digits = body + kbo_check_digits(body)
            formatted = _kbo_format(digits, enterprise)
            if formatted not in self.numbers:
                self.numbers.add(formatted)
                return formatted

    def postcode(self, nuts3: str) -> str:
        postcodes = BE_POSTCODES[nuts3]
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
            unit_start = date_between(rng, start, max(start, SNAPSHOT - timedelta(days=5)))
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
        keyword_fr, keyword_nl = BE_SECTOR_WORDS.get(a10_of(nace[:2]), ("Services", "Diensten"))
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


def kbo_register(rng: random.Random, be_cells: dict[int, list[tuple]], year: int, scale: float) -> _Kbo:
    kbo = _Kbo(rng)
    arr_nuts3 = BE_AREA_NUTS3
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
    for key, _ in rng.choices(cells, cum_weights=cumulative, k=scaled(1400, scale, 40)):
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
        start = date_between(rng, date(1921, 1, 1) if key.legal in ("017", "124") else date(1960, 1, 1),
                              date(2024, 6, 30))
        kbo.enterprise(form=form, cac=cac, start=start, nace=key.activity, employer=True, nuts3=nuts3,
                       units=units, seat_postcode=seat)

    # Non-employers: natural persons (no juridical form) and small legal persons.
    for _ in range(scaled(2200, scale, 60)):
        kind, form, nace, _ = rng.choices(KBO_NON_EMPLOYERS, weights=[w for *_, w in KBO_NON_EMPLOYERS])[0]
        arr = rng.choices(list(BE_ARRONDISSEMENTS), weights=weights)[0]
        nuts3 = arr_nuts3[arr]
        start = date_between(rng, date(1975, 1, 1), date(2024, 12, 15))
        only_2025 = start >= date(2024, 11, 1)
        kbo.enterprise(form=form if kind == "L" else "", cac="", start=start, nace=nace, employer=False,
                       nuts3=nuts3, units=1, only_2025=only_2025)

    # Every area NUTS3 and every family has establishment units.
    for nuts3 in nuts3_list:
        for form, nace in (("017", "88999"), ("706", "46211"), ("019", "65122"), ("029", "72190"),
                           ("508", "88999"), ("610", "47111")):
            kbo.enterprise(form=form, cac="", start=date_between(rng, date(1990, 1, 1), date(2020, 1, 1)),
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
    _cessations(kbo, weights, scale)
    return kbo


def _cessations(kbo: _Kbo, weights: list[float], scale: float) -> None:
    """Enterprises that cease during the snapshot year, drawn last so that the register of 31 December is the same
    with them or without: about 5 % of the stock (the author's approximation), a twelfth of them created that year;
    and a few enterprises whose row changes (JuridicalSituation 012) during the year."""
    rng = kbo.rng
    year_start = date(SNAPSHOT.year, 1, 1)
    employers = (("017", "88999"), ("706", "46211"), ("610", "47111"), ("017", "94991"))
    for index in range(scaled(190, scale, 8)):
        if index % 5 == 0:
            (form, nace), kind, employer = rng.choice(employers), "L", True
        else:
            kind, form, nace, _ = rng.choices(KBO_NON_EMPLOYERS, weights=[w for *_, w in KBO_NON_EMPLOYERS])[0]
            employer = False
        nuts3 = BE_AREA_NUTS3[rng.choices(list(BE_ARRONDISSEMENTS), weights=weights)[0]]
        if index % 12 == 0:
            start = date_between(rng, year_start, date(SNAPSHOT.year, 9, 30))
        else:
            start = date_between(rng, date(1985, 1, 1), KBO_FULL_SNAPSHOT - timedelta(days=10))
        # Ceased in a later month than the one it arrives in, so that an Update inserts it before another deletes it.
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        ceased = date_between(rng, max(year_start, next_month), SNAPSHOT)
        number = kbo.enterprise(form=form if kind == "L" else "", cac="", start=start, nace=nace, employer=employer,
                                nuts3=nuts3, units=1)
        for unit in kbo.establishments:
            if unit[2] == number:
                unit[1] = start  # its unit opened with it, before it ceased
        kbo.ceased[number] = ceased
    older = sorted(e[0] for e in kbo.enterprises if e[6] <= KBO_FULL_SNAPSHOT and e[0] not in kbo.ceased)
    changed = set(rng.sample(older, scaled(12, scale, 2)))
    for row in kbo.enterprises:
        if row[0] in changed:
            row[2] = "012"  # its JuridicalSituation after the change; the Full has the one before (000)
            kbo.changed[row[0]] = date_between(rng, year_start, SNAPSHOT)


def _kbo_field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return dmy(value)
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


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def write_kbo(out_dir: Path, kbo: _Kbo, seed: int, scale: float) -> list[Path]:
    """The Full extract of 31 December of the year before the snapshot and one Update per month after it."""
    tables = {
        "enterprise": sorted(kbo.enterprises, key=lambda r: r[0]),
        "establishment": sorted(kbo.establishments, key=lambda r: r[0]),
        "denomination": sorted(kbo.denominations, key=lambda r: (r[0], r[2], r[1])),
        "address": sorted(kbo.addresses, key=lambda r: (r[0], r[1])),
        "contact": sorted(kbo.contacts, key=lambda r: (r[0], r[2])),
        "activity": sorted(kbo.activities, key=lambda r: (r[0], r[1], r[2], r[4], r[3])),
        "branch": sorted(kbo.branches, key=lambda r: r[0]),
    }
    _check_kbo_codes(kbo)
    # The month an entity (enterprise or unit) arrives in, if after the Full; the month it is deleted in.
    arrives = {row[0]: row[6].month for row in kbo.enterprises if row[6] > KBO_FULL_SNAPSHOT}
    arrives |= {row[0]: row[1].month for row in kbo.establishments if row[1] > KBO_FULL_SNAPSHOT}
    leaves = {number: day.month for number, day in kbo.ceased.items()}
    leaves |= {row[0]: kbo.ceased[row[2]].month for row in kbo.establishments if row[2] in kbo.ceased}
    changes = {number: day.month for number, day in kbo.changed.items()}
    before_change = {row[0]: [*row[:2], "000", *row[3:]] for row in kbo.enterprises if row[0] in changes}

    full = {name: [before_change.get(row[0], row) if name == "enterprise" else row for row in rows
                   if row[0] not in arrives] for name, rows in tables.items()}
    meta = [["SnapshotDate", dmy(KBO_FULL_SNAPSHOT)], ["ExtractTimestamp", "01-01-2024 07:07:49"],
            ["ExtractType", "full"], ["ExtractNumber", str(KBO_FULL_NUMBER)], ["Version", "1.0.0"]]
    members = [("meta.csv", _kbo_table(KBO_HEADERS["meta.csv"], meta)),
               # The producer's code list itself, never one written from the mappings (issue 9).
               ("code.csv", KBO_CODE_LIST.read_bytes())]
    members += [(f"{name}.csv", _kbo_table(KBO_HEADERS[f"{name}.csv"], rows)) for name, rows in full.items()]
    path = write_zip(out_dir / KBO_FOLDER / KBO_ZIP, members, KBO_TIMESTAMP)
    written = [path, write_sidecar(path, KBO_PRODUCER, KBO_URL.format(KBO_ZIP), KBO_LICENCE,
                                   KBO_FULL_SNAPSHOT.isoformat(), seed, scale)]

    for month in range(1, 13):
        number, snapshot = KBO_FULL_NUMBER + month, _month_end(SNAPSHOT.year, month)
        released = snapshot + timedelta(days=1)
        name = f"KboOpenData_{number:04d}_{released.year}_{released.month:02d}_Update.zip"
        meta = [["SnapshotDate", dmy(snapshot)], ["ExtractTimestamp", f"{dmy(released)} 07:02:11"],
                ["ExtractType", "update"], ["ExtractNumber", str(number)], ["Version", "1.0.0"]]
        members = [("meta.csv", _kbo_table(KBO_HEADERS["meta.csv"], meta))]
        for table, rows in tables.items():
            changed = {row[0] for row in rows if changes.get(row[0]) == month} if table == "enterprise" else set()
            deleted = sorted({row[0] for row in rows if leaves.get(row[0]) == month} | changed)
            inserted = [row for row in rows if arrives.get(row[0]) == month or row[0] in changed]
            members.append((f"{table}_delete.csv", _kbo_table([KBO_UPDATE_KEYS[table]], [[key] for key in deleted])))
            members.append((f"{table}_insert.csv", _kbo_table(KBO_HEADERS[f"{table}.csv"], inserted)))
        path = write_zip(out_dir / KBO_FOLDER / name, members, (released.year, released.month, 1, 7, 2, 11))
        written += [path, write_sidecar(path, KBO_PRODUCER, KBO_URL.format(name), KBO_LICENCE, snapshot.isoformat(),
                                        seed, scale)]
    return written
