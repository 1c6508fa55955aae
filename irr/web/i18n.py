"""Babel extractor of rpsl.schema's help texts (class and attribute help), so that `pybabel
extract -F irr/web/babel.cfg` puts them in the catalogue with the page texts and the catalogue
test finds any that are not translated. The pages translate them with gettext at render time."""
from __future__ import annotations

from collections.abc import Iterator


def schema_help_texts() -> list[str]:
    """Every help text of the schema, in declaration order, once."""
    from rpsl.schema import CLASSES

    out: dict[str, None] = {}
    for cls in CLASSES:
        for text in (cls.help, *(a.help for a in cls.attributes)):
            if text:
                out[text] = None
    return list(out)


def extract_schema(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for the marker file `schema_help.extract`."""
    for text in schema_help_texts():
        yield 1, "gettext", text, ["help text from rpsl/schema.py"]


def extract_verdicts(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for the marker file `verdicts.extract`: the routing reports'
    verdict titles and fix sentences (irr.reports.verdicts), translated by the report pages."""
    from irr.reports.verdicts import FIXES, VERDICTS

    for _severity, title in VERDICTS.values():
        yield 1, "gettext", title, ["verdict title from irr/reports/verdicts.py"]
    for text in FIXES.values():
        yield 1, "gettext", text, ["fix sentence from irr/reports/verdicts.py"]
