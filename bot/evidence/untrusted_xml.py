"""XML from a report the agent's code wrote: parsed without expanding entities or fetching
anything, every failure turned into one `ReportError`."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.evidence.report_error import ReportError


def parse_xml(data: bytes, source: str) -> Element:
    """The root element of `data`. A document type is allowed (old Cobertura declares one), an
    entity is not: a report never needs one, and one is how a billion-laughs document grows."""
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ReportError(f"{source}: XML that declares entities is refused ({exc})") from exc
    except (ParseError, ValueError, LookupError) as exc:
        # ValueError and LookupError: an encoding declaration that names no known encoding.
        raise ReportError(f"{source}: not well-formed XML ({exc})") from exc
