"""Lexical view of questions and passages: Dutch stems, corpus vocabulary and IDF.

The answerer needs an absolute, rank-independent signal of "do the documents
talk about this at all": which of the question's content words occur in the
corpus, how specific they are (IDF), and which occur in the chosen passage.
The vocabulary and document frequencies come from the persisted BM25 index
(same stemmer, same stop words), so nothing is recomputed at start-up.
"""

from __future__ import annotations

import difflib
import math
import re
from functools import cached_property, lru_cache

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_DUTCH

WORD = re.compile(r"\w+", re.UNICODE)
# Separable verbs split by "te": "in te schakelen" is read as "inschakelen" as well.
TE_VERB = re.compile(
    # "op te vangen", also with an auxiliary between ("op te laten vangen": opvangen)
    r"\b(aan|af|in|op|uit|mee|door|over|terug|voor|bij|na|om|toe|weg|vast|los|samen|tegen)\s+te\s+"
    r"(?:(laten|gaan|komen|blijven|helpen|leren)\s+(?=\w+en\b))?(\w+)",
    re.IGNORECASE,
)
POSSESSIVE_S = re.compile(r"(?<=\w)['’]s\b")
CLITIC_N = re.compile(r"(?<=\w)['’]n\b")  # "zo'n": the article, not a word "n"
# Spoken contractions, read as the word they stand for (a function word): "z'n", "m'n", "'t", "d'r".
CONTRACTIONS = {"z'n": "zijn", "m'n": "mijn", "'t": "het", "d'r": "haar"}
CONTRACTION = re.compile(r"(?<!\w)(z['’‘]n|m['’‘]n|['’‘]t|d['’‘]r)(?!\w)")
CAPITALISED = re.compile(r"\b([A-Z][a-zà-ÿ]+)\b")
# A separable verb's particle closing its clause: "Hoe vraag ik een AV1 aan (voor ...)?",
# "Wanneer zet je een brugplaats in?". Followed by punctuation, the end, a preposition or
# a word that opens the next clause ("Hoe vraag ik zo'n robotje aan waarmee ..."), never
# by an article: "aan de school" is a preposition phrase.
SPLIT_PARTICLE = re.compile(
    r"\b(aan|af|in|op|uit|mee|door|terug|toe|weg|vast|los|samen)\b"
    r"(?=\s*(?:[?.,!;:]|$)|\s+(?:voor|bij|met|na|tot|naar|om|aan|in|op|als|wanneer|zodra|"
    r"waar(?:mee|in|bij|door|op|na|voor|van|aan)|zodat|omdat|nadat|voordat|terwijl|want|maar)\b)",
    re.IGNORECASE,
)

# Question words and filler that say nothing about the topic.
QUESTION_STOPWORDS = {
    "wat", "wie", "wanneer", "hoe", "welke", "welk", "waar", "waarom", "moet", "moeten", "mag",
    "mogen", "kan", "kunnen", "ik", "je", "jij", "we", "wij", "u", "is", "zijn", "er", "een",
    "de", "het", "dan", "nu", "doe", "doen", "gaat", "eigenlijk", "precies", "lang", "hoeveel",
    "vaak", "snel", "graag", "weten", "zeg", "vertel", "iemand", "iets", "dit", "dat", "deze",
    "bij", "over", "volgens", "regio", "documenten", "document", "staat", "stond", "gewoon",
    "al", "nog", "ook", "eens", "even", "toch", "wel", "niet", "geen", "mijn", "onze", "ons",
    "doet", "jullie", "hun", "zo", "heel", "erg", "echt", "nou", "hè", "hoor", "ja", "nee", "oké",
    "precies", "dus", "want", "maar", "of", "en", "als", "per", "steeds", "gebeurt", "gebeuren",
    "qua", "kun", "kunt", "wil", "wilt", "willen", "zou", "zouden", "hoef", "hoeft", "hoeven",
    "voordat", "nadat", "totdat", "zodat", "omdat", "doordat", "terwijl", "erbij", "eraan", "erop",
    "ervan", "net", "bijna", "nooit", "altijd", "soms", "definitie", "hetzelfde", "verschil",
    "verschilt", "verschillen", "anders", "valt", "vallen", "aanmerking",  # "in aanmerking komen": qualifies
    "officieel", "officiële", "betekent", "betekenis",  # what kind of question, not its topic
    "verstaat", "verstaan", "versta", "bedoelt", "bedoeld", "bedoelen", "bedoel",  # "wat verstaat X onder"
    "noemt", "noemen", "noem", "genoemd", "zegt", "zeggen", "beschrijft", "vermeldt",  # what a document says
    "tegelijk", "tegelijkertijd", "helemaal", "ongeveer", "uiteindelijk", "daarop", "eruit", "zn",  # filler
    "hoelang", "telt",  # "hoelang" is "hoe lang"; "wanneer telt een kind als thuiszitter" asks a definition
    "tellen", "definieert", "definieren", "definiëren", "gedefinieerd",  # ("tellen vierjarigen mee als ...")
    "tussen",  # a preposition ("het verschil tussen Rotterdam en Utrecht")
    "noemde", "noemden", "niks", "zoiets", "meestal", "netjes",  # as "noemt" and "niets"; filler
    "elk", "elke", "ieder", "iedere", "beide", "beiden", "allebei",  # "in elk van beide regio's"
    "naast", "vergelijk", "vergelijken", "vergeleken", "vergelijking", "tegenover",  # what kind of question
    "heet", "werden",  # function words whose stems are not ("heet" -> "het"); "overig" -> "over" is content
    # Past and other forms of auxiliaries whose stems the documents use as words ("moest" -> "moet").
    "moest", "moesten", "mocht", "mochten", "konden", "zullen", "zult", "wilde", "wilden", "wou",
    "hoefde", "hoefden", "hebt", "hadden", "bent", "word",
    "gehad", "gekund", "gewild", "gemoeten", "gemogen", "geworden",  # their past participles
    "hen", "elkaar", "niemand", "iedereen", "nergens", "ergens", "alle",  # pronouns and determiners
    "sprake",  # "er is sprake van ...": there is, not a topic
    "zowel", "noch", "zoals", "misschien", "waarschijnlijk", "allemaal", "allen", "ding", "dingen",  # conjunctions, filler
}
# Pronominal adverbs ("waarvan", "daarmee", "hierna", "ervoor") stand for something named
# elsewhere: function words, however rare their spelling.
QUESTION_STOPWORDS |= {
    head + preposition
    for head in ("waar", "daar", "hier", "er")
    for preposition in ("aan", "bij", "door", "in", "mee", "na", "naar", "om", "onder", "op", "over",
                        "tegen", "toe", "uit", "van", "voor", "achter", "langs", "tussen", "zonder")
}

