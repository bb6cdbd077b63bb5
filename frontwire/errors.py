"""Every error frontwire raises on purpose.

    FrontwireError                 base; ``retriable`` says retry (True) or dead-letter (False)
    ├── InvalidArticle             a raw message that is not an acceptable article; names the field
    ├── ProcessingError            a stage failed on a valid article (a defect or a resource fault)
    └── DataFileError              a dictionary file is malformed; names the file and line

The dead-letter record's reason is ``str(error)``: it must tell a human what was wrong
without reading code.
"""

from __future__ import annotations

__all__ = ["DataFileError", "FrontwireError", "InvalidArticle", "ProcessingError"]


class FrontwireError(Exception):
    """Base of frontwire's errors."""

    retriable: bool = False


class InvalidArticle(FrontwireError):
    """A raw message that cannot be accepted as an article."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class ProcessingError(FrontwireError):
    """A stage failed on an article it accepted."""

    def __init__(self, stage: str, reason: str) -> None:
        self.stage = stage
        super().__init__(f"{stage} failed: {reason}")


class DataFileError(FrontwireError, ValueError):
    """A dictionary data file is malformed."""

    def __init__(self, path: object, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {reason}")
