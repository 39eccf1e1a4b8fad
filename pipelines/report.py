"""The report asset: the published database turned into one offline HTML page per language (``observatory.report``)."""

import dagster as dg

from observatory import codeversion, report
from observatory.codeversion import Code
from observatory.config import PUBLISHED_FILE_NAME
from pipelines.assets import CODE_FILES, observatory_database
from pipelines.resources import Warehouse

# Its code version is the digest of the files it runs, and each materialisation records their digests, as for the
# other assets; it is not in pipelines.assets.CODE, which holds the assets of ALL_ASSETS: the nightly adds the report
# after the database it reads (pipelines.automation), or alone when the report is older than the publication or its
# code changed.
CODE = Code(nomenclatures=["nuts3_points"], modules=[report])
_FILES = CODE.digests()  # taken when the code loads, as the code version is


@dg.asset(code_version=codeversion.version(_FILES), group_name="published", kinds={"html", "plotly"},
          deps=[observatory_database])
def observatory_report(warehouse: Warehouse) -> dg.MaterializeResult:
    """The report in French, Dutch and English (``<warehouse>/report/report-<lang>.html``), read from the published
    ``observatory.duckdb``: key figures, the border compared, each NUTS3 in a sortable table and on a map, the
    evolution, the cooperative lens (cohort survival, births and closures, documented cases), the national-vs-common
    reconciliation, suppressed values as gaps, sources and notice. Each page is
    self-contained (plotly's JavaScript inside once) and offline; each is renamed into place when whole."""
    published = warehouse.warehouse_path / PUBLISHED_FILE_NAME
    pages = report.write_reports(published, warehouse.warehouse_path / report.REPORT_FOLDER)
    metadata = {f"path_{p.language}": dg.MetadataValue.path(str(p.path)) for p in pages}
    metadata.update({f"size_bytes_{p.language}": p.size_bytes for p in pages})
    metadata["figures"] = dg.MetadataValue.json({p.language: p.figures for p in pages})
    metadata[CODE_FILES] = dg.MetadataValue.json(_FILES)
    return dg.MaterializeResult(metadata=metadata)
