"""Document the warehouse (views + bilingual comments) and write the CSV/XLSX reports."""
from chibo.export.document import document_warehouse, undocumented
from chibo.export.reports import write_exports

__all__ = ["document_warehouse", "write_exports", "undocumented"]
