"""SIRENE: INSEE's stock of legal units and establishments, as the sample writes it.

``fr/sirene/StockUniteLegale_utf8.zip`` and ``fr/sirene/StockEtablissement_utf8.zip``, each holding one
``<stem>_utf8.csv`` (comma-separated, UTF-8, LF, minimal quoting), snapshot of 2024-12-31, with their sidecars.

The layout is restated here from INSEE's documentation of the stock files (format 3.11: the column names and their
order, with ``activitePrincipaleNAF25*`` last and empty; the file names of data.gouv.fr; ``docs/methodology.md``),
and checked by the tests against the real rows kept in ``tests/fixtures/real/sirene``.
Employers are drawn from the FLORES cells of the snapshot year, then registry-only corner cases are added, then
units created since 2000 that ceased after a few years (``_sirene_short_lived``), so that each birth cohort has a
survival of the order of the real ones.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from observatory.sample.common import (
    SNAPSHOT,
    SURNAMES,
    date_between,
    random_time,
    scaled,
    write_sidecar,
    write_zip,
)
from observatory.sample.employment import Key
from observatory.sample.flores import fr_family
from observatory.sample.territory import FR_DEPARTMENTS, FR_OUTSIDE, FR_UNKNOWN_CJ, FR_UNKNOWN_COMMUNE, Commune

SIRENE_FOLDER = Path("fr") / "sirene"
SIRENE_TIMESTAMP = (2025, 1, 1, 4, 12, 0)
# Producer, URL and licence recorded in each sidecar (data.gouv.fr's pages of the stock files).
SIRENE_PRODUCER = "INSEE (Sirene)"
SIRENE_LICENCE = "Licence Ouverte / Etalab 2.0"
SIRENE_URLS = {
    "StockUniteLegale": "https://www.data.gouv.fr/datasets/r/825f4199-cadd-486c-ac46-a65a8ea1a047",
    "StockEtablissement": "https://www.data.gouv.fr/datasets/r/0651fb76-bcf3-4f6a-a38d-bc04fa708576",
}
# Legal categories of public bodies: often several establishments.
PUBLIC_FR = {"7210", "7220", "7230", "7312", "7172", "7364", "7361", "7383", "4110"}


# Headers, exactly as in INSEE's description of the stock files (format 3.11).
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
        return random_time(self.rng, date_between(self.rng, min(start, SNAPSHOT), SNAPSHOT))


def _siret(siren: str, sequence: int) -> tuple[str, str]:
    base = f"{siren}{sequence:04d}"
    siret = _luhn_complete(base)
    return siret[9:], siret


def _sirene_unit(state: _SireneState, *, cj: str, apet: str, ess: str, employer: bool, jobs: int, place: str,
                 active: bool = True, nomenclature: str = "NAFRev2", status: str = "O",
                 created: date | None = None, purged: bool = False, mission: str = "") -> dict[str, str]:
    rng = state.rng
    family = fr_family(cj)
    earliest = date(1950, 1, 1) if family else date(1975, 1, 1)
    created = created or date_between(rng, earliest, date(2024, 11, 30))
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
    period_start = date_between(rng, created, min(SNAPSHOT, created + timedelta(days=365 * 20)))
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
    created = date_between(rng, unit_created, SNAPSHOT - timedelta(days=20))
    row = dict.fromkeys(SIRENE_ESTABLISHMENT_HEADER, "")
    row.update(siren=siren, nic=nic, siret=siret,
               statutDiffusionEtablissement=unit["statutDiffusionUniteLegale"],
               dateCreationEtablissement=created.isoformat(), etablissementSiege="true" if siege else "false",
               nombrePeriodesEtablissement=str(rng.randint(1, 4)),
               etatAdministratifEtablissement="A" if active else "F",
               nomenclatureActivitePrincipaleEtablissement=nomenclature,
               activitePrincipaleEtablissement=_dotted(apet) if nomenclature == "NAFRev2" else apet,
               caractereEmployeurEtablissement=employer)
    start = date_between(rng, created, SNAPSHOT - timedelta(days=10))
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


def sirene_stock(rng: random.Random, communes: dict[str, list[Commune]],
            fr_cells: dict[int, list[tuple]], year: int,
            scale: float) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    by_code = {c.code: c for dep in communes for c in communes[dep]}
    for code, (name, postcode, (x, y)) in FR_OUTSIDE.items():
        by_code[code] = Commune(code, name, postcode, x, y, 0.0)
    by_code[FR_UNKNOWN_COMMUNE] = Commune(FR_UNKNOWN_COMMUNE, "", "", 0, 0, 0.0)
    state = _SireneState(rng, by_code, communes)

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
    for key, _, jobs in rng.choices(cells, cum_weights=cumulative, k=scaled(2000, scale, 50)):
        _sirene_employer(state, key, jobs, same_cj)

    # Registry-only corner cases and every family in every département (SOCENT included).
    _sirene_coverage(state, communes)
    _sirene_non_employers(state, communes, scale)
    _sirene_ceased(state, communes, scale)
    _sirene_specials(state, communes)

    # The snapshot is dated by its last processing date: a few lines processed on 2024-12-31 itself.
    for row in state.establishments[:: max(1, len(state.establishments) // 5)]:
        if row["etatAdministratifEtablissement"] == "A":
            row["dateDernierTraitementEtablissement"] = random_time(rng, SNAPSHOT)
    for unit in state.units[:: max(1, len(state.units) // 5)]:
        unit["dateDernierTraitementUniteLegale"] = random_time(rng, SNAPSHOT)
    # Drawn last, so that the rest of the stock is the same with them or without.
    _sirene_short_lived(state, communes, scale)
    units = sorted(state.units, key=lambda u: u["siren"])
    establishments = sorted(state.establishments, key=lambda e: e["siret"])
    return units, establishments


def _ess_flag(rng: random.Random, family: str) -> str:
    if family:
        return "O" if rng.random() < 0.97 else ""
    return "N" if rng.random() < 0.85 else ""


def _sirene_employer(state: _SireneState, key: Key, jobs: int, same_cj: dict) -> None:
    rng = state.rng
    family = fr_family(key.legal)
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
    for _ in range(scaled(3000, scale, 60)):
        cj, apet, _ = rng.choices(NON_EMPLOYERS, weights=[w for *_, w in NON_EMPLOYERS])[0]
        dep = rng.choices(deps, weights=dep_weights)[0]
        commune = rng.choices(communes[dep], weights=[c.weight + 0.02 for c in communes[dep]])[0]
        family = fr_family(cj)
        status = "P" if cj == "1000" and rng.random() < 0.06 else "O"
        created = date_between(rng, date(1990, 1, 1), date(2024, 12, 20))
        unit = _sirene_unit(state, cj=cj, apet=apet, ess=_ess_flag(rng, family), employer=False, jobs=0,
                            place=commune.name, status=status, created=created)
        _sirene_establishment(state, unit, 1, commune, apet=apet, employer="N" if rng.random() < 0.9 else "",
                              jobs=0, siege=True)


def _sirene_ceased(state: _SireneState, communes: dict[str, list[Commune]], scale: float) -> None:
    """Ceased legal units (C) and their closed establishments (F), some with old NAF codes."""
    rng = state.rng
    deps = list(FR_DEPARTMENTS)
    for _ in range(scaled(700, scale, 15)):
        cj, apet, _ = rng.choice(NON_EMPLOYERS)
        dep = rng.choice(deps)
        commune = rng.choice(communes[dep])
        old = rng.random() < 0.3
        created = date_between(rng, date(1960, 1, 1), date(2001, 12, 31) if old else date(2022, 12, 31))
        nomenclature, code = ("NAFRev1", rng.choice(NAF_REV1_CODES)) if old else ("NAFRev2", apet)
        unit = _sirene_unit(state, cj=cj, apet=code, ess="", employer=False, jobs=0, place=commune.name,
                            active=False, nomenclature=nomenclature, created=created,
                            purged=old and rng.random() < 0.5)
        for sequence in range(1, rng.choice((1, 1, 1, 2)) + 1):
            _sirene_establishment(state, unit, sequence, rng.choice(communes[dep]), apet=code, employer="N",
                                  jobs=0, siege=sequence == 1, active=False, nomenclature=nomenclature)


# Full years a short-lived unit lives before it ceases (0: within its first year), by weight: the author's
# approximation of a French cohort's cessations (INSEE counts about 60 % of classic enterprises still active after
# five years), the SAME for every legal category, so that a difference between families in the sample is noise.
SHORT_LIVES = {0: 30, 1: 25, 2: 17, 3: 12, 4: 8, 5: 3, 6: 2, 7: 1.5, 8: 1, 9: 0.5}


def _sirene_short_lived(state: _SireneState, communes: dict[str, list[Commune]], scale: float) -> None:
    """Units created since 2000 that have ceased (C, with the cessation as ``dateDebut``) after a few years, and
    their closed head offices (F): the cessations that give each birth cohort its survival."""
    rng = state.rng
    deps = list(FR_DEPARTMENTS)
    dep_weights = [FR_DEPARTMENTS[d][0] for d in deps]
    lives, life_weights = list(SHORT_LIVES), list(SHORT_LIVES.values())
    # Each one copies the legal category and activity of an active unit created since 2000, so that the ceased units
    # are spread over the families as the births are.
    kinds = [(u["categorieJuridiqueUniteLegale"], u["activitePrincipaleUniteLegale"].replace(".", ""))
             for u in state.units if u["etatAdministratifUniteLegale"] == "A" and u["dateCreationUniteLegale"] >= "2000"
             and u["nomenclatureActivitePrincipaleUniteLegale"] == "NAFRev2"]
    made = 0
    while made < scaled(1800, scale, 30):
        created = date_between(rng, date(2000, 1, 1), date(SNAPSHOT.year - 1, 12, 31))
        ceased = created + timedelta(days=365 * rng.choices(lives, weights=life_weights)[0] + rng.randrange(365))
        if ceased >= SNAPSHOT:
            continue  # still alive at the snapshot: the active stock already holds such units
        made += 1
        cj, apet = rng.choice(kinds)
        dep = rng.choices(deps, weights=dep_weights)[0]
        commune = rng.choice(communes[dep])
        unit = _sirene_unit(state, cj=cj, apet=apet, ess=_ess_flag(rng, fr_family(cj)), employer=False, jobs=0,
                            place=commune.name, active=False, created=created)
        unit["dateDebut"] = ceased.isoformat()
        unit["dateDernierTraitementUniteLegale"] = state.processed(ceased)
        _sirene_establishment(state, unit, 1, commune, apet=apet, employer="N", jobs=0, siege=True, active=False)
        office = state.establishments[-1]
        office.update(dateCreationEtablissement=created.isoformat(), dateDebut=ceased.isoformat(),
                      dateDernierTraitementEtablissement=state.processed(ceased))


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
        ess = _ess_flag(rng, fr_family(cj))
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


def write_sirene(out_dir: Path, units: list[dict[str, str]], establishments: list[dict[str, str]], seed: int,
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
        write_zip(path, [(f"{stem}_utf8.csv", buffer.getvalue().encode("utf-8"))], SIRENE_TIMESTAMP)
        sidecar = write_sidecar(path, SIRENE_PRODUCER, SIRENE_URLS[stem], SIRENE_LICENCE, SNAPSHOT.isoformat(),
                           seed, scale)
        written += [path, sidecar]
    return written
