"""Follow-up questions: rewrite "en in Rotterdam?" into a question that stands alone.

The chat keeps no model that could read a conversation, so follow-ups are
resolved with a few deterministic rules before the question goes to `ask`:

* a short question that starts like a follow-up ("en ...", "en in ...",
  "en voor ...", "wat als ...", "hoe zit dat in ...", "geldt dat ook ...",
  "ook in ..."), a question that only names a region ("Rotterdam?"), or a
  short question without topic words of its own ("en wie?") is combined with
  the previous question;
* a follow-up that only asks what comes next ("en dan?", "wat is de volgende
  stap?") follows the previous question as a sentence of its own, so the
  answerer finds the step it describes and quotes the one after it;
* combining replaces the region the previous question named with the new one
  ("... in de Drechtsteden?" + "en in Rotterdam?" -> "... in Rotterdam?"), or
  appends the new words to it ("... bij leerplicht?" + "en voor het vo?" ->
  "... bij leerplicht voor het vo?");
* a follow-up that is a whole question of its own ("en wie heeft dan de
  regie?") keeps its words and borrows only the previous question's region;
* anything else stands alone and is returned unchanged.

Chains work: the previous question is itself resolved against the ones
before it, so "... Drechtsteden?", "en in Rotterdam?", "en in Utrecht?" ends
with the first question about Utrecht. A chain of "en dan?" walks through a
process: after an answer that quoted a next step, that step is the situation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.config import REGIONS

# A follow-up is "short" up to this many words; longer questions stand alone.
MAX_FOLLOWUP_WORDS = 8
# A question without topic words of its own is a follow-up up to this many words.
MAX_BARE_WORDS = 6
# Only the last questions matter for resolving a chain.
HISTORY_WINDOW = 12

WORD = re.compile(r"\w+", re.UNICODE)

# How each region is named, as patterns to rewrite a follow-up with; the plain
# words mirror `lexicon.REGION_WORDS`, kept here so this module stays import-light.
REGION_NAMES = {
    "Utrecht": r"utrecht",
    "Rotterdam": r"rotterdam",
    "Drechtsteden": r"drechtsteden|dordrecht|zwijndrecht|papendrecht|sliedrecht",
    "Landelijk": r"landelijk|nationaal|(?:heel\s+)?nederland",
}
REGION_ADJECTIVES = {
    "Utrecht": r"utrechtse",
    "Rotterdam": r"rotterdamse",
    "Landelijk": r"landelijke|nationale",
}
# The adjective written back when an adjective is replaced (Drechtsteden has none).
ADJECTIVE_FORM = {"Utrecht": "Utrechtse", "Rotterdam": "Rotterdamse", "Landelijk": "landelijke"}
# The name written back, without and with a preposition in front.
NAME_FORM = {"Utrecht": "Utrecht", "Rotterdam": "Rotterdam", "Drechtsteden": "de Drechtsteden", "Landelijk": "landelijk"}
PHRASE = {"Utrecht": "in Utrecht", "Rotterdam": "in Rotterdam", "Drechtsteden": "in de Drechtsteden", "Landelijk": "landelijk"}
assert set(REGION_NAMES) == set(REGIONS)

_NAME_ALTERNATIVES = "|".join(f"(?P<n_{r}>{p})" for r, p in REGION_NAMES.items())
_ADJ_ALTERNATIVES = "|".join(f"(?P<a_{r}>{p})" for r, p in REGION_ADJECTIVES.items())
REGION_MENTION = re.compile(
    rf"\b(?:(?:(?P<prep>in|voor|bij|binnen|uit|van)\s+)?(?:de\s+)?(?:(?:regio|gemeente|stad)\s+)?"
    rf"(?:{_NAME_ALTERNATIVES})|(?:{_ADJ_ALTERNATIVES}))\b",
    re.IGNORECASE,
)

# How a follow-up may begin; group `rest` is what it adds to the previous question.
FOLLOWUP_START = re.compile(
    r"^\s*(?:en\s+)?(?:"
    r"wat\s+als\b(?P<als>)"
    r"|hoe\s+(?:zit|is|gaat|werkt)\s+(?:dat|dit)(?:\s+dan)?(?:\s+(?:ook|eigenlijk))?\b"
    r"|geldt\s+(?:dat|dit)(?:\s+dan)?(?:\s+ook)?\b"
    r"|(?:is|gaat)\s+(?:dat|dit)\s+(?:dan\s+)?(?:ook\s+)?(?:zo|hetzelfde)\b"
    r"|ook\b"
    r")(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
STARTS_WITH_EN = re.compile(r"^\s*en\b", re.IGNORECASE)
NEXT_STEP_QUESTION = "Wat is de volgende stap?"
# A follow-up that only asks what comes next ("en dan?", "wat nu?", "wat is de volgende stap?"):
# the previous question describes the step it is about (see next_step.py).
NEXT_STEP_ONLY = re.compile(
    r"^\s*(?:en\s+)?(?:dan|daarna|verder|vervolgens|wat\s+nu|wat\s+dan|hoe\s+(?:nu\s+)?verder|"
    r"wat\s+is\s+(?:dan\s+)?de\s+volgende\s+stap|wat\s+(?:gebeurt|komt)\s+er\s+(?:dan|daarna|vervolgens|nu)|"
    r"wat\s+(?:moet|doe|doen|kan)\s+(?:ik|we|wij|je|u)\s+(?:dan|daarna|nu)(?:\s+doen)?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)

INTERROGATIVES = {"wat", "wie", "wanneer", "hoe", "welke", "welk", "waar", "waarom", "hoelang", "hoeveel"}
QUESTION_WORDS = INTERROGATIVES | {
    "moet", "moeten", "mag", "mogen", "kan", "kunnen", "is", "zijn", "heeft", "hebben", "wordt", "worden",
}
# Words that carry no topic of their own (articles, prepositions, follow-up filler).
FILLER = {
    "en", "in", "voor", "bij", "binnen", "uit", "van", "met", "over", "op", "aan", "de", "het", "een",
    "dat", "dit", "die", "deze", "ook", "dan", "zo", "als", "zit", "geldt", "gaat", "werkt", "er",
    "daar", "daarvoor", "daarbij", "hier", "precies", "eigenlijk", "nou", "nu", "toch", "of", "lang",
    "regio", "gemeente", "stad", "heel", "verder", "andere", "anders", "hetzelfde", "zelfde", "zelfs",
    "ik", "je", "u", "we", "wij", "jullie", "ze", "zij", "hun",
}


@dataclass
class Mention:
    """A region named inside a question: its span, region and grammatical form."""

    start: int
    end: int
    region: str
    preposition: str | None
    adjective: bool


def region_mentions(text: str) -> list[Mention]:
    """Every region mention in `text`, in order."""
    found = []
    for m in REGION_MENTION.finditer(text):
        groups = {k: v for k, v in m.groupdict().items() if v is not None}
        region = next(k[2:] for k in groups if k[:2] in ("n_", "a_"))
        adjective = any(k.startswith("a_") for k in groups)
        found.append(Mention(m.start(), m.end(), region, groups.get("prep"), adjective))
    return found


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _without_regions(text: str) -> str:
    return " ".join(REGION_MENTION.sub(" ", text).split())


def topic_words(text: str) -> list[str]:
    """Words that say what a question is about (not filler, question words or regions)."""
    return [w for w in _words(_without_regions(text)) if w not in FILLER and w not in QUESTION_WORDS]


def _strip_end(text: str) -> str:
    return text.strip().rstrip("?!.;:, ").strip()


def _finish(text: str) -> str:
    text = " ".join(text.split())
    text = _strip_end(text)
    return text[:1].upper() + text[1:] + "?" if text else text


def _followup_rest(question: str) -> str | None:
    """What a follow-up adds to the previous question, or None if it stands alone."""
    text = _strip_end(question)
    words = _words(text)
    if not words:
        return None
    start = FOLLOWUP_START.match(text)
    if start and len(words) <= MAX_FOLLOWUP_WORDS:
        rest = start.group("rest").strip()
        return f"als {rest}".strip() if start.group("als") is not None else rest
    if STARTS_WITH_EN.match(text) and len(words) <= MAX_FOLLOWUP_WORDS:
        return re.sub(r"^\s*en\b\s*", "", text, flags=re.IGNORECASE)
    if not topic_words(text):
        only_region = bool(region_mentions(text))
        if only_region or len(words) <= MAX_BARE_WORDS:
            return text
    return None


def with_region(question: str, region: str) -> str:
    """`question` about `region`: its region mention replaced, or the region appended."""
    mentions = region_mentions(question)
    body = _strip_end(question)
    if not mentions:
        return _finish(f"{body} {PHRASE[region]}")
    m = mentions[-1]  # comparisons name several regions; the last one is replaced
    if m.adjective:
        if region in ADJECTIVE_FORM:
            replacement = ADJECTIVE_FORM[region]
        else:
            replaced = question[: m.start] + question[m.end :]
            return _finish(f"{_strip_end(replaced)} {PHRASE[region]}")
    elif region == "Landelijk" or (m.preposition is None and m.region == "Landelijk"):
        # "landelijk" is an adverb: it takes no preposition, and replacing it needs one.
        replacement = PHRASE[region]
    elif m.preposition is None:
        replacement = NAME_FORM[region]
    else:
        replacement = f"{m.preposition} {NAME_FORM[region]}"
    return _finish(question[: m.start] + replacement + question[m.end :])


def _combine(previous: str, rest: str) -> str:
    """The previous question, changed by what the follow-up adds."""
    new_regions = []
    for m in region_mentions(rest):
        if m.region not in new_regions:
            new_regions.append(m.region)
    remainder = _strip_end(_without_regions(rest))
    words = _words(remainder)
    topic = topic_words(remainder)

    if words and words[0] in QUESTION_WORDS and topic:
        # A whole question of its own: keep it, borrow only the previous region.
        question = rest
        if not new_regions:
            old = region_mentions(previous)
            if old and not old[-1].adjective:
                question = with_region(question, old[-1].region)
        return _finish(question)

    base = previous
    for region in new_regions[:1]:
        base = with_region(base, region)
    if not topic:
        prev_words = _words(base)
        if words and words[0] in INTERROGATIVES and prev_words and prev_words[0] in INTERROGATIVES:
            # "en wie?" asks the previous question with another question word.
            lead = re.match(r"\s*(\w+(?:\s+lang\b)?)", remainder).group(1)
            first = re.match(r"\s*\w+(?:\s+lang\b)?", base)
            base = lead + base[first.end() :]
        return _finish(base)
    return _finish(f"{_strip_end(base)} {remainder}")


def _rewrite_one(question: str, previous: str | None) -> str:
    if not previous:
        return question
    if NEXT_STEP_ONLY.match(question):
        # "en dan?" after "Ouders komen niet opdagen bij de jeugdarts.": the situation, then the
        # question in the words the answerer knows (next_step.NEXT_QUESTION).
        return f"{previous.strip()} {NEXT_STEP_QUESTION}"
    rest = _followup_rest(question)
    if rest is None:
        return question
    return _combine(previous, rest)


def after_step(step: tuple[str, str]) -> str:
    """"en dan?" after an answer that quoted `step` (region, text) as what comes next:
    that step is the situation now, so the answer moves one step further."""
    region, text = step
    where = f" {PHRASE.get(region, f'in {region}')}" if region else ""
    return _finish(f"{_strip_end(text)}. Wat is{where} de volgende stap")


def rewrite_followup(question: str, history: list[str], after: tuple[str, str] | None = None) -> str:
    """Return `question` made to stand alone, given the previous user questions.

    `history` holds the earlier user questions of the conversation, newest
    last. A question that already stands alone (or has nothing to lean on)
    is returned unchanged. `after` is the step the previous answer quoted as
    what comes next (region, text), if any: a chain of "en dan?" walks on from it.
    """
    if after is not None and history and NEXT_STEP_ONLY.match(question):
        return after_step(after)
    previous: str | None = None
    for earlier in history[-HISTORY_WINDOW:]:
        if not isinstance(earlier, str) or not _words(earlier):
            continue
        previous = _rewrite_one(earlier, previous)
    return _rewrite_one(question, previous)


__all__ = ["after_step", "rewrite_followup", "region_mentions", "topic_words", "with_region"]
