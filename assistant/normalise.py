"""Query normalisation for the domain: expand abbreviations and everyday phrasings.

"Moet de IB-er het OPP aanpassen?" is searched as if it also said
"intern begeleider" and "ontwikkelingsperspectiefplan", so both the dense and
the BM25 retriever find passages that spell the words out (and vice versa the
abbreviation stays, for passages that use it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.lexicon import DIGITS

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

# Abbreviations a question may use that the documents never write: not added to a search.
UNWRITTEN = {"LP"}

# Everyday phrasings -> the documents' own terms (matched case-insensitively). `restates`:
# the phrase says what the matched words say, so they count through it (see `Normalised.understood`);
# otherwise the words keep counting on their own ("melden ... leerplicht" names the topic).
PHRASES: list[tuple[re.Pattern, str, bool]] = [
    (re.compile(r"\bmeld\w*\b.*\bleerplicht|\bleerplicht\w*\b.*\bmeld", re.I), "melding van verzuim", False),
    (re.compile(r"\bspijbel\w*", re.I), "ongeoorloofd verzuim", True),
    (re.compile(r"\bziek\b|\bziekte\b", re.I), "ziekteverzuim", False),
    (re.compile(r"\bte laat\b", re.I), "te laat komen", False),
    (re.compile(r"\bthuis\s*zit\w*|\bzit\w* (al )?\w* ?thuis\b", re.I), "thuiszitter", False),
    # A temporary place at another school or a care group is what the documents call a brugplaats.
    (re.compile(r"\b(tijdelijke\s+(opvang)?plek\w*|tussenplek\w*|overbruggingsplek\w*|opvangplek\w*)", re.I), "brugplaats",
     True),
    (re.compile(r"\bschoolarts\w*", re.I), "jeugdarts", True),  # the common name of the JGZ jeugdarts
    (re.compile(r"\bschoolverpleegkundig\w*", re.I), "jeugdverpleegkundige", True),  # as the schoolarts
    (re.compile(r"\bleerplicht\s*consulent\w*", re.I), "leerplichtambtenaar", True),  # another title of the same
    # "laatkomers" are pupils who come too late ("te laat komen").
    (re.compile(r"\blaatkom\w*", re.I), "te laat komen", True),
    # A pupil in hospital is absent through illness.
    (re.compile(r"\bziekenhuis\w*", re.I), "ziekteverzuim", False),
    # Who pulls the cart, who is in the end responsible: who has the regie.
    (re.compile(r"\b(trekt|trekken|trok)\s+de\s+kar\b|\beindverantwoordelijk\w*|\btouwtjes\s+in\s+handen\b", re.I),
     "regie", True),
    # Utrecht's begrippenlijst: "Actietafel: Groot overleg (GO) waarbij ...".
    (re.compile(r"\bgro(ot|te)\s+overleg\b", re.I), "actietafel", True),
    # What to go through at the end of a conversation is a checklist.
    (re.compile(r"\b(na\s*lopen|naloopt|afvinken|afstrepen)\b", re.I), "checklist", True),
    # "aan één stuk" / "achter elkaar": the documents say "aaneengesloten".
    (re.compile(r"\b(aan\s+(één|een|1)\s+stuk|achter\s+elkaar|onafgebroken|zonder\s+onderbreking)\b", re.I),
     "aaneengesloten", True),
    # Staying away without a valid reason is what the documents call ongeoorloofd verzuim.
    (re.compile(r"\bzonder\s+(geldige|goede|geoorloofde)\s+(reden|redenen)\b", re.I), "ongeoorloofd verzuim", True),
    # Staying away from school ("wegblijven") is verzuim, with or without a valid reason.
    (re.compile(r"\bweg\s*(blijf|blijft|blijven|bleef|bleven)\b|\bwegblij\w*|\bweggebleven\b", re.I), "verzuim", True),
    # Forcing a school place through is what the documents call doorzettingsmacht.
    (re.compile(r"\b(af\s+te\s+dwingen|afdwing\w*|afdwong\w*|forceren|forceert|doordrukken|doordrukt)\b", re.I),
     "doorzettingsmacht", True),
    # Going on holiday in school time is what the documents call luxe verzuim (not a school
    # holiday itself: "Wanneer begint de zomervakantie?" is no question about verzuim).
    (re.compile(r"\b((op|met)\s+vakantie|op\s+wintersport|vliegvakantie\w*|vakantie\s+onder\s+schooltijd)\b", re.I),
     "vakantie luxe verzuim", True),
    # The robot a sick pupil follows lessons through is the AV1 ("robotje AV1"); not "robotica".
    (re.compile(r"\b\w*robot(je|jes|s)?\b", re.I), "AV1", True),
    # A "good" or "suitable" place or offer is what the documents call passend (a "goede
    # school" is just a good school).
    (re.compile(r"\b(goede?|geschikte?)(?=\s+(aanbod|plek|plaats|onderwijsplek)\b)", re.I), "passend", True),
    # Calling someone in ("inschakelen", "erbij halen") is what the documents also write as
    # betrekken; not "de achterstand bijhalen" (catching up).
    (re.compile(r"\b(inschakel\w*|ingeschakeld|erbij\s*(te\s+)?(halen|gehaald))\b", re.I), "betrekken", True),
    # ... and split ("wie moet er ... bij gehaald worden", "haal ik de ouders erbij"), where the
    # words in between stay topic words.
    (re.compile(r"\ber\b[^.?!]{0,40}?\bbij\s+(te\s+)?(halen|gehaald)\b|\bhaal\w*\b[^.?!]{0,40}?\berbij\b", re.I),
     "betrekken", False),
    # Whom to call or mail: whom to contact (the verbs only: "na de bel", "in de mail" are no call).
    (re.compile(r"\b(belt|bellen|opbellen|opgebeld|gebeld|mailen|gemaild)\b|\bbel\s+(ik|je|jij|u|we|wij)\b", re.I),
     "contact opnemen", True),
    # Everyday idiom for a process that is stuck, and for taking it higher up.
    # ("zit helemaal vast", not "hij zit thuis vast").
    (re.compile(r"\b(muurvast|zit\w*\s+(?:helemaal|echt|compleet|totaal|volledig)\s+vast|"
                r"schiet\w*\s+(?:\w+\s+)?niet\s+op)\b", re.I),
     "vastlopen", True),
    # Keeping an eye on how things go is what the documents call monitoren (they also write "heeft
    # in de gaten dat het niet goed gaat", so those words keep counting).
    (re.compile(r"\bin\s+de\s+gaten\s+(?:te\s+)?(?:houd(?:t|en)?|hield(?:en)?|gehouden)\b|"
                r"\b(?:houd(?:t|en)?|hield(?:en)?)\b[^.?!,;]{0,40}?\bin\s+de\s+gaten\b", re.I), "monitoren", False),
    (re.compile(r"\bhoger\s+op\s+(?:te\s+)?(?:pakken|gepakt)\b|\baan\s*(?:te\s+)?kloppen\b|\baanklop\w*", re.I),
     "opschalen", True),
]

# "een kind van vier": the documents give ages with their unit ("Leerlingen van 4 jaar",
# "vierjarige leerlingen"), so the age is searched that way as well.
AGE_OF = re.compile(
    r"\b(?:kind(?:je|eren)?|leerling(?:en|etje)?|kleuters?|peuters?|jongeren?|zoon(?:tje)?|dochter(?:tje)?|"
    r"jongen(?:tje)?|meisje|broer(?:tje)?|zus(?:je)?)\s+van\s+(\d{1,2}|" + "|".join(DIGITS) + r")\b"
    # The age ends a clause or is followed by a verb: not "leerlingen van 8 scholen",
    # "van 1 september", "van 2,5" or a range.
    r"(?=\s*(?:[?!;:)]|[.,](?!\d)|$)|\s+(?:is|zijn|die|dat|zit|zitten|gaat|komt|heeft|wordt|moet|mag|kan|wil|oud)\b)",
    re.IGNORECASE,
)
# Digit -> its number word; the first spelling wins ("één", not the capital-case variant "eén").
NUMBER_NAMES = {digit: word for word, digit in reversed(DIGITS.items())}

_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![\w-])"
)


# A heading label the question names: "in fase 1", "stap twee", "hoofdstuk 2". The
# documents number their phases and chapters in headings ("### Fase 1 Melding thuiszitter").
LABEL_KINDS = ("fase", "stap", "hoofdstuk")
LABEL = re.compile(rf"\b({'|'.join(LABEL_KINDS)})\s+(\d{{1,2}}|" + "|".join(DIGITS) + r")\b", re.IGNORECASE)


def sentences(question: str) -> list[str]:
    """The sentences of a question, split after ".", "?" or "!" (a question may first tell
    a situation: "Sem komt niet meer. Wat nu?")."""
    return re.split(r"(?<=[.?!])\s+", question.strip())


def is_asking(sentence: str) -> bool:
    """Whether a sentence of a question asks ("...?", "...?!") rather than tells."""
    return sentence.rstrip().rstrip("!").endswith("?")


def label_pattern(label: str) -> re.Pattern:
    """Where a heading carries `label` ("fase 1"): the same kind and number, not "fase 10"."""
    kind, number = label.split()
    return re.compile(rf"\b{re.escape(kind)}\s+{re.escape(number)}(?![\d.,]\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Normalised:
    """A question with the known abbreviations in it spelled out (matched case
    sensitively: the Dutch words "so", "ot" or "db" in lower case are not
    abbreviations) and the documents' terms for its everyday phrasings."""

    text: str  # the question, white space collapsed
    abbreviations: dict[str, str] = field(default_factory=dict)  # "SBO" -> "speciaal basisonderwijs"
    phrases: list[str] = field(default_factory=list)  # "spijbelen" -> "ongeoorloofd verzuim"
    # The question's words that a phrase restates ("wegblijft", "wintersport"): they count
    # through the phrase, neither as topic words nor as words the documents never use.
    understood: frozenset[str] = frozenset()
    # Abbreviations whose spelled-out form the question uses ("speciaal basisonderwijs" -> "SBO"):
    # the passages that abbreviate it are searched and count as well.
    spelled: dict[str, str] = field(default_factory=dict)
    labels: tuple[str, ...] = ()  # heading labels the question names, digits: ("fase 1",)

    @property
    def query(self) -> str:
        """What retrieval searches: the question plus every expansion."""
        added = list(dict.fromkeys([*self.abbreviations.values(), *self.spelled, *self.phrases]))
        return f"{self.text} ({'; '.join(added)})" if added else self.text


