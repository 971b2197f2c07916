"""Read layer: any delivered file -> `ReadResult` or a file-level `FileRejected`."""
from chibo.read.reader import (
    SOURCE_ROW,
    FileRejected,
    ReadResult,
    header_key,
    read_file,
    required_in_header,
)

__all__ = ["FileRejected", "ReadResult", "SOURCE_ROW", "header_key", "read_file",
           "required_in_header"]
