"""Sector: whether a question is about secondary education (vo), and which passages cover it.

A region's protocol may cover primary education only (Rotterdam's PPO and the Drechtsteden
routeboek are for the po; each document's front matter says so in `sector`). Its rules are
not the rules for a pupil at a secondary school: "Welke procedure volgt Koers VO in
Rotterdam als een leerling van de middelbare school al weken thuiszit?" is not answered by
the PPO brochure. Hand-written: the words are the everyday names of the school types.
"""

from __future__ import annotations

import re

# A pupil, school or procedure of secondary education. Not a name that merely holds "VO"
# ("Interventieteam VO", "Koers VO", "AT-VO", "het VO-aanbod"): bodies and offers the
# documents describe.
SECONDARY = re.compile(
    r"\b(voortgezet\s+onderwijs|middelbare\s+(school|scholen|scholier|scholieren)|(het|in\s+het|op\s+het)\s+vo\b(?!-)|"
    r"vo-?(leerling|leerlingen|school|scholen|scholier|scholieren)|havo|vwo|vmbo|mavo|gymnasium|lyceum|"
    r"brugklas\w*|praktijkonderwijs)\b",
    re.IGNORECASE,
)
# Words that put the question (also) in primary education, or at the move from it to secondary
# school: then a po protocol may answer ("een jongen uit groep 8 ... die opvang die eigenlijk
# voor middelbare scholieren is", "bij de overstap naar het voortgezet onderwijs").
PRIMARY = re.compile(
    r"\b(po|primair\s+onderwijs|basisscho(ol|len)\w*|basisonderwijs|groep(en)?\s*([1-8]|een|twee|drie|vier|vijf|zes|"
    r"zeven|acht)|kleuter\w*|sbo|speciaal\s+basisonderwijs|peuter\w*|overstap\w*|overgang\w*|"
    r"naar\s+(de\s+middelbare|het\s+vo|het\s+voortgezet))\b",
    re.IGNORECASE,
)


def asks_secondary(question: str) -> bool:
    """Is the question about secondary education only?"""
    return bool(SECONDARY.search(question)) and not PRIMARY.search(question)


def covers_secondary(metadata: dict) -> bool:
    """Does the passage's document cover secondary education? (`sector` is "PO", "PO + VO",
    "VSO", ...; a passage without one is taken to cover it.)"""
    sectors = set(re.findall(r"[A-Za-z]+", str(metadata.get("sector") or "VO").upper()))
    return bool(sectors & {"VO", "VSO"})
