"""The names of the input formats (`send --format`) and output formats (`-o`), defined once for
the readers, the renderers and the option declarations (cheap to import: no dependencies)."""

from __future__ import annotations

from typing import Literal, get_args

InputFormat = Literal["auto", "ndjson", "json"]
INPUT_FORMATS: tuple[InputFormat, ...] = get_args(InputFormat)

OutputFormat = Literal["table", "json", "ndjson", "ids"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)