# Past forms of strong and irregular verbs, read as their infinitive: Snowball leaves
# "zat" / "kwam" / "gevonden" far from "zitten" / "komen" / "vinden", so a question in
# the past tense would count them as words the documents never use.
STRONG_VERBS = {
    form: infinitive
    for infinitive, forms in {
        "komen": "kwam kwamen gekomen", "zitten": "zat zaten gezeten", "gaan": "ging gingen gegaan",
        "lopen": "liep liepen gelopen", "staan": "stond stonden gestaan", "liggen": "lag lagen",
        "nemen": "nam genomen", "geven": "gaf gaven", "krijgen": "kreeg kregen gekregen",
        "blijven": "bleef bleven gebleven", "schrijven": "schreef schreven geschreven",
        "vinden": "vond vonden gevonden", "zien": "zag zagen", "zeggen": "zei zeiden",
        "brengen": "bracht brachten gebracht", "denken": "dacht dachten gedacht",
        "zoeken": "zocht zochten gezocht", "vragen": "vroegen", "spreken": "sprak spraken gesproken",
        "houden": "hield hielden gehouden", "vallen": "viel vielen", "beginnen": "begon begonnen",
        "bieden": "bood boden", "kiezen": "koos kozen gekozen", "trekken": "trok trokken getrokken",
        "laten": "liet lieten gelaten", "helpen": "hielp hielpen geholpen",
        "sluiten": "sloot sloten", "besluiten": "besloot", "verliezen": "verloor",
        "slapen": "sliep sliepen", "weten": "wist wisten",
    }.items()
    for form in forms.split()
}
# Left out: forms that are mostly other words ("gevallen", "vroeg", "namen", "wees",
# "gelegen", "gezien", "gegeven", "geboden", "gesloten", "besloten", "verloren", "geweten").

# A long vowel written single in an open syllable ("nemen") is written double in a closed
# one ("neemt"): these stems are one word for a typing-error check.
DOUBLED_VOWEL = re.compile(r"([aeou])\1")
# Endings a stem may gain as a verb or adjective form ("escaler" -> escaleert).
INFLECTIONS = {"t", "d", "e", "n", "en", "de", "te"}

# A noun in -atie, whose verb ends in -eren: "evaluatie" / "evalueren".
ATIE_NOUN = re.compile(r"^(\w{3,})aties?$")
# Nouns in -atie that mostly name a thing, not the act of their verb ("welke organisaties":
# not "organiseert"; "meer informatie": not "informeert de ouders").
NOT_ACTS = {"organisatie", "organisaties", "informatie", "locatie", "locaties", "relatie", "relaties"}

# A separable verb's participle: particle + ge + the verb ("ingeschakeld", "aangemeld", "opgeschaald").
PARTICIPLE_PARTICLES = ("aan", "af", "in", "op", "uit", "mee", "door", "terug", "toe", "weg", "bij", "na", "om",
                        "vast", "los", "samen", "over", "voor")
SEPARABLE_PARTICIPLE = re.compile(rf"^({'|'.join(PARTICIPLE_PARTICLES)})ge(?=\w{{4,}}$)")

# A word whose first part is a particle or preposition is formed with it, not a compound whose
# last part names what it is ("voorkomen", "overleggen", "terugkeer", "vastgelegd"): see `compound_head`.
PARTICLES = (*PARTICIPLE_PARTICLES, "onder", "achter", "tegen", "mis", "rond")

