"""Read layer: any delivered file -> `ReadResult` or a file-level `FileRejected`."""
from chibo.read.header import required_in_header
from chibo.read.limits import Limits, limits_from_env
from chibo.read.reader import (
    SOURCE_ROW,
    FileRejected,
    ReadResult,
    RowProblem,
    display_name,
    read_file,
    read_problem_cases,
    with_read_problems,
)
from chibo.read.text import header_key

__all__ = ["FileRejected", "Limits", "ReadResult", "RowProblem", "SOURCE_ROW", "display_name",
           "header_key", "limits_from_env", "read_file", "read_problem_cases",
           "required_in_header", "with_read_problems"]
