"""The fetch job: download the public sources into new dated vintages (network; KBO needs credentials).

Fetching is never part of a build. The nightly build that follows sees a new vintage as a changed raw folder and
rebuilds what depends on it.
"""


import dagster as dg

from observatory import fetch as fetching
from observatory.download import DownloadError
from pipelines.resources import Warehouse


class FetchConfig(dg.Config):
    """Which public sources to fetch, by the names of ``observatory fetch --list`` (sirene, kbo, eurostat, ...);
    empty: every one of them."""

    sources: list[str] = []


@dg.op(out=dg.Out(dg.Nothing))
def fetch_public_sources(context: dg.OpExecutionContext, config: FetchConfig, warehouse: Warehouse) -> dg.Output:
    """Fetch each source named into ``<raw>/<country>/<source>/<date>/`` when its producer has something new. Stops
    at the first failure with its message; the sources fetched before keep their new vintage, the others their
    earlier ones."""
    settings = fetching.FetchSettings(raw_dir=warehouse.raw_path, progress=context.log.info)
    try:
        outcomes = fetching.fetch(config.sources, settings)
    except (fetching.FetchError, DownloadError) as exc:
        raise dg.Failure(description=f"{exc} (earlier vintages are untouched)", allow_retries=False) from None
    new = {o.source: str(o.vintage) for o in outcomes if o.changed}
    for outcome in outcomes:
        context.log.info(f"{outcome.source}: " + (f"new vintage {outcome.vintage}" if outcome.changed
                                                 else "nothing new"))
    return dg.Output(None, metadata={
        "new_vintages": dg.MetadataValue.json(new),
        "unchanged": dg.MetadataValue.json([o.source for o in outcomes if not o.changed]),
        "producer_versions": dg.MetadataValue.json({o.source: o.producer_version for o in outcomes}),
    })


@dg.job(description="Fetch the public sources (all, or those named in the config) into new dated vintages. Needs "
                    "the network, and KBO_USERNAME / KBO_PASSWORD for the KBO.",
        tags={"observatory/trigger": "fetch"})
def fetch_sources() -> None:
    fetch_public_sources()


nightly_fetch = dg.ScheduleDefinition(
    name="nightly_fetch",
    job=fetch_sources,
    cron_schedule="0 1 * * *",
    execution_timezone="Europe/Paris",
    # Off until an analyst switches it on: it needs the network and the KBO credentials.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every night at 01:00 Paris time, before the nightly build (02:30), fetch every public source.",
)
