"""The ``README.md`` the generator writes beside the sample (``data/raw/README.md`` for the committed one)."""

README = """# data/raw — the embedded SYNTHETIC sample

**Every file in this folder is synthetic.** The files have the producers' real formats (names, columns,
order, separators, encodings, quoting, codes), but every row is invented: the enterprises, names, addresses,
identifiers and figures do not describe real units, and no statistic drawn from them is true. The magnitudes
are only meant to look plausible (about 2.2 million jobs on the French side of the area and 1.2 million on the
Belgian side each year, a social-economy share of roughly 10-15 %).

Each data file has a sidecar `<file name>.origin.json` (`producer`, `url`, `licence`, `reference_period`,
`retrieved`, `synthetic: true`, `generator`, `note`) that the pipeline records in `meta.sources`.

## How it was made

By the deterministic generator `observatory/sample/` (one module per source; stdlib, and openpyxl for the INSEE
workbook; seeded `random.Random` streams, fixed timestamps): the same seed and scale always give byte-identical
files.

```bash
python -m observatory.sample --out data/raw                # this folder: seed {seed}, scale {scale}
python -m observatory.sample --out /tmp/raw --scale 10    # ten times more rows and entities
observatory sample --out /tmp/raw --scale 10               # the same through the project's command
```

`--scale` multiplies the registry entities (legal units, establishments, enterprises) and makes the
employment cells finer (more communes, smaller cells) over the same realistic totals. Each producer's layout
(file and member names, columns and their order, separators, encodings) and the codes the files use
(départements, arrondissements, TERCET postcodes, the age and sex classes of the deliveries) are stated in the
generator from the producers' documentation, never taken from the parsers or from `observatory/nomenclatures/`:
the tests check that the mapping files agree, and a wrong layout assumption shows when the pipeline reads the
sample.

## Layout

```
fr/sirene/StockUniteLegale_utf8.zip         INSEE SIRENE stock of legal units (format 3.11, NAF 2025
fr/sirene/StockEtablissement_utf8.zip       column empty) and of establishments; snapshot of 2024-12-31
fr/flores/flores_postes_<YYYY>.csv          INSEE FLORES delivery under agreement (contracts.md): jobs at
fr/flores/flores_etablissements_<YYYY>.csv  31/12 by commune, CJ, APET, sex, age; establishments per cell
be/kbo/KboOpenData_0118_2024_01_Full.zip    KBO/BCE open data, full extract (meta, code, enterprise,
                                            establishment, denomination, address, contact, activity,
                                            branch); snapshot of 31-12-2023
be/kbo/KboOpenData_<nnnn>_<yyyy>_<mm>_Update.zip
                                            the 12 monthly Updates after it (0119 .. 0130): the entities
                                            started, ceased or changed in each month of 2024; the last
                                            one's snapshot is 31-12-2024
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
