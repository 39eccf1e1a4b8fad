"""The open exports of the published database (``observatory.export``), downstream of ``observatory_database``."""

import dagster as dg

from observatory import export
from observatory.codeversion import Code
from pipelines.resources import Warehouse

_CODE = Code(modules=[export])


@dg.asset(group_name="exports", kinds={"parquet", "csv", "excel"}, deps=["observatory_database"],
          code_version=_CODE.version())
def observatory_exports(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Open exports of the published database in ``<warehouse>/exports/<release>/``: Parquet, CSV, CSV for French
    and Belgian spreadsheets, one XLSX workbook with labels in FR, NL and EN, SDMX-CSV of mart.jobs and
    mart.indicators, a Frictionless data package and SHA256SUMS. Written only when the database's disclosure audit
    passed, into a temporary folder renamed into place at the end (docs/exports.md)."""
    try:
        result = export.export(warehouse.warehouse_path)
    except export.ExportRefused as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    context.log.info(f"exported release {result.release}: {len(result.files)} files, {result.bytes:,} bytes")
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(result.folder)),
        "release": result.release,
        "files": dg.MetadataValue.json(result.files),
        "bytes": result.bytes,
        "rows": dg.MetadataValue.json(result.rows),
    })
