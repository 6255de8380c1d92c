"""Query normalisation for the domain: expand the abbreviations professionals type.

"Moet de IB-er het OPP aanpassen?" is searched as if it also said
"intern begeleider" and "ontwikkelingsperspectiefplan", so both the dense and
the BM25 retriever find passages that spell the words out (and vice versa the
abbreviation stays, for passages that use it).
"""

from __future__ import annotations

import re

# Abbreviation -> how the documents spell it out (taken from the corpus where it does).
ABBREVIATIONS: dict[str, str] = {
    "OPP": "ontwikkelingsperspectiefplan",
    "SWV": "samenwerkingsverband",
    "IB": "intern begeleider",
    "IB-er": "intern begeleider",
    "IBer": "intern begeleider",
    "OT": "ondersteuningsteam",
    "SBO": "speciaal basisonderwijs",
    "SO": "speciaal onderwijs",
    "VSO": "voortgezet speciaal onderwijs",
    "PO": "primair onderwijs basisschool",
    "VO": "voortgezet onderwijs",
    "MBO": "middelbaar beroepsonderwijs",
    "JGZ": "jeugdgezondheidszorg jeugdarts",
    "SMW": "schoolmaatschappelijk werk",
    "DUO": "Dienst Uitvoering Onderwijs verzuimregistratie",
    "KDC": "kinderdagcentrum",
    "CCE": "Centrum voor Consultatie en Expertise",
    "SAVE": "SAVE jeugdbescherming veiligheid",
    "BPO": "begeleider passend onderwijs",
    "CJG": "Centrum Jeugd en Gezin",
    "ZOS": "Zorg Onderwijs Specialist",
    "SCP": "schoolcontactpersoon",
    "LPA": "leerplichtambtenaar",
    "LP": "leerplicht",
    "TLV": "toelaatbaarheidsverklaring",
    "AT-VO": "Toewijzingscommissie Voortgezet Onderwijs",
    "DB": "bestuurder van het samenwerkingsverband",
    "OOGO": "op overeenstemming gericht overleg gemeente",
    "GGZ": "geestelijke gezondheidszorg",
    "RMC": "regionaal meld- en coördinatiefunctie voortijdig schoolverlaten",
    "SMA": "sociaal medisch advies arts",
    "MAS": "Methodische Aanpak Schoolverzuim",
    "OA": "onderwijsassistent",
    "PPO": "PPO Rotterdam",
}

_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w-])"
)


def normalise_query(question: str) -> str:
    """Collapse white space and add the spelled-out form of known abbreviations.

    Abbreviations are matched case-sensitively (they are written in capitals),
    so the Dutch words "so", "ot" or "db" in lower case are not expanded.
    """
    text = " ".join(question.split())
    expansions = []
    for match in _PATTERN.finditer(text):
        full = ABBREVIATIONS[match.group(1)]
        if full.lower() not in text.lower() and full not in expansions:
            expansions.append(full)
    return f"{text} ({'; '.join(expansions)})" if expansions else text
