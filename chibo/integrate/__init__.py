"""Integrate layer: staging of deliveries and the current state derived from them."""
from chibo.integrate.ingest import IngestSummary, ingest_raw, scan_raw
from chibo.integrate.integrate import (
    IntegrateSummary,
    current_counts,
    integrate_all,
    integrate_changed,
)

__all__ = ["IngestSummary", "IntegrateSummary", "current_counts", "ingest_raw", "integrate_all",
           "integrate_changed", "scan_raw"]