# A separable verb's infinitive: particle + the verb ("aanvragen", "inschakelen").
SEPARABLE_INFINITIVE = re.compile(r"^(aan|af|in|op|uit|mee|door|terug|toe|weg|bij|na|om|vast|los|samen|over)(\w{3,})en$")

ZUID_HOLLAND = re.compile(r"\bzuid[\s-]*holland", re.IGNORECASE)

# Words shaped like a past participle that are not one ("gebied" is no form of "bieden").
NOT_PARTICIPLES = {
    "gebied", "gemiddeld", "gezond", "gezicht", "gewicht", "gerecht", "gedicht", "geluid", "gebed",
    "gewest", "gebit", "geduld", "geheid",
}

# Number words read as digits, so "acht weken" in a question meets "8 weken" in a
# passage ("een" is left alone: it is mostly the article; "één" is the number).
DIGITS = {
    "één": "1", "eén": "1", "twee": "2", "drie": "3", "vier": "4", "vijf": "5", "zes": "6", "zeven": "7", "acht": "8",
    "negen": "9", "tien": "10", "elf": "11", "twaalf": "12", "dertien": "13", "veertien": "14",
    "vijftien": "15", "zestien": "16", "zeventien": "17", "achttien": "18", "twintig": "20",
}

# A number says something with its unit or its label ("5 weken", "stap 5", "5 tot 16 jaar").
NUMBER_UNITS = {
    "procent", "uur", "uren", "dag", "dagen", "dagdelen", "week", "weken", "schoolweken", "maand",
    "maanden", "jaar", "jaren", "keer", "fte", "punten", "minuten", "werkdagen", "schooldagen", "euro",
}
NUMBER_LABELS = {"stap", "fase", "groep", "groepen", "artikel", "categorie", "punt", "paragraaf", "hoofdstuk", "in"}
NUMBER_LINKS = {"en", "of", "tot", "met", "t", "m"}  # "5 en 16 jaar", "5 t/m 12 jaar", "5 tot en met 12 jaar"


