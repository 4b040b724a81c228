"""Reading SLOs as code: Sloth (sloth.slok.dev/v1 and prometheus/v1), OpenSLO v1 and v1alpha
and the plain list form, into one neutral shape. Pure: no Django. Every query is checked as
Keel will run it; errors name the file, document and field, and the notes say what the
import rewrote, read in another spelling or left out."""

from __future__ import annotations

from typing import Any

import yaml

from . import openslo, plain, sloth
from .common import Doc, Reading, SloFileError, SloSpec

__all__ = ["Reading", "SloFileError", "SloSpec", "parse", "read"]


def read(path: str, text: str) -> Reading:
    """Every SLO in a YAML file (possibly several documents), and the import's notes; raises
    SloFileError with every refusal of the file."""
    reading = Reading()
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise SloFileError(path, 0, "yaml", str(error).replace("\n", " ")) from None
    openslo_v1: list[tuple[int, dict[str, Any]]] = []
    for index, data in enumerate(documents):
        if data is None:
            continue
        doc = Doc(path, index, reading)
        try:
            if not isinstance(data, dict):
                raise doc.fail("", "expected a mapping")
            api = str(data.get("apiVersion") or "")
            if api == "sloth.slok.dev/v1":
                reading.specs += sloth.read(doc, data, crd=True)
            elif str(data.get("version") or "") == "prometheus/v1":
                reading.specs += sloth.read(doc, data, crd=False)
            elif api == "openslo/v1":
                openslo_v1.append((index, data))
            elif api == "openslo/v1alpha":
                reading.specs += openslo.read_v1alpha(doc, data)
            elif "service" in data and "slos" in data and not api:
                reading.specs += plain.read(doc, data)
            else:
                raise doc.fail(
                    "apiVersion",
                    f"{api or 'none'}: not Sloth (sloth.slok.dev/v1, prometheus/v1), OpenSLO "
                    "(openslo/v1, openslo/v1alpha) or the plain service/slos form",
                )
        except SloFileError as error:
            reading.errors.append(error)
    if openslo_v1:
        openslo.read_v1(path, openslo_v1, reading)
    if reading.errors:
        raise SloFileError.of(reading.errors)
    return reading


def parse(path: str, text: str) -> list[SloSpec]:
    """Every SLO in a YAML file (see `read`)."""
    return read(path, text).specs