def normalise(question: str) -> Normalised:
    text = " ".join(question.split())
    abbreviations: dict[str, str] = {}
    for match in _PATTERN.finditer(text):
        full = ABBREVIATIONS[match.group(1)]
        if full.lower() not in text.lower():
            abbreviations.setdefault(match.group(1), full)
    spelled: dict[str, str] = {}
    taken: list[tuple[int, int]] = []  # "voortgezet speciaal onderwijs" is VSO, not also SO
    for short, full in sorted(ABBREVIATIONS.items(), key=lambda item: -len(item[1])):
        # The first abbreviation of a form ("IB", not "IB-er"); "LP" the documents never write.
        if full in spelled.values() or short in abbreviations or short in text or short in UNWRITTEN:
            continue
        found = re.search(rf"(?<!\w){re.escape(full)}(?!\w)", text, re.IGNORECASE)
        if found and full != f"{short} Rotterdam" and not any(a <= found.start() and found.end() <= b for a, b in taken):
            spelled[short] = full
            taken.append(found.span())
    phrases, understood = [], set()
    for pattern, term, restates in PHRASES:
        matches = list(pattern.finditer(text))
        if not matches:
            continue
        if not re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.IGNORECASE) and term not in phrases:
            phrases.append(term)
        if restates:
            # Also when the question names the term itself ("welke punten moet ik volgens de
            # checklist nalopen?"): the words say it once more, they are no second topic.
            understood.update(w.lower() for m in matches for w in re.findall(r"\w+", m.group()))
    for match in AGE_OF.finditer(text):
        digit = DIGITS.get(match.group(1).lower(), match.group(1))
        phrases += [f"{digit} jaar"] + ([f"{NUMBER_NAMES[digit]}jarige"] if digit in NUMBER_NAMES else [])
    # A word the phrase itself has or builds on ("te laat" -> "te laat komen", "thuiszitten" ->
    # "thuiszitter", "ziek" -> "ziekteverzuim") still counts on its own.
    said = {w.lower() for phrase in phrases for w in re.findall(r"\w+", phrase)}
    understood = {w for w in understood if not any(p.startswith(w[: max(4, len(w) - 2)]) for p in said)}
    labels = tuple(dict.fromkeys(f"{m.group(1).lower()} {DIGITS.get(m.group(2).lower(), m.group(2))}"
                                 for m in LABEL.finditer(text)))
    return Normalised(text, abbreviations, phrases, frozenset(understood), spelled, labels)


def normalise_query(question: str) -> str:
    """The question as retrieval searches it (see `Normalised.query`)."""
    return normalise(question).query
