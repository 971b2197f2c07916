"""Validate layer: `ReadResult` -> typed valid rows + quarantine rows (pandera, in schemas/)."""
from chibo.validate.core import (
    QUARANTINE_SCHEMA,
    Problem,
    ValidationResult,
    format_problems,
    schema_for,
    validate_file,
    validate_frame,
)

__all__ = ["QUARANTINE_SCHEMA", "Problem", "ValidationResult", "format_problems", "schema_for", "validate_file", "validate_frame"]
