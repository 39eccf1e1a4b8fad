"""The synthetic territory of the sample: the area's départements and arrondissements, their communes, the
out-of-area and unknown codes the pipeline must handle, and the Belgian postcodes of the area.

Every code here is stated literally, from the producers' own lists (INSEE's COG, Statbel's REFNIS, Eurostat's NUTS
2021 and TERCET postcode correspondence), never read from ``observatory/nomenclatures``: the pipeline classifies
with those mapping files, and ``tests/test_sample.py`` checks that they and this module agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

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
# Area arrondissement (first two digits of the REFNIS code, Statbel) -> its NUTS3 region (Eurostat NUTS 2021).
BE_AREA_NUTS3 = {
    "31": "BE251", "32": "BE252", "33": "BE253", "34": "BE254", "35": "BE255", "36": "BE256", "37": "BE257",
    "38": "BE258", "44": "BE234", "45": "BE235", "51": "BE32A", "52": "BE32B", "53": "BE323", "55": "BE32C",
    "56": "BE32D", "57": "BE328", "58": "BE329", "81": "BE341", "82": "BE342", "83": "BE343", "84": "BE344",
    "85": "BE345", "91": "BE351", "92": "BE352", "93": "BE353",
}


def _postcodes(text: str) -> dict[str, list[str]]:
    """``NUTS3 postcode postcode ...`` blocks (continuation lines indented) -> NUTS3 -> sorted postcodes."""
    out: dict[str, list[str]] = {}
    nuts3 = ""
    for line in text.strip().splitlines():
        words = line.split()
        if not line.startswith(" "):
            nuts3, words = words[0], words[1:]
        out.setdefault(nuts3, []).extend(words)
    return {key: sorted(codes) for key, codes in out.items()}


# Postcodes of each area NUTS3, from Eurostat's TERCET postcode-NUTS 2021 correspondence for Belgium (the KBO
# addresses of the sample take their postcodes here; the postcode of each NUTS3's main town is in BE_TOWNS).
BE_POSTCODES = _postcodes("""
BE251 8000 8020 8200 8210 8211 8300 8301 8310 8340 8370 8377 8380 8490 8730 8820
BE252 8600 8610 8647 8650 8680
BE253 8640 8900 8902 8904 8906 8908 8920 8940 8950 8951 8952 8953 8954 8956 8957 8958 8970 8972 8978 8980 9950
BE254 8500 8501 8510 8511 8520 8530 8531 8540 8550 8551 8552 8553 8554 8560 8570 8572 8573 8580 8581 8582 8583
      8587 8790 8791 8792 8793 8860 8930 9771
BE255 8400 8420 8421 8430 8431 8432 8433 8434 8450 8460 8470 8480
BE256 8770 8800 8810 8830 8840 8870 8880 8890
BE257 8700 8710 8720 8740 8750 8755 8760 8780 8850 8851
BE258 8620 8630 8660 8670 8690 8691
BE234 9000 9030 9031 9032 9040 9041 9042 9050 9051 9052 9070 9075 9080 9090 9099 9180 9185 9800 9810 9820 9830
      9831 9840 9850 9860 9870 9880 9881 9890 9910 9920 9921 9930 9931 9932 9940
BE235 9570 9571 9572 9600 9630 9636 9660 9661 9667 9680 9681 9688 9690 9700 9750 9770 9772 9790
BE32A 7320 7321 7322 7800 7801 7802 7803 7804 7810 7811 7812 7822 7823 7830 7850 7860 7861 7862 7863 7864 7866
      7880 7890 7910 7911 7912 7940 7941 7942 7943 7950 7951 7971 7972 7973
BE32B 6000 6001 6010 6030 6031 6032 6040 6041 6042 6043 6044 6060 6061 6075 6099 6110 6111 6140 6141 6142 6180
      6181 6182 6183 6200 6210 6211 6220 6221 6222 6223 6224 6230 6238 6240 6250 6280 7160
BE323 7000 7010 7011 7012 7020 7021 7022 7024 7030 7031 7032 7033 7034 7040 7041 7050 7080 7300 7301 7330 7331
      7332 7333 7334 7340 7350 7370 7380 7382 7387 7390 7870
BE32C 7060 7061 7062 7063 7070 7090 7170 7180 7181 7190 7191
BE32D 6120 6150 6440 6441 6460 6461 6462 6463 6464 6470 6500 6511 6530 6531 6532 6533 6534 6536 6540 6542 6543
      6560 6567 6590 6591 6592 6593 6594 6596
BE328 7500 7501 7502 7503 7504 7506 7510 7511 7512 7513 7520 7521 7522 7530 7531 7532 7533 7534 7536 7538 7540
      7542 7543 7548 7600 7601 7602 7603 7604 7608 7610 7611 7618 7620 7621 7622 7623 7624 7640 7641 7642 7643 7700
      7711 7712 7730 7740 7742 7743 7750 7760 7780 7781 7782 7783 7784 7900 7901 7903 7904 7906 7970
BE329 7100 7110 7120 7130 7131 7133 7134 7140 7141
BE341 6630 6700 6704 6706 6717 6780 6781 6782 6790 6791 6792
BE342 6600 6637 6640 6642 6660 6661 6662 6663 6666 6670 6671 6672 6673 6674 6680 6681 6686 6687 6688 6690 6692
      6698
BE343 6900 6940 6941 6950 6951 6952 6953 6960 6970 6971 6972 6980 6982 6983 6984 6986 6987 6990 6997
BE344 6800 6830 6831 6832 6833 6834 6836 6838 6840 6850 6851 6852 6853 6856 6860 6870 6880 6887 6890 6920 6921
      6922 6924 6927 6929
BE345 6720 6721 6723 6724 6730 6740 6741 6742 6743 6747 6750 6760 6761 6762 6767 6769 6810 6811 6812 6813 6820
      6821 6823 6824
BE351 5353 5360 5361 5362 5363 5364 5370 5372 5374 5376 5377 5500 5501 5502 5503 5504 5520 5521 5522 5523 5524
      5530 5537 5540 5541 5542 5543 5544 5550 5555 5560 5561 5562 5563 5564 5570 5571 5572 5573 5574 5575 5576 5580
      5589 5590
BE352 5000 5001 5002 5003 5004 5010 5012 5020 5021 5022 5024 5030 5031 5032 5060 5070 5080 5081 5100 5101 5140
      5150 5170 5190 5300 5310 5330 5332 5333 5334 5336 5340 5350 5351 5352 5354 5380 5640 5641 5644 5646
BE353 5600 5620 5621 5630 5650 5651 5660 5670 5680
""")


# ------------------------------------------------------------------------------------------------------------
# Communes
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


def fr_communes(rng: random.Random, scale: float) -> dict[str, list[Commune]]:
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


def be_communes(rng: random.Random, scale: float) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for arr, (_, main, count, _) in BE_ARRONDISSEMENTS.items():
        n = max(2, min(60, int(count * scale + 0.5)))
        taken = {int(main[2:])}
        numbers = sorted(rng.sample([i for i in range(1, 95) if i not in taken], n - 1))
        communes = [(main, 1.0 / 1.5)]
        communes += [(f"{arr}{number:03d}", 1.0 / (2.5 + rng.random() * 2 * n)) for number in numbers]
        out[arr] = communes
    return out