# An age written as one word is the number and its unit: "vierjarige leerlingen" and
# "een 4-jarige" meet "leerlingen van 4 jaar".
AGE_ADJECTIVE = re.compile(rf"\b(\d{{1,2}}|{'|'.join(DIGITS)})-?jarig(?:e|en)?\b", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """Lower-case words, with "swv's" as "swv" (not "swv" and "s"), number words as
    digits, "%" / "percentage" as "procent" and "vierjarige" as "4 jaar"."""
    text = CONTRACTION.sub(lambda m: CONTRACTIONS[re.sub("[’‘]", "'", m.group(1))], text.lower())
    text = AGE_ADJECTIVE.sub(r"\1 jaar", CLITIC_N.sub("", POSSESSIVE_S.sub("", text)))
    words = WORD.findall(text.replace("%", " procent "))
    return [DIGITS.get(w) or PERCENT_WORDS.get(w, w) for w in words]


def bare_numbers(text: str) -> set[str]:
    """Numbers in `text` with neither a unit nor a label anywhere in it: the age in
    "Luuk is 4 en ..."."""
    words = tokens(text)
    bare, counted = set(), set()
    for i, word in enumerate(words):
        if not word.isdigit():
            continue
        # The unit may follow a range ("5 tot en met 12 jaar") or a list of numbers.
        k = i + 1
        while k < len(words) and (words[k] in NUMBER_LINKS or words[k].isdigit()):
            k += 1
        has_unit = k < len(words) and words[k] in NUMBER_UNITS
        has_label = (i > 0 and words[i - 1] in NUMBER_LABELS) or (
            i > 2 and words[i - 1] in NUMBER_LINKS and words[i - 2].isdigit() and words[i - 3] in NUMBER_LABELS
        )  # "stap 5", "groep 7 en 8"
        (counted if has_unit or has_label else bare).add(word)
    return bare - counted  # "kind van vier (4 jaar)": the spelled-out age counts


# Words for a percentage are read as the documents' "procent" (and "%" as well).
PERCENT_WORDS = {"percentage": "procent", "percentages": "procent", "procenten": "procent"}
# A question term that names a kind of value is met by the value's unit in a
# passage: "welke leeftijden" by "5 – 16 jaar".
VALUE_UNITS = {"leeftijd": ("jar",)}

REGION_WORDS = {
    "utrecht": "Utrecht", "utrechtse": "Utrecht",
    "rotterdam": "Rotterdam", "rotterdamse": "Rotterdam", "ppo": "Rotterdam",
    "drechtsteden": "Drechtsteden", "dordrecht": "Drechtsteden", "drechtse": "Drechtsteden",
    # The other Drechtsteden towns the routeboek itself names (its SBO schools are there).
    "zwijndrecht": "Drechtsteden", "papendrecht": "Drechtsteden", "sliedrecht": "Drechtsteden",
    # and the Drechtsteden's other municipalities (Hardinxveld-Giessendam; "Hendrik-Ido-Ambacht"
    # is left out: its "ambacht" is also a word, a trade).
    "alblasserdam": "Drechtsteden", "hardinxveld": "Drechtsteden", "giessendam": "Drechtsteden",
    "landelijk": "Landelijk", "landelijke": "Landelijk", "nationaal": "Landelijk",
    "nationale": "Landelijk",
}  # the words that name the built-in regions

# Places and countries without a routeboek here: a question about their rules is not
# answered by these documents (the covered regions are named in the documents).
OTHER_PLACES = {
    "groningen", "friesland", "drenthe", "overijssel", "flevoland", "gelderland", "limburg",
    "brabant", "zeeland", "holland", "amsterdam", "haag", "eindhoven", "tilburg", "almere",
    "breda", "nijmegen", "arnhem", "haarlem", "enschede", "apeldoorn", "amersfoort", "zaanstad",
    "zwolle", "leiden", "maastricht", "delft", "alkmaar", "leeuwarden", "venlo", "deventer",
    "helmond", "hilversum", "heerlen", "oss", "emmen", "assen", "lelystad", "gouda",
    "belgië", "belgie", "duitsland", "frankrijk", "engeland", "vlaanderen", "spanje",
    "turkije", "marokko", "polen", "amerika", "curaçao", "curacao", "suriname", "aruba",
}

# Place names that are also Dutch words ("tot een oplossing leiden", "delft", "assen"): a
# place only when written with a capital.
WORD_PLACES = {"leiden", "delft", "assen"}


def plausible_typo(typed: str, known: str) -> bool:
    """Whether `typed` reads as `known` mistyped: same first letter (one types that right),
    and one slip (a letter added, left out, changed, or two swapped: "leerplicth") or
    another inflection of the same stem ("escaler" / "escaleert"; a long vowel counts
    single: "ontlen" / "ontleend"). Not another word made from it ("aanbieder").

    Hand-written: difflib's ratio also accepts two changes inside a word, which turn
    "opgeschaald" into "opgehaald" and "leerlijn" into "leerling"."""
    if not typed or not known or typed[0] != known[0]:
        return False
    typed, known = DOUBLED_VOWEL.sub(r"\1", typed), DOUBLED_VOWEL.sub(r"\1", known)  # "ontlen" / "ontleend"
    shorter, longer = sorted((typed, known), key=len)
    if longer.startswith(shorter) and longer[len(shorter) :] in INFLECTIONS:
        return True
    return _slips(typed, known) <= 1


def _slips(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with swaps of two neighbours)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


class Lexicon:
    """Dutch stems with stop words removed (the BM25 stemmer), plus corpus statistics."""

    def __init__(self, bm25: bm25s.BM25 | None = None, regions: list[str] | tuple[str, ...] = ()) -> None:
        from assistant.index import dutch_stemmer

        # A place that is one of the index's regions (an ingested "Groningen") is not "other".
        own = {w for r in regions for w in WORD.findall(r.lower())}
        self.other_places = OTHER_PLACES - own
        # Words that name a region choose where to look (region filter and bonus),
        # they are not what the question is about: never topic terms.
        self.region_words = own | set(REGION_WORDS)
        self._stemmer = dutch_stemmer()
        self._stop = set(STOPWORDS_DUTCH) | QUESTION_STOPWORDS
        self._heads: dict[str, str | None] = {}  # see `compound_head`
        self._particle_stems = set(self._stemmer.stemWords(PARTICLES))
        self.df: dict[str, int] = {}
        self.n_docs = 1
        if bm25 is not None:
            counts = np.diff(np.asarray(bm25.scores["indptr"]))
            self.df = {tok: int(counts[i]) for tok, i in bm25.vocab_dict.items() if tok}
            self.n_docs = int(bm25.scores.get("num_docs", 1)) or 1
        self.max_idf = self.idf_of_df(1) + 1.0

    def words(self, text: str) -> list[str]:
        joined = []
        for m in TE_VERB.finditer(text):
            particle, auxiliary, verb = (g.lower() if g else g for g in m.groups())
            # "op te laten vangen" is opvangen; "door te gaan tegen ..." is doorgaan (the
            # word after the auxiliary was no verb).
            readings = [(particle + verb, m.end())] + ([(particle + auxiliary, m.start(3))] if auxiliary else [])
            if not self.df:
                joined.extend(word for word, _ in readings)  # (no corpus statistics: every reading)
                continue
            for word, end in readings:
                if self._stemmer.stemWord(word) in self.df:
                    # The documents' own verb: its parts are no words of their own ("vangen"
                    # alone the documents never use).
                    joined.append(word)
                    text = text[: m.start()] + " " * (end - m.start()) + text[end:]
                    break
            # else a joined form the documents never use ("uit te vinden", "op te pakken")
            # is no word of the question: its verb is.
        words = [STRONG_VERBS.get(w, w) for w in tokens(text) + joined if w not in self._stop]
        return [w for w in words if w not in self._stop]  # an infinitive may be a function word

    def stems(self, text: str) -> set[str]:
        return set(self._stemmer.stemWords(self.words(text)))

    def passage_stems(self, text: str, heads: bool = False) -> set[str]:
        """A passage's stems, with the joined forms of the separable verbs it splits
        ("Ouders melden hun kind ... aan": aanmeld), as a question's are (see `question_terms`).
        With `heads`, also each compound's last part ("onderwijsplek": plek), for the coverage
        that decides a refusal only: in ranking, "Neemt casusregie over" would outrank "School
        van inschrijving ... heeft de regie" for "Wie heeft de regie?"."""
        words = self.words(text)
        stems = set(self._stemmer.stemWords(words))
        if heads:
            stems |= {head for word in words if (head := self.compound_head(word))}
        return stems | {stem for _verb, stems_, _particle in self.separable_verbs(text) for stem in stems_}

    @cached_property
    def vocab(self) -> list[str]:
        """The corpus stems, sorted (the candidates of a typing-error correction)."""
        return sorted(self.df)

    @cached_property
    def person_forms(self) -> dict[str, tuple[str, ...]]:
        """Corpus stems of a verb's -t form and of its other forms, both ways ("komt" <->
        "kom", "duurt" <-> "dur"): Snowball keeps the -t, so "hoe lang duurt het?" would
        never meet "de duur" or "duren". Superlatives ("laatst", "hoogst") end in -st and
        are left out, as is a doubled t ("zitt")."""
        pairs: dict[str, set[str]] = {}
        for stem in self.df:
            if len(stem) < 4 or not stem.endswith("t") or stem.endswith(("st", "tt")):
                continue
            base = self._stemmer.stemWord(stem[:-1])
            if base != stem and base in self.df and len(base) >= 3:
                pairs.setdefault(stem, set()).add(base)
                pairs.setdefault(base, set()).add(stem)
        return {stem: tuple(sorted(others)) for stem, others in pairs.items()}

    def idf_of_df(self, df: int) -> float:
        return math.log((self.n_docs + 1) / (df + 0.5))

    def idf(self, stem: str) -> float:
        df = self.df.get(stem)
        return self.idf_of_df(df) if df else self.max_idf

    @lru_cache(maxsize=4096)
    def correct(self, stem: str) -> str | None:
        """A corpus stem for a stem the corpus lacks (typing errors), or None.

        difflib finds the similar corpus stems; only a plausible typing error of one is
        taken (see `plausible_typo`): a near word with another meaning must not replace
        the asked one ("uitschrijven" is no "inschrijven", "formatie" no "informatie")."""
        if stem in self.df or len(stem) < 5 or stem.isdigit():
            return stem if stem in self.df else None
        close = difflib.get_close_matches(stem, self.vocab, n=3, cutoff=0.84)
        return next((c for c in close if plausible_typo(stem, c)), None)

    def participle_stem(self, word: str) -> str | None:
        """The corpus stem of the verb of a past participle ("gemonitord" -> monitor,
        "gerapporteerd" -> rapporter, "gemeld" -> meld): Snowball keeps the ge-...-d."""
        if len(word) < 6 or not word.startswith("ge") or word[-1] not in "dt" or word in NOT_PARTICIPLES:
            return None
        base = word[2:-1]
        doubled = base[:-2] + base[-1] + "en" if base[-2:-1] == base[-3:-2] else None
        # The -d or -t may be the verb's own ("gemeld" -> melden, "gezet" -> zetten).
        for form in (base, base + "en", doubled, word[2:] + "en"):
            stem = self._stemmer.stemWord(form) if form else None
            if stem in self.df:
                return stem
        return None

    def finite_participle(self, word: str) -> str | None:
        """The corpus stem of the past participle of a finite verb form the documents lack
        ("mist" -> gemist, "regelt" -> geregeld): a question asks in the present ("Een leerling
        mist steeds losse dagen") what a rule says in the perfect ("... heeft gemist")."""
        if len(word) < 4 or not word.endswith("t") or word.startswith(("ge", "be", "ver", "ont", "her", "er")):
            return None
        base = word[:-1]
        # A stem ending in -t or -d takes no other ("meldt": gemeld); else -t after a voiceless
        # consonant ('t kofschip: "mist": gemist), -d after any other sound ("deelt": gedeeld).
        if base[-1] in "td":
            participle = "ge" + base
        else:
            participle = "ge" + base + ("t" if base[-1] in "kfsp" or base.endswith("ch") else "d")
        if participle in NOT_PARTICIPLES:
            return None  # "biedt": "gebied" is another word
        stem = self._stemmer.stemWord(participle)
        return stem if stem in self.df else None

    def diminutive_stem(self, word: str) -> str | None:
        """The corpus stem of a diminutive's noun ("lijstje" -> lijst, "schooltje" -> school,
        "balletje" -> bal, "plekjes" -> plek), or None."""
        for suffix in ("etjes", "etje", "tjes", "tje", "pjes", "pje", "jes", "je"):
            base = word[: -len(suffix)]
            if not word.endswith(suffix) or len(base) < 3:
                continue
            # "balletje": the consonant doubled before -etje.
            bases = [base, base[:-1]] if suffix.startswith("e") and base[-1] == base[-2] else [base]
            for stem in self._stemmer.stemWords(bases):
                if stem in self.df:
                    return stem
        return None

    def plural_stem(self, word: str) -> str | None:
        """The corpus stem of a plural Snowball keeps apart from its singular: a loanword's -s
        after a vowel ("fases" -> fase; not "wijs", a singular) and -en after a doubled consonant
        ("plannen" -> plan), or None. (A possessive "'s", "schema's", `tokens` already drops.)"""
        if word.endswith("s") and len(word) > 3 and word[-2] in "aeiouy":
            base = word[:-1]
        elif word.endswith("en") and len(word) > 4 and word[-3] == word[-4]:
            base = word[:-3]
        else:
            return None
        stem = self._stemmer.stemWord(base)
        return stem if len(base) >= 3 and stem in self.df and stem not in self._stop else None

    def atie_forms(self, word: str) -> tuple[str, ...]:
        """Corpus stems of the verb of a noun in -atie ("evaluatie" -> evalueren, evalueert,
        geëvalueerd): Snowball leaves the two apart, and a question often names the act the
        passage writes as a verb ("na de evaluatie": "bespreken het plan en evalueren").
        Not the other way round: "Waar wordt verzuim geregistreerd?" then led with "de
        registratie van de thuiszitters", a passage about who keeps a list."""
        match = ATIE_NOUN.match(word)
        if not match or word in NOT_ACTS:
            return ()
        base = match.group(1)
        related = [base + "eren", base + "eert", "ge" + base + "eerd"]  # Snowball reads "geë" as "gee"
        own = self._stemmer.stemWord(word)
        return tuple(dict.fromkeys(st for st in self._stemmer.stemWords(related) if st in self.df and st != own))

    def split_infinitive(self, word: str) -> tuple[str, ...]:
        """Corpus stems of a separable verb's finite forms, for an infinitive the documents
        never use ("uitschrijven" -> schrijft, uitschrijft; "overnemen" -> neemt): they write
        it split ("De school schrijft de leerling uit", "Neemt casusregie over")."""
        match = SEPARABLE_INFINITIVE.match(word)
        if not match:
            return ()
        particle, verb = match.groups()
        if len(verb) >= 2 and verb[-1] == verb[-2] and verb[-1] not in "aeiou":
            verb = verb[:-1]  # "uitstellen": stelt
        verb = verb[:-1] + {"v": "f", "z": "s"}.get(verb[-1], verb[-1])  # "schrijven": schrijft
        bases = [verb]
        if len(verb) >= 3 and verb[-2] in "aeou" and verb[-3] not in "aeiou" and verb[-1] not in "aeiouy":
            bases.append(verb[:-1] + verb[-2:])  # "nemen": neemt
        finite = [f"{prefix}{base}t" for base in bases for prefix in ("", particle)]
        # Only a stem that keeps its -t: Snowball stems "meldt" to "meld", as "melding" and
        # "melden", and "afmelden" is not met by every passage about melden.
        return tuple(dict.fromkeys(st for st in self._stemmer.stemWords(finite) if st in self.df and st.endswith("t")))

    def separable_participle(self, word: str) -> tuple[str, ...]:
        """Corpus stems of the verb of a separable verb's participle ("ingeschakeld" ->
        inschakel, schakel, schakelt): the documents also write it split ("School schakelt
        kernpartners in"), where only the verb without its particle is left to meet."""
        particle = SEPARABLE_PARTICIPLE.match(word)
        if particle and (strong := STRONG_VERBS.get(word[particle.end() - 2 :])):
            # A strong verb's ("vastgelopen" -> vastlopen, "het proces vastloopt"). Not the verb
            # alone: "loopt", "komt" are in too many passages to stand for "vastlopen", "terugkomen".
            whole = self._stemmer.stemWord(particle.group(1) + strong)
            return tuple(st for st in (whole, *self.person_forms.get(whole, ())) if st in self.df)
        if not particle or word[-1] not in "dt":
            return ()
        base = word[particle.end() : -1]
        # An open syllable loses its long vowel's second letter before -en ("opgeschaald" ->
        # opschalen); the finite form keeps it ("schaalt").
        open_syllable = base[:-2] + base[-1] if len(base) > 2 and base[-2] == base[-3] and base[-2] in "aeou" else base
        whole = word[particle.end() :]  # the -d or -t may be the verb's own ("aangemeld" -> melden)
        infinitives = [particle.group(1) + open_syllable + "en", particle.group(1) + whole + "en"]
        # Split, the verb is finite ("schakelt ... in"). Its bare stem is another word ("uitgenodigd":
        # "nodig"; "aangemeld": "meld", as in "melding"), and so is a finite form that stems to it
        # ("meldt", "rondt").
        bare = set(self._stemmer.stemWords([open_syllable + "en", whole + "en", base, whole]))
        finite = [f for f in self._stemmer.stemWords([base + "t", whole + "t"]) if f not in bare]
        return tuple(dict.fromkeys(st for st in [*self._stemmer.stemWords(infinitives), *finite] if st in self.df))

    def compound_head(self, word: str) -> str | None:
        """The corpus stem of a passage compound's last part ("onderwijsplek" -> plek), which
        names what it is: a question's "plek" is met by it. Not a separable verb or a word
        formed with a particle ("voorkomen", "voorlichting", "overleggen": no "komen",
        "licht", "leggen"), nor a part stem shorter than four letters ("thuiszitters": no
        "ter"). Cached per word (bounded by the corpus vocabulary)."""
        if word not in self._heads:
            head = None
            at, parts = self._split(word)
            if len(parts) == 2 and parts[0] not in self._particle_stems:
                # The last part as written: at least five letters, or a stem of four ("zitten": zit).
                head = parts[1] if len(word) - at >= 5 or len(parts[1]) >= 4 else None
            self._heads[word] = head
        return self._heads[word]

    def split_compound(self, word: str) -> tuple[str, ...]:
        """Corpus stems of a compound the corpus lacks ("thuiszittersdefinitie" ->
        thuiszitter + definitie), or () when no split into known parts exists.
        Hand-written: no Dutch decompounder is available offline; two known parts
        (with an optional linking s, en or e) are enough for these documents."""
        return self._split(word)[1]

    @lru_cache(maxsize=4096)
    def _split(self, word: str) -> tuple[int, tuple[str, ...]]:
        """Where `split_compound` splits `word` (the last part's first letter) and its stems."""
        if len(word) < 8 or not self.df:
            return 0, ()
        for i in range(len(word) - 4, 3, -1):  # longest head first
            head, tail = word[:i], word[i:]
            right = self._stemmer.stemWord(tail)
            filler = tail in self._stop  # "thuiszittersdefinitie": only the head is topic
            if right not in self.df and not filler:
                continue
            # The head, or the head without a linking -s-, -en- or -e- ("artsenverklaring").
            linked = [head[: -len(link)] for link in ("s", "en", "e") if head.endswith(link)]
            for left_word in (head, *linked):
                if left_word and len(left_word) >= 4:
                    left = self._stemmer.stemWord(left_word)
                    if left in self.df:
                        return i, ((left,) if filler else (left, right))
        return 0, ()

    def separable_verbs(self, question: str) -> list[tuple[str, tuple[str, ...], str]]:
        """(verb word, corpus stems of its joined forms, particle) for each separable verb
        the question splits: "vraag ... aan" -> aanvraag / aangevraagd.

        Hand-written: the Snowball stemmer sees "vraag" and "aan" as two words,
        while the documents write "de aanvraag" or "wordt aangevraagd". The verb
        is the first word of the clause before the particle that forms, with it,
        a word the documents use (in a Dutch main clause the finite verb comes
        early)."""
        found = []
        for match in SPLIT_PARTICLE.finditer(question):
            particle = match.group(1).lower()
            clause = re.split(r"[?.,!;:]", question[: match.start()])[-1]
            for verb in WORD.findall(clause.lower()):
                if verb == particle or verb.isdigit() or len(verb) < 3:
                    continue
                base = verb[:-1] if verb.endswith("t") and len(verb) > 3 else verb
                forms = [particle + verb, particle + base, particle + base + "en"]
                forms += [particle + "ge" + base + end for end in ("d", "t", "")]
                stems = tuple(dict.fromkeys(st for st in self._stemmer.stemWords(forms) if st in self.df))
                if stems:
                    found.append((verb, stems, particle))
                    break
        return found

    def question_terms(self, question: str, aliases: dict[str, str] | None = None,
                       understood: frozenset[str] | set[str] = frozenset(),
                       spelled_out: dict[str, str] | None = None) -> "QuestionTerms":
        """Content stems of a question, typo-corrected, with OOV words and names split off.

        `aliases` maps abbreviations in the question to their spelled-out form:
        one concept, met by a passage that has either (and counted once), so a
        passage spelling it out does not outweigh one that uses the abbreviation.
        `understood` words (those a phrase put in the documents' terms, see
        `normalise.PHRASES`) count through the phrase, not on their own. `spelled_out`
        maps abbreviations to the spelled-out form the question uses: its words are
        also met by the abbreviation ("speciaal basisonderwijs" by "SBO").
        """
        names = {m.lower() for m in CAPITALISED.findall(question)}
        terms, oov, places = set(), set(), set()
        parts: dict[str, tuple[str, ...]] = {}
        forms: dict[str, tuple[str, ...]] = {}
        verbs = self.separable_verbs(question)
        for _, joined, _ in verbs:
            terms.add(joined[0])
            forms[joined[0]] = joined  # met by any of its forms
        # "vraag" and "aan" of "vraag ... aan" (and "mee" of "werken niet mee") are no topics of their own.
        split_off = {verb for verb, _, _ in verbs} | {particle for _, _, particle in verbs}
        # A number says something only with its unit or label ("5 weken", "stap 5"): the
        # bare age in "Luuk is 4 en ..." must not match every "vier weken".
        split_off |= bare_numbers(question)
        # Rotterdam and the Drechtsteden lie in Zuid-Holland: that "holland" is no other place.
        other_places = self.other_places - ({"holland"} if ZUID_HOLLAND.search(question) else set())
        for word in self.words(question):
            if word in split_off or word in understood:
                continue
            if word in other_places and (word not in WORD_PLACES or re.search(rf"\b{word.capitalize()}\b", question)):
                places.add(word)
                continue
            if word in self.region_words:
                continue
            stem = self._stemmer.stemWord(word)
            if stem not in self.df and (base := self.diminutive_stem(word) or self.plural_stem(word)):
                stem = base  # "lijstje", "schooltje", "plekjes": Snowball keeps most diminutives (and "fases")
            if stem in self._stop and stem not in self.df:
                continue  # "hadden" stems to "had": still a function word ("overig" -> "over" is not)
            known = self.correct(stem)
            if known:
                terms.add(known)
                if known in self.person_forms:
                    _add_forms(forms, known, self.person_forms[known])
                verb = self.participle_stem(word)
                if verb and verb != known:
                    # "gemeld" is also met by "melding" / "meldt": Snowball keeps the ge-...-d.
                    _add_forms(forms, known, (verb,))
                if related := self.atie_forms(word):
                    _add_forms(forms, known, related)  # "evaluatie" / "evalueren"
                if split := SEPARABLE_INFINITIVE.match(word):
                    # "aanvragen" is also met by "(de ouder) vraagt (het) aan": the split verb's -t form.
                    finite = tuple(f for f in self.person_forms.get(self._stemmer.stemWord(split.group(2) + "en"), ())
                                   if f.endswith("t"))
                    if finite:
                        _add_forms(forms, known, finite)
                if separable := self.separable_participle(word):
                    # "ingeschakeld" is also met by "inschakelen" and "(School) schakelt (kernpartners) in".
                    _add_forms(forms, known, separable)
                split = self.split_compound(word)
                if len(split) == 2 and known not in split:
                    parts[known] = split  # "thuiszittersaanpak" also met by "aanpak van thuiszitters"
            elif verb := self.participle_stem(word):
                terms.add(verb)
            elif done := self.finite_participle(word):
                terms.add(done)
            elif separable := self.separable_participle(word) or self.split_infinitive(word):
                # "opgeschaald" / "uitschrijven", which the documents write "opschalen" or
                # split ("schaalt ... op", "schrijft de leerling uit"): the asked word stays
                # the term (a word the documents lack weighs as much as an unknown one).
                terms.add(stem)
                _add_forms(forms, stem, separable)
            elif split := self.split_compound(word):
                terms.update(split)
            elif word in names or word.isdigit():
                # A capitalised word the documents never use is taken for a pupil's
                # name (questions often contain one); numbers are not topic words.
                continue
            else:
                oov.add(stem)
        for term, units in VALUE_UNITS.items():
            if term in terms:
                _add_forms(forms, term, units)
        for abbreviation, full in (aliases or {}).items():
            short = self._stemmer.stemWord(abbreviation.lower())
            spelled = tuple(sorted(self.stems(full) - {short}))
            if not spelled:
                continue
            if short in terms:
                parts[short] = spelled
            elif short in oov:  # only the spelled-out form is in the documents
                oov.discard(short)
                terms.update(spelled)
        for abbreviation, full in (spelled_out or {}).items():
            short = self._stemmer.stemWord(abbreviation.lower())
            for term in self.stems(full) & terms:
                if term != short:
                    _add_forms(forms, term, (short,))
        return QuestionTerms(terms=terms, oov=oov, places=places, parts=parts, forms=forms)


def _add_forms(forms: dict[str, tuple[str, ...]], term: str, extra: tuple[str, ...]) -> None:
    """Let `term` also be met by the stems `extra` (its own stem stays one of its forms)."""
    forms[term] = tuple(dict.fromkeys(forms.get(term, (term,)) + tuple(extra)))


class QuestionTerms:
    """What the question is about, in corpus stems."""

    def __init__(self, terms: set[str], oov: set[str], places: set[str],
                 parts: dict[str, tuple[str, ...]] | None = None,
                 forms: dict[str, tuple[str, ...]] | None = None):
        self.terms = terms
        self.oov = oov
        self.places = places
        self.parts = parts or {}  # a compound term is also met by all of its parts
        self.forms = forms or {}  # a term also met by any of its other forms

    def stems(self) -> set[str]:
        """Every stem that stands for the question's content (terms, their parts and forms)."""
        out = set(self.terms)
        for extra in (*self.parts.values(), *self.forms.values()):
            out.update(extra)
        return out

    def met(self, term: str, stems: set[str]) -> bool:
        return (
            term in stems
            or (term in self.parts and set(self.parts[term]) <= stems)
            or any(f in stems for f in self.forms.get(term, ()))
        )

    def weight(self, lexicon: Lexicon, stems: set[str] | None = None) -> float:
        if stems is None:
            chosen = self.terms
        else:
            chosen = {t for t in self.terms if self.met(t, stems)}
        return sum(lexicon.idf(s) for s in chosen)

    def coverage(self, lexicon: Lexicon, stems: set[str]) -> float:
        """IDF-weighted share of the question's content (OOV words included) found in `stems`."""
        total = self.weight(lexicon) + lexicon.max_idf * len(self.oov)
        return self.weight(lexicon, stems) / total if total else 0.0

    def oov_share(self, lexicon: Lexicon) -> float:
        total = self.weight(lexicon) + lexicon.max_idf * len(self.oov)
        return lexicon.max_idf * len(self.oov) / total if total else 1.0
