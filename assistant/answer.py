"""Answer: pick the document passages that answer the question and quote them verbatim.

No Dutch generative model can be had offline here, so the default answerer is
extractive. Every sentence of the retrieved passages is scored by

    cosine(question, sentence)          precomputed sentence vectors (e5 query/passage)
  + LEXICAL * coverage                  IDF-weighted share of the question's words in what would
                                        be quoted for the sentence, and its section's headings
  + NUMBER  * has a number/time span    only for "wanneer / hoe lang / hoeveel / vanaf" questions
  + CONDITION * states a condition      only for "wanneer" questions
  + PRIOR   * 1 / (1 + passage rank)    the fused retrieval order
  + REGION  * region named in question
  + DEFINITION * defines the term       only for questions about what a term means
  + NEGATION * says "niet/geen"          only for questions that do ("komen niet opdagen":
                                        "geen gehoor"; e5 hardly tells a rule from its opposite)

and the best one is quoted with what it needs to be read on its own (the rest
of its paragraph up to a limit, the list it introduces / belongs to, or the
whole list under a heading the question names).
Refusal uses absolute signals only (never the rank-based fused score): the
best sentence cosine, the IDF-weighted coverage of the question by the quoted
passage, the share of question words the corpus never uses, and places
without a routeboek. Anything implementing `Answerer` can replace this class
(e.g. a generative back end later).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Protocol

import numpy as np
from llama_index.core.schema import BaseNode, NodeWithScore

from assistant.chunk import BULLET, HEADING, indent, introduces_list, line_sentences, section_of
from assistant.cite import (ALTERNATIVE_LEAD, LIST_GOES_ON_LEAD, NEXT_STEP_LEAD, REGION_PHRASE, Answer, Quote, compose,
                            shown_heading)
from assistant.config import Settings
from assistant.glossary import Entry, defines
from assistant.index import SentenceRecord
from assistant.lexicon import DIGITS, REGION_WORDS, Lexicon, QuestionTerms
from assistant.next_step import STEP_ITEM, asks_next_step, situation, step_after
from assistant.normalise import LABEL_KINDS, Normalised, is_asking, label_pattern, sentences
from assistant.section import Section, rebuild
from assistant.sector import asks_secondary, covers_secondary

LEXICAL = 0.12
NUMBER = 0.03
PRIOR = 0.02
REGION = 0.05
CONDITION = 0.02
LABEL = 0.03  # the passage's heading carries the label the question names ("Fase 1" for "in fase 1")
SECTION_SHARE = 0.5  # a question names a passage's section when it has this share of its heading words
DEFINITION = 0.05  # the sentence defines the term the question asks the meaning of
# The longest question held to the whole coverage floor. The questions the tuning split and the
# paraphrase set must refuse have at most 17 words; with 20, four long paraphrases are answered
# (two rightly), with 16 ten (three rightly).
COVERAGE_WORDS = 20
DEFINES_COVERAGE_SHARE = 0.5  # a quoted definition needs this share of the coverage floor
# A passage neither retriever ranked, found only through its nearest sentence, counts
# where its quote covers this multiple of the coverage floor: it comes in on the strength
# of one sentence's embedding, which is near for many questions the documents do not
# answer ("Hoeveel dagen mag een school schorsen?": "tien dagen afwezig").
NEAR_SENTENCE_COVERAGE_SHARE = 1.5
SECOND_MARGIN = 0.05  # a second passage is quoted when it scores this close to the best
REGION_MARGIN = 0.10  # another region's best is quoted when it scores this close to the best
MAX_BLOCK_CHARS = 900
TASK_ITEMS, TASK_CHARS = 5, 100  # a short list of tasks (see `quote_blocks`)

# Words that ask for a quantity, a moment or a duration.
QUANTITY_QUESTION = re.compile(
    r"\b(wanneer|hoe\s+lang|hoelang|hoeveel|hoe\s+vaak|vanaf|binnen\s+welke|termijn|"
    r"hoe\s+oud|welke\s+leeftijd|hoe\s+snel|na\s+hoeveel|per\s+week|maximaal|minimaal|"
    r"tot\s+wanneer|welke?\s+percentages?|hoe\s+groot|tot\s+welke|leeftijd\w*)\b",
    re.IGNORECASE,
)
# "Hoe lang ...?" asks for a duration; the answer gives a number of days, weeks, months.
DURATION_QUESTION = re.compile(
    r"\b(hoe\s*lang|hoe\s+recent|hoe\s+snel|binnen\s+welke|welke\s+termijn|hoe\s+oud\s+mag|duur|duurt|duren)\b",
    re.IGNORECASE,
)
DURATION_SPAN = re.compile(
    r"\b(\d+|een|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|zestien)\s+(\w+\s+)?"
    r"(dag|dagen|week|weken|schoolweken|maand|maanden|jaar|jaren|werkdagen|schooldagen)\b",
    re.IGNORECASE,
)
DURATION = 0.05  # 0.045 and 0.06 give the same on the tuning and paraphrase sets; 0.09 loses two tuning answers
# "Hoe vaak ...?" asks for a frequency; the answer gives a count of times or a period.
FREQUENCY_QUESTION = re.compile(r"\bhoe\s*(vaak|dikwijls|regelmatig)\b|\bhoeveel\s+keer\b", re.IGNORECASE)
FREQUENCY_SPAN = re.compile(
    r"\bkeer\b|\w*(dagelijks|wekelijks|maandelijks|jaarlijks)\b|\bkwartaal\w*|"
    r"\b(per|elke|iedere)\s+(dag|week|maand|kwartaal|jaar|schooljaar|periode)\b",
    re.IGNORECASE,
)
FREQUENCY = 0.05  # as DURATION
# "Wanneer ...?" asks for a moment or a condition; the answer states one.
WHEN_QUESTION = re.compile(r"\b(wanneer|op welk moment|in welke? gevall?e?n?)\b", re.IGNORECASE)
CONDITION_WORDS = re.compile(
    r"\b(als|wanneer|indien|zodra|vanaf|binnen|voordat|nadat|uiterlijk|direct|meteen|na)\b", re.IGNORECASE
)
NUMBER_WORDS = (
    "een|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|"
    "vijftien|zestien|twintig|dertig|halve|half|zestal|zevental|tiental"
)
NUMBER_SPAN = re.compile(
    rf"(\d+([.,]\d+)?\s*(%|procent|uur|uren|dag|dagen|dagdelen|week|weken|maand|maanden|jaar|jaren|fte|keer)?|"
    rf"\b({NUMBER_WORDS})\s+(\w+\s+)?(uur|uren|dag|dagen|dagdelen|week|weken|schoolweken|maand|maanden|"
    rf"jaar|jaren|keer|werkdagen|schooldagen)\b)",
    re.IGNORECASE,
)
# Any length of time, for "hoe lang duurt ...?" (wider than DURATION_SPAN, which ranks).
A_DURATION = re.compile(
    rf"\b(\d+([.,]\d+)?|anderhalf|anderhalve|halve?|{NUMBER_WORDS}|\w+tig)\s+(\w+\s+)?"
    r"(minuut|minuten|uur|uren|dag|dagen|dagdelen|week|weken|maand|maanden|jaar|jaren|kwartaal|\w*dagen|"
    r"\w*weken|\w*week|\w*jaar|\w*jaren)\b",
    re.IGNORECASE,
)
# An age, not a length of time: "vanaf 4 jaar", "(5 – 16 jaar)", "tussen de 5 en 16 jaar",
# "kinderen van 12 jaar", "4 jaar oud", "4 jaar en ouder", "een leeftijd van 70 maanden", "als ze
# 4 jaar zijn".
AGE = re.compile(
    rf"\b(?:vanaf|tot(?:\s+en\s+met)?|t/m|tussen(?:\s+de)?|en|(?:leerlingen?|kind(?:eren)?|jongeren?)\s+van)\s+"
    rf"(?:\d+|{NUMBER_WORDS})(?:\s*(?:[–-]|tot|t/m|en)\s*\d+)?\s+jaar\b|"
    r"\b\d+\s*[–-]\s*\d+\s+jaar\b|\b(?:\d+|" + NUMBER_WORDS + r")\s+jaar\s+(?:oud|en\s+ouder)\b|"
    # A (didactic) age in months or years: "een didactische leeftijd heeft tussen 55 en 70 maanden".
    r"\bleeftijd\s+(?:(?:heeft|had|is|was|ligt|lag)\s+)?(?:van\s+|tussen\s+(?:de\s+)?)?\d+"
    r"(?:\s*(?:[–-]|tot|t/m|en)\s*\d+)?\s+(?:maanden|jaar)\b|"
    # The age at which something happens: "als ze 4 jaar zijn", "zodra hij 16 jaar wordt".
    r"\b(?:als|wanneer|zodra|tot|totdat|voordat|nadat)\s+(?:ze|zij|hij|het\s+kind|de\s+leerling|kinderen|leerlingen|"
    # (the clause ends there: "nadat hij 2 jaar is thuisgebleven" is a length of time).
    r"jongeren)\s+(?:\d+|" + NUMBER_WORDS + r")\s+jaar\s+(?:zijn|is|wordt|worden|was|waren|werd|oud)\b"
    r"(?=\s*(?:[,.;:!?)]|$))",
    re.IGNORECASE,
)
# What something lasts until: "leerplichtig tot en met het schooljaar ...", "totdat ...", "blijft
# verantwoordelijk tot een passende oplossing is gevonden" (not "leidt tot een melding").
UNTIL = re.compile(
    r"\btot\s+en\s+met\b|\btotdat\b|\b(?:blijft|blijven|duurt|duren|geldt|gelden|loopt|lopen|bewaar\w*)\b"
    r"[^.?!]{0,80}?\btot\s+(?:het\s+moment|een|de|het|dat|er|zij|hij|ze|zijn|haar)\b",
    re.IGNORECASE,
)


class _GivesLength:
    """What answers "hoe lang": a length of time that is not an age, or what it lasts until
    (a pattern's `search`, as DETAILS expects)."""

    @staticmethod
    def search(text: str) -> bool:
        return bool(UNTIL.search(text) or A_DURATION.search(AGE.sub(" ", text)))


class _InAsking:
    """A pattern searched in the sentences of a question that ask (see `asking`): "Ik weet
    niet hoe lang hij nog thuis blijft. Wie moet ik bellen?" does not ask how long."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern

    def search(self, question: str) -> re.Match | None:
        return self.pattern.search(asking(question))


GIVES_LENGTH = _GivesLength()
HOW_LONG = _InAsking(re.compile(r"\bhoe\s*lang\b", re.IGNORECASE))
# "In welk jaar ...?" asks for a year (not "vanaf welk jaar", an age, nor "in welk jaar zit hij", a grade).
WHICH_YEAR = _InAsking(re.compile(r"\b(?:in|sinds)\s+welk\s+jaar\b(?!\s+(?:zit|zitten|zat|groep))|\bwelke?\s+jaartal\b",
                                  re.IGNORECASE))
A_YEAR = re.compile(r"\b(19|20)\d{2}\b")
# "Hoe snel moet er een actietafel zijn?" asks for a term: "binnen 5 dagen", "direct", "zo
# spoedig mogelijk" (not a length of time in general: "na 8 weken" says what follows later,
# "als zij niet binnen 10 weken een besluit nemen" what follows a term that passed).
HOW_SOON = _InAsking(re.compile(r"\bhoe\s+(?:snel|vlot|spoedig|gauw)\b", re.IGNORECASE))
GIVES_TERM = re.compile(
    rf"(?<!\bniet\s)\b(?:binnen|uiterlijk)\s+(?:\d+|{NUMBER_WORDS})\s+(?:\w+\s+)?(?:uur|uren|\w*dagen|dag|\w*weken|week|maanden|maand)\b|"
    r"(?<!\bniet\s)\b(?:direct|meteen|onmiddellijk|dezelfde\s+dag|zo\s+(?:snel|spoedig)\s+(?:als\s+)?mogelijk)\b"
    r"(?!\s+betrokken)",
    re.IGNORECASE,
)
WORD = re.compile(r"\w+", re.UNICODE)
# A list item's number: "1.", "**1.**" or "1)" anywhere (quotes join their lines), "3.2" or
# "**3.4**" as a label; a count has no dot ("10 punten", "**25** thuiszitters", "1.200 leerlingen").
ITEM_NUMBER = re.compile(
    r"\*\*\d+(?:\.\d{1,2})*\.\*\*|\*\*\d+(?:\.\d{1,2})+\*\*|(?<![\w.,])\d+(?:\.\d{1,2})*\.(?=\s)|"
    r"(?<![\w.,(])\d+\)(?=\s)|^[ \t>*-]*\d+(?:\.\d{1,2})+(?!\d)(?=[ \t])",
    re.MULTILINE,
)
# "hoeveel thuiszitters", "hoeveel uur": the answer must count that noun.
# Words whose number names a part, not a count ("fase 1", "stap 3", "artikel 5").
LABEL_WORDS = {*LABEL_KINDS, "paragraaf", "artikel", "bijlage"}
COUNT_QUESTION = re.compile(r"\bhoeveel\s+(\w+)(?:\s+(\w+))?", re.IGNORECASE)
# "hoeveel gemiste schooltijd": an inflected adjective before the counted noun.
ADJECTIVE = re.compile(r"\w{3,}e", re.IGNORECASE)
# "hoeveel tijd / formatie": the answer counts in units, not in the noun itself.
MEASURE_UNITS = {
    "tijd": "uur uren dag dagen dagdelen week weken maand maanden jaar jaren minuten",
    "formatie": "fte uur uren",
    "uur": "uur uren",
    "dagen": "dag dagen dagdelen",
    "geld": "euro",
}
# A number and the counted noun with the words that describe it in between ("twee door het
# onderwijs en de gemeente gemandateerde leden"): within one clause, a phrase that opens with a
# preposition, then the noun right after an inflected adjective that is no determiner or
# quantifier ("In 3 gemeenten is voor iedere thuiszitter", "4 keer per jaar met verschillende
# leden" count nothing).
DESCRIBED_COUNT = (
    r"\b({numbers})\s+(?:door|van|uit|bij|met|in|op|voor|aan|onder|vanuit|namens)\b[^.;:!?()\n]{{0,80}}?"
    r"\s(?!(?:iedere|elke|deze|onze|welke|alle|andere|meerdere|verschillende|sommige|enkele|vele|beide|overige|"
    r"diverse|eerste|tweede|derde|vierde|vijfde|zesde|zevende|achtste|negende|tiende|laatste|\w+tigste)\s)"
    r"\w{{3,}}e\s+{noun}\b"
)
COUNT_NUMBERS = r"\d{1,3}|" + NUMBER_WORDS.replace("een|", "", 1)  # not "een", not a year
# Nouns the documents count under another name ("maximaal vier kinderen").
COUNTED_AS = {
    "leerlingen": "kinderen jongeren",
    "kinderen": "leerlingen jongeren",
}


@lru_cache(maxsize=256)  # asked again for every candidate quote of a "hoeveel" question
def asking(question: str) -> str:
    """The sentences of a question that ask ("...?", "...?!"); all of it when none does. What is
    told ("Niemand heeft zicht op hoeveel kinderen er thuiszitten.") asks for no count."""
    asked = [s for s in sentences(question) if is_asking(s)]
    return " ".join(asked) if asked else question


# A benefit (asked about, and named by the passage that answers: see DETAILS).
BENEFITS = re.compile(r"\b(kinderbijslag|kindgebonden\s+budget|\w*toeslag\w*|\w*uitkering\w*|studiefinanciering|SVB)\b",
                      re.IGNORECASE)
# A question about the state of things now: the documents set out agreements, not today's
# figures, so a rule's number ("Binnen vier weken ...") does not answer "Hoe lang is de
# wachtlijst nu?". It names the present (NOW), asks for a quantity that changes with time
# (STATE: a waiting list or time, a count of pupils, "het aantal"), and asks for no rule
# (RULE: a modal, a condition, a limit). "De leerling staat op de wachtlijst. Wat is nu de
# volgende stap?" and "Hoeveel uur onderwijs is momenteel verplicht?" ask for rules.
NOW = r"\b(?:op\s+dit\s+moment|momenteel|tegenwoordig|huidige|actuele?|nu)\b"
STATE = (r"\bhoe\s+(?:lang|groot)\s+(?:is|zijn|duurt|duren)\s+(?:de|het)\s+(?:\w+\s+)?(?:wachtlijst|wachttijd)|"
         r"\bwat\s+(?:is|zijn)\s+(?:\w+\s+){0,2}?(?:de|het)\s+(?:\w+\s+)?(?:wachtlijst|wachttijd|aantal|stand)\b|"
         r"\bhoeveel\s+(?:\w+\s+)?(?:thuiszitt\w*|leerlingen|kinderen|jongeren|meldingen|brugplaats\w*|plekken|plaatsen)\b")
RULE = (r"\b(?:mag|mogen|moet|moeten|mocht|mochten|dient|dienen|kan|kunnen|als|wanneer|indien|voordat|totdat|"
        r"grens|termijn|maximaal|minimaal|verplicht)\b")
ASKS_NOW = re.compile(rf"^(?=.*{NOW})(?=.*(?:{STATE}))(?!.*{RULE})", re.IGNORECASE | re.DOTALL)
# How long a waiting list is, is a state of affairs with or without "nu": a rule's number
# ("Binnen vier weken wordt duidelijk ...") does not answer "Hoe lang is de wachtlijst voor
# het SO?"; only a quote that puts a duration to a waiting list or time does. (With "nu"
# it asks for today's figures: ASKS_NOW.)
WAITING = r"\b(?:wachtlijst|wachttijd)\w*"
ASKS_WAIT = re.compile(rf"^(?!.*{NOW})(?=.*\bhoe\s+(?:lang|groot)\s+(?:is|zijn|duurt|duren)\s+(?:de|het|een)\s+"
                       rf"(?:\w+\s+)?{WAITING})(?!.*{RULE})", re.IGNORECASE | re.DOTALL)
# Details whose question also puts first a close candidate that gives them (see
# `_prefer_answering`); part of DETAILS.
RANKED_DETAILS = [(HOW_LONG, GIVES_LENGTH, "duur"), (WHICH_YEAR, A_YEAR, "jaartal")]
# "Hoe vraag ik een AV1 aan?", "Hoe regel ik een brugplaats?" ask for the route of a request:
# "De aanvraag van een AV1 gaat via de onderwijsspecialist ...", "aanmelden bij ...".
HOW_TO_REQUEST = _InAsking(re.compile(
    r"\bhoe\s+(?:vraag|vragen|vraagt)\s+(?:ik|je|jij|u|we|wij|ze|zij|hij|men)\b[^?.!]*?\baan\b(?!\s+te\b)|"
    r"\bhoe\s+(?:regel|regelen|regelt|organiseer|organiseren|organiseert)\b|"
    r"\bhoe\s+(?:kom|komen|komt)\s+(?:ik|je|jij|u|we|wij|ze|zij|hij|men)\s+aan\b", re.IGNORECASE))
GIVES_ROUTE = re.compile(r"\b(?:aanvra\w*|aangevraagd|aanmeld\w*|aangemeld|ingediend|indien(?:en|t))\b", re.IGNORECASE)
# What `_prefer_answering` also puts first, though its absence refuses nothing: a quote
# on what happens next may answer "hoe snel" without a term.
PREFERRED = [*RANKED_DETAILS, (HOW_SOON, GIVES_TERM, "termijn"), (HOW_TO_REQUEST, GIVES_ROUTE, "route")]
# Questions that ask for a detail only a quote that shows it can answer: a
# contact detail, an amount of money, opening hours, a penalty, a benefit,
# today's figures, a length of time, a year or a person's name (the documents
# name roles, not people).
# (asked, shown, what a refusal says the documents do not give)
DETAILS = [
    (re.compile(r"\b(e-?)?mail-?adres(sen)?\b|\bwat\s+is\s+(het|de|hun|zijn|haar)\s+e-?mail\b", re.IGNORECASE),
     re.compile(r"\S@\S"), "e-mailadressen"),
    # An amount of money ("Wat kost een brugplaats?"; not "Wie betaalt ...?", which a role answers).
    (re.compile(r"\b(wat|hoeveel)\s+(kost|kosten|verdient|verdienen)\b|\bhoe\s*duur\b|\bhoeveel\s+(geld|euro)\b|"
                r"\bhoe\s+hoog\s+(is|zijn|wordt|worden)\s+(de|het|die)\s+\w*(boete|vergoeding|bijdrage|kosten|prijs|"
                r"tarief|salaris|loon)\b|\b(wat|hoeveel|hoe\s+hoog)\s+(is|zijn|was|bedraagt)\s+(het|de)\s+"
                r"(uurtarief|uurloon|salaris|tarief|prijs)\b|\bper\s+uur\s+betaald\b",
                re.IGNORECASE),
     re.compile(r"€\s?\d|\bEUR\s?\d|\d\s*(euro|EUR)\b|\d,-|"
                r"\b(kosteloos|gratis|geen\s+kosten|zonder\s+kosten|voor\s+rekening\s+van)\b", re.IGNORECASE), "bedragen"),
    (re.compile(r"\b(openingstijden|openingstijd|openingsuren)\b", re.IGNORECASE),
     re.compile(r"\b\d{1,2}[:.]\d{2}\s*(uur|-|–|tot)"), "openingstijden"),
    # "Wanneer is de volgende bijeenkomst?" asks for a date on a calendar, which a
    # protocol only gives as a date or a day of the week.
    (re.compile(r"\b(wanneer|op\s+welke\s+(dag|datum))\s+(is|zijn|vindt|vinden|komt|komen|wordt|worden)\s+(de|het|ons|onze)\s+"
                r"(volgende|eerstvolgende|komende)\s+(bijeenkomst|vergadering|overleg|meeting|training|cursus|"
                r"informatieavond|sessie|spreekuur|inloop)\w*", re.IGNORECASE),
     re.compile(r"\b\d{1,2}(\s+|-)(januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
                r"december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec)\b|\b\d{1,2}[-/]\d{1,2}[-/]\d{2,4}\b|"
                r"\b(maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)\w*\b", re.IGNORECASE),
     "data van bijeenkomsten"),
    # "Hoe laat gaat de school uit?" asks for a clock time (not "hoe lang", not "te laat").
    (re.compile(r"\bhoe\s+laat\b(?!\s+(ik|je|jij|u|we|wij|hij|zij|ze|men|jullie)\b)", re.IGNORECASE),
     re.compile(r"\b(om|van|tot|vanaf|voor|na)\s+([01]?\d|2[0-3])[:.][0-5]\d\b|\b([01]?\d|2[0-3])[:.][0-5]\d\s*(uur|u)\b|"
                r"\bom\s+\d{1,2}\s+uur\b|\b(half|kwart\s+(over|voor))\s+(een|twee|drie|vier|vijf|zes|zeven|acht|negen|"
                r"tien|elf|twaalf)\b", re.IGNORECASE), "kloktijden"),
    # "Wie moet ik bellen?" asks for a role, "Op welk nummer bel ik ...?" for a number.
    (re.compile(r"\b(telefoonnummers?|telefoon|belnummer|(welk|het|hun|zijn|haar)\s+nummer)\b", re.IGNORECASE),
     re.compile(r"\b0\d{1,3}[- ]?\d{6,8}\b|\b0\d{2}[- ]?\d{3}[- ]?\d{4}\b"), "telefoonnummers"),
    (re.compile(r"\b(website|webadres|link|url)\b", re.IGNORECASE), re.compile(r"https?://|www\.|\w\.nl\b"),
     "websites"),
    # A penalty ("Welke straf krijgt een school die ...?"): only a passage that names one answers it.
    (re.compile(r"\b(welke|wat\s+voor(\s+een)?|wat\s+(is|zijn)\s+de)\s+(straf|strafmaatregel|sanctie|boete)\w*|"
                r"\b(straf|sanctie|boete)\w*\s+(krijgt|krijgen|volgt|volgen|staat|staan)\b|\b(gestraft|bestraft|beboet)\b",
                re.IGNORECASE),
     re.compile(r"\b(straf\w*|sancties?|boetes?|proces-verbaal|strafrechtelijk\w*|bestraft|beboet|gestraft)\b",
                re.IGNORECASE), "straffen of sancties"),
    # An objection or complaint procedure ("Kunnen ouders bezwaar maken tegen het doorzettingsbesluit?"):
    # only a passage that names one answers; one on the decision itself does not. (Not a health
    # complaint, "angstklachten", nor "een beroep doen op een vrijstelling".)
    (re.compile(r"\bbezwaar\w*|\bin\s+beroep\b|\bberoep\s+(?:aan\s*)?teken\w*|\baanvecht\w*|\bklagen\b|"
                r"\b(?:een|de|hun|zijn|haar)\s+klacht\b", re.IGNORECASE),
     re.compile(r"\bbezwaar\w*|\bin\s+beroep\b|\bberoepschrift\w*|\bklachten(?:regeling|commissie|procedure)\w*|"
                r"\bklacht\s+(?:in\s*)?dien\w*|\bombuds\w*|\bgeschillen\w*", re.IGNORECASE),
     "bezwaar- of klachtprocedures"),
    # Benefits ("Verliezen ouders kinderbijslag als hun kind spijbelt?"): the protocols never
    # name one, so only a passage that does answers (a passage on what parents lose otherwise
    # shares the question's other words).
    (BENEFITS, BENEFITS, "uitkeringen of toeslagen"),
    # Today's figures ("Hoe lang is de wachtlijst op dit moment?"): see ASKS_NOW.
    (ASKS_NOW, re.compile(r"\b(momenteel|op\s+dit\s+moment|peildatum|stand\s+per)\b", re.IGNORECASE), "actuele cijfers"),
    (ASKS_WAIT, re.compile(rf"{WAITING}[^.!?]*?(?:{DURATION_SPAN.pattern})|(?:{DURATION_SPAN.pattern})[^.!?]*?{WAITING}",
                           re.IGNORECASE), "wachttijden"),
    # "Hoe lang duurt het Herstart-arrangement?" asks for a duration: a passage that names the
    # arrangement but gives no length of time does not answer it. Nor does an age ("vanaf 4
    # jaar") answer "Hoe lang mogen wij verzuimgegevens bewaren?".
    *RANKED_DETAILS,
    (re.compile(r"\b(hoe\s+heet|wat\s+is\s+de\s+naam\s+van)\s+(de|het|onze|mijn)\s+\w*(ambtenaar|persoon|directeur|"
                r"consulent|begeleider|medewerker|coördinator|coordinator|arts)\b", re.IGNORECASE),
     re.compile(r"\b(mevrouw|meneer|dhr|mevr|mw)\b\.?|\b[A-Z][a-z]+ (van |de |van de )?[A-Z][a-z]+\b"),
     "namen van personen"),
]
# A sentence that opens by referring back to the one before it.
ANAPHOR = re.compile(
    r"^((Maar|En|Want|Dus|Ook)\s+)?(Zij|zij|Ze|ze|Hij|hij|Dit|dit|Deze|deze|Daarom|Daarbij|Daarvoor|Daarnaast|"
    r"Hiervoor|Hierbij|Hierin|Hiermee|Dat|Die|"
    # "Voor hen wordt er een beroep gedaan op een vrijstelling": who "hen" are, the sentence before says.
    r"(Voor|Bij|Met|Van|Aan|Over|Na|Naast|Door|Tegen)\s+(hen|hem|haar|hun|deze|die|dit|dat)(?=\s))\b"
)
COSINE_SLACK = 0.03  # how much further a quote with every asked word may embed (see `refusal_reason`)
NEGATION_WORDS = re.compile(r"\b(niet|geen|nooit|niemand|niets)\b", re.IGNORECASE)
NEGATION = 0.03  # 0.02 gains nothing on the tuning split, 0.03 and 0.05 the same one question
# A sentence that counts the asked noun may overtake a best this close. On the tuning
# split 0.12 to 0.30 give the same; 0.05 and 0.08 miss the count in a heading
# ("10 punten voor gemeenten ...") whose sentences score 0.107 below the best.
COUNT_MARGIN = 0.15
VAGUE_AMOUNT = {"aantal", "paar"}  # "een aantal uur" says there are hours, not how many
# When the best sentence covers too little of the question, one scored within NEAR_MARGIN of it
# that covers NEAR_COVERAGE_SHARE times the question's coverage floor (lower for a long question)
# answers instead (see `answer`). A margin of 0.03 lets a refusal through (p-235).
NEAR_MARGIN = 0.02
NEAR_COVERAGE_SHARE = 1.4
NUMBER_TOKEN = re.compile(rf"^(\d+([.,]\d+)?%?|{NUMBER_WORDS}|maximaal|minimaal|max|min)$", re.IGNORECASE)

REFUSAL = "Dat staat niet in de documenten die ik ken, dus daar kan ik geen betrouwbaar antwoord op geven."


class Answerer(Protocol):
    def answer(self, evidence: "Evidence") -> Answer: ...


@dataclass
class Evidence:
    """What retrieval found for one question, ready for an answerer."""

    question: str
    normalised: Normalised  # what was searched (abbreviations and phrasings expanded)
    query_vector: np.ndarray
    nodes: list[NodeWithScore]
    sentences: dict[str, list[SentenceRecord]]
    region: str | None = None
    named: list[str] = field(default_factory=list)  # regions the question names
    defined: list[Entry] = field(default_factory=list)  # glossary terms the question asks the meaning of
    # A chunk by id and a chunk's sentences by id, for passages beyond the retrieved ones
    # (the next step of a process, see next_step.py); None: not available.
    chunk: Callable[[str], BaseNode | None] | None = None
    chunk_sentences: Callable[[str], list[SentenceRecord]] | None = None
    # The chunks among `nodes` found only through their sentence nearest to the question
    # (see `HybridRetriever.near_sentences`).
    by_sentence: frozenset[str] = frozenset()


@dataclass
class Scored:
    record: SentenceRecord
    node: NodeWithScore
    rank: int
    cosine: float
    score: float
    whole_list: bool = False  # quoted with its whole list (see `quote_blocks`)
    defines: bool = False  # the sentence defines the term the question asks the meaning of


@dataclass
class Signals:
    """Absolute evidence strength for the refusal decision (see `refusal_reason`)."""

    cosine: float
    coverage: float
    oov_share: float
    places: tuple[str, ...]
    counts: bool = True  # False: a "hoeveel X" question whose quote has no number before X
    # The details the question asks for (e-mail address, phone number, ...) that the quote
    # lacks, as a refusal names them ("telefoonnummers").
    missing: tuple[str, ...] = ()
    defines: bool = False  # the quote defines the term the question asks the meaning of
    words: int = 0  # the question's length in words (see `refusal_reason`)
    # The region named whose documents cover primary education only, for a question about
    # secondary education (see sector.py).
    primary_only: str = ""

    @property
    def shows_detail(self) -> bool:
        return not self.missing


# A question that asks for the rule of every region.
EVERY_REGION = re.compile(
    r"\b(per\s+regio|in\s+(elke|iedere)\s+regio|(in\s+)?alle\s+regio['’]?s|in\s+de\s+verschillende\s+regio['’]?s)(?!\w)",
    re.IGNORECASE,
)


def _region_mentions(text: str, regions: list[str] | tuple[str, ...] = ()) -> list[tuple[int, int, str]]:
    """(start, end, region) of every word in `text` that names a region, by start
    (and region name where two start together: "Dordrecht Oost" and "Dordrecht").

    The built-in regions are recognised by their usual words ("Dordrecht",
    "Rotterdamse", "PPO"); other `regions` (of ingested documents) by their own name.
    """
    mentions = [
        (m.start(), m.end(), REGION_WORDS[m.group().lower()])
        for m in WORD.finditer(text)
        if m.group().lower() in REGION_WORDS
    ]
    for region in regions:
        if region in REGION_WORDS.values():
            continue
        for hit in re.finditer(rf"(?<!\w){re.escape(region)}(?!\w)", text, re.IGNORECASE):
            mentions.append((hit.start(), hit.end(), region))
    return sorted(mentions, key=lambda m: (m[0], m[2]))


def regions_named(question: str, regions: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Regions the question itself names, in order of mention; all `regions` when
    it asks for every region ("per regio", "in alle regio's")."""
    found: list[str] = []
    for _, _, region in _region_mentions(question, regions):
        if region not in found:
            found.append(region)
    if EVERY_REGION.search(question):
        # "Graag per regio": a comparison of every region, the named ones first.
        found += [r for r in regions if r not in found]
    return found


def without_regions(text: str, regions: list[str] | tuple[str, ...] = ()) -> str:
    """`text` without the words that name a region ("Utrechtse", "Dordrecht", "PPO").

    Where retrieval is filtered to a region, its name in the query only pulls
    towards passages that mention the name, and in a comparison towards the
    other region ("... in Rotterdam en in het Utrechtse vo?").
    """
    kept, position = [], 0
    for start, end, _ in _region_mentions(text, regions):
        kept.append(text[position:start])  # empty where mentions overlap
        position = max(position, end)
    kept.append(text[position:])
    return " ".join(" ".join(kept).split())


# -- quote blocks ------------------------------------------------------------

def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line in text."""
    spans, offset = [], 0
    for line in text.split("\n"):
        spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    return spans


def _line_at(lines: list[tuple[int, int]], offset: int) -> int:
    """Index of the line (see `_lines`) that holds `offset`."""
    return next(k for k, (s, e) in enumerate(lines) if s <= offset <= e)


def _is_item(text: str, line: tuple[int, int]) -> bool:
    return bool(BULLET.match(text[line[0] : line[1]]))


def _content_start(text: str, line: tuple[int, int]) -> int:
    lead = BULLET.match(text[line[0] : line[1]])
    return line[0] + (lead.end() if lead else 0)


def _list_after(text: str, lines: list, i: int) -> list[int]:
    """Indices of the list items directly following line i (blank lines allowed)."""
    items, j = [], i + 1
    while j < len(lines):
        body = text[lines[j][0] : lines[j][1]]
        if not body.strip():
            j += 1
            continue
        if not _is_item(text, lines[j]):
            break
        items.append(j)
        j += 1
    return items


def _labelled_list(text: str, lines: list, i: int) -> tuple[int, list[int]] | None:
    """The short label line ("Stappen meldcode:") after line i and the items of the
    list directly under it, when the next non-blank line is such a label."""
    j = next((k for k in range(i + 1, len(lines)) if text[lines[k][0] : lines[k][1]].strip()), None)
    if j is None:
        return None
    body = text[lines[j][0] : lines[j][1]].strip()
    if not body.endswith(":") or len(body) > 80 or HEADING.match(body) or _is_item(text, lines[j]):
        return None
    items = _list_after(text, lines, j)
    return (j, items) if items else None


def _indent(text: str, line: tuple[int, int]) -> int:
    return indent(text[line[0] : line[1]])


def _parent_item(text: str, lines: list, i: int) -> int | None:
    """Index of the list item that line i (an item) is nested under, if any."""
    own = _indent(text, lines[i])
    if own == 0:
        return None
    for j in range(i - 1, -1, -1):
        body = text[lines[j][0] : lines[j][1]]
        if not body.strip():
            continue
        if not _is_item(text, lines[j]):
            return None
        if _indent(text, lines[j]) < own:
            return j
    return None


def _descendants(text: str, lines: list, i: int) -> list[int]:
    """Indices of the items nested under item i, at any depth, in order."""
    own, found = _indent(text, lines[i]), []
    for k in range(i + 1, len(lines)):
        body = text[lines[k][0] : lines[k][1]]
        if not body.strip():
            continue
        if not _is_item(text, lines[k]) or _indent(text, lines[k]) <= own:
            break
        found.append(k)
    return found


def _first_depth(text: str, lines: list, items: list[int]) -> list[int]:
    """Of the lines `items` (a list, in order), those as deep as the first: the list's own items."""
    return [k for k in items if _indent(text, lines[k]) == _indent(text, lines[items[0]])]


def _children(text: str, lines: list, i: int) -> list[int]:
    """Indices of the items nested directly under item i."""
    return _first_depth(text, lines, _descendants(text, lines, i))


def _short_whole_list(text: str, lines: list, parent: int, i: int, whole: bool | None = None) -> list[int]:
    """The items nested under `parent`, for showing item i with them: [] when they are long,
    when item i introduces a list of its own (its items are what it says, see `quote_blocks`),
    or when the list may not be whole in this chunk (a cut list would look complete).
    `whole`: the text is the whole section, so the list is whole (see `ExtractiveAnswerer._shown`);
    None: the chunk alone tells (the list ends within it)."""
    nested = _children(text, lines, parent)
    own = text[lines[i][0] : lines[i][1]].rstrip()
    if not nested or (own.endswith(":") and _children(text, lines, i)):
        return []
    if sum(lines[k][1] - lines[k][0] for k in nested) > MAX_BLOCK_CHARS // 2:
        return []
    return nested if (_ends_within(text, lines, nested) if whole is None else whole) else []


def _ends_within(text: str, lines: list, nested: list[int]) -> bool:
    """Whether a nested list (the indices of its items) ends within the chunk: a line
    shallower than its items follows the last one (else it may go on in the next chunk)."""
    depth = _indent(text, lines[nested[0]])
    return any(_indent(text, lines[k]) < depth for k in range(nested[-1] + 1, len(lines))
               if text[lines[k][0] : lines[k][1]].strip())


def shows_part_of_list(text: str, record: SentenceRecord, blocks: list[tuple[int, int]], whole_list: bool = False) -> bool:
    """Whether `blocks` (what is quoted for the sentence, see `quote_blocks`) show a list
    without all its items: two or more but not all items of a shown line that introduces
    them (an item with items nested under it, a paragraph with a list after it), or one or
    more when that line is the quoted sentence's own ("Daarvoor neemt ... het volgende
    op:"); with `whole_list`, two or more but not all lines of the sentence's whole list.
    (One item under its introduction, for what the item says, shows no list.)"""
    lines = _lines(text)
    starts = {a for a, _ in blocks}

    def part(items: list[int], least: int) -> bool:
        shown = sum(_content_start(text, lines[k]) in starts for k in items)
        return least <= shown < len(items)

    i = _line_at(lines, record.start)
    for a, _ in blocks:
        k = _line_at(lines, a)
        if _is_item(text, lines[k]):
            items = _children(text, lines, k)
        else:  # (its list's own items, not the ones nested in them)
            after = _list_after(text, lines, k) or (_labelled_list(text, lines, k) or (0, []))[1]
            items = _first_depth(text, lines, after)
        if items and part(items, 1 if k == i else 2):
            return True
    return whole_list and _is_item(text, lines[i]) and _parent_item(text, lines, i) is None \
        and part(_top_list(text, lines, i), 2)


def _previous_sentence(text: str, line: tuple[int, int], start: int) -> int:
    """Start of the sentence before the one at `start`, within its paragraph line, as the
    sentence records split it (not at an abbreviation's full stop: "evt. andere partijen")."""
    body = _content_start(text, line)
    starts = [body + s for s, _ in line_sentences(text[body : line[1]]) if body + s < start]
    return starts[-1] if starts else body


def _run_start(text: str, lines: list, i: int) -> int:
    """The first line of the run of items and blank lines that line i ends."""
    start = i
    while start > 0 and (_is_item(text, lines[start - 1]) or not text[lines[start - 1][0] : lines[start - 1][1]].strip()):
        start -= 1
    return start


def _top_list(text: str, lines: list, i: int) -> list[int]:
    """The lines of the list that line i belongs to (nested items too), from its first
    item to the first line that is not an item."""
    items = []
    for k in range(_run_start(text, lines, i), len(lines)):
        body = text[lines[k][0] : lines[k][1]]
        if not body.strip():
            continue
        if not _is_item(text, lines[k]):
            break
        items.append(k)
    return items


# A line that labels what follows with a bold number, as a heading does: "**3.4** Tussenfase wachtlijst."
# (Not "**25** thuiszitters ...": a bold number without a dot counts, see ITEM_NUMBER.)
LABEL_LINE = re.compile(r"(?:\*\*\d+(?:\.\d{1,2})*\.\*\*|\*\*\d+(?:\.\d{1,2})+\*\*)[ \t]+[^\n]{1,60}")


def _label_line(text: str, lines: list, i: int) -> tuple[int, int] | None:
    """The label line right before the list of item i, when there is one (see LABEL_LINE)."""
    j = _run_start(text, lines, i) - 1  # as `_list_intro`: the run ends at a line that is no item or blank
    return lines[j] if j >= 0 and LABEL_LINE.fullmatch(text[lines[j][0] : lines[j][1]].strip()) else None


def _tasks(items: list[tuple[int, int]]) -> bool:
    """Whether list `items` is a few short items (tasks, not the steps of a procedure)."""
    return len(items) <= TASK_ITEMS and all(b - a <= TASK_CHARS for a, b in items)


def _whole_list(text: str, lines: list, i: int) -> list[tuple[int, int]]:
    """Every item (nested ones too) of the list that line i belongs to, or []
    when it is longer than MAX_BLOCK_CHARS."""
    items = _top_list(text, lines, i)
    if sum(lines[k][1] - lines[k][0] for k in items) > MAX_BLOCK_CHARS:
        return []
    return [(_content_start(text, lines[k]), lines[k][1]) for k in items]


def _next_line(text: str, lines: list, i: int, step: int = 1) -> int | None:
    """Index of the nearest non-blank line after (or, with step -1, before) line i."""
    k = i + step
    while 0 <= k < len(lines) and not text[lines[k][0] : lines[k][1]].strip():
        k += step
    return k if 0 <= k < len(lines) else None


def _prose_intro(text: str, lines: list, i: int) -> int | None:
    """The paragraph (its line index) that line i introduces, when line i is a paragraph
    ending in a colon followed by prose, not by a list ("Als de wachttijd ... langer is dan
    vier weken, geldt vanaf de vijfde week:" and what holds then)."""
    body = text[lines[i][0] : lines[i][1]].strip()
    if not body.endswith(":") or HEADING.match(body) or _is_item(text, lines[i]):
        return None
    k = _next_line(text, lines, i)
    if k is None:
        return None
    after = text[lines[k][0] : lines[k][1]].strip()
    # Not a list, a heading or another label ("Stappen meldcode:").
    return None if _is_item(text, lines[k]) or HEADING.match(after) or after.endswith(":") else k


def _list_intro(text: str, lines: list, i: int) -> tuple[int, int] | None:
    """The line that introduces the (top-level) list of item i, when there is one."""
    j = _run_start(text, lines, i) - 1
    intro = lines[j] if j >= 0 and not HEADING.match(text[lines[j][0] : lines[j][1]]) else None
    return intro if intro and introduces_list(text[intro[0] : intro[1]]) else None


def quote_blocks(
    text: str, record: SentenceRecord, whole_list: bool = False, siblings: bool = False,
    list_whole: bool | None = None,
) -> list[tuple[int, int]]:
    """The character ranges to quote for the best sentence `record` of chunk `text`.

    Hand-written because no library knows what a quote needs to stand on its
    own in these documents: a sentence with the rest of its paragraph (bounded),
    an introduction with the list it introduces, a list item with its
    introduction. With `whole_list`, a list item without a line introducing it
    (under a heading, "### PPO thuiszitter coördinatoren", or after a sentence
    that does not end in ":") is quoted with its whole list, when short enough:
    the question named the section, so the list is what it asked about. For the same
    reason the paragraph right under such a section's heading, quoted from its start,
    comes with the list after it (the two together within MAX_BLOCK_CHARS).
    With `siblings` (what an answer shows, not what is scored), a nested item comes
    with all the items of its short list: one item of "Duur van de plaatsing:" ("Na 4
    schoolweken tussenevaluatie") hides the rule its list states (8 weeks, then ...),
    when the list is known to be whole (`list_whole`, see `_short_whole_list`); and a
    sentence comes with the rest of a longer paragraph (up to MAX_BLOCK_CHARS, half of it
    for scoring): the rule it states often ends a sentence or two later ("... binnen 10
    weken ... . ... . Het team voorziet ... binnen 48 uur in een plan ...").
    """
    lines = _lines(text)
    i = _line_at(lines, record.start)
    line = lines[i]
    if _is_item(text, line):
        blocks = []
        parent = _parent_item(text, lines, i)
        if parent is not None:
            # A nested item: quote it under the item that introduces it.
            if introduces_list(text[lines[parent][0] : lines[parent][1]]):
                blocks.append((_content_start(text, lines[parent]), lines[parent][1]))
                if siblings and (nested := _short_whole_list(text, lines, parent, i, list_whole)):
                    return blocks + [(_content_start(text, lines[k]), lines[k][1]) for k in nested]
            elif lines[parent][1] - lines[parent][0] <= MAX_BLOCK_CHARS // 2:
                # An item that works out the step above it ("7. De school van herkomst zorgt dat
                # zij op de hoogte blijft ..." / "Wekelijks opvragen van stand van zaken ...")
                # says who does it only with that step.
                blocks.append((_content_start(text, lines[parent]), lines[parent][1]))
        else:
            # A list item: quote it with the line that introduces the list, when short enough.
            if intro := _list_intro(text, lines, i):
                blocks.append((_content_start(text, intro), intro[1]))
            elif whole_list and (whole := _whole_list(text, lines, i)):
                return whole
            elif siblings and (label := _label_line(text, lines, i)) and (whole := _whole_list(text, lines, i)) \
                    and _tasks(whole):
                # A short list of tasks under a numbered label ("**3.4** Tussenfase wachtlijst." /
                # "Je adviseert en denkt mee ..." / "Oplossingen buiten het onderwijs zijn niet jouw
                # verantwoordelijkheid."): the label says when, the list what is to be done.
                return [label] + whole
        blocks.append((record.start, max(record.end, line[1])))
        if text[line[0] : line[1]].rstrip().endswith(":"):
            # An item that introduces a nested list ("... als er sprake is van:"): its items are the
            # rule, with the items they introduce in turn ("4. Actietafel met:" ... "Doelen:" ...).
            # The item is quoted to its end whichever of its sentences was found ("Ontwerpen –
            # Ontwerp ... arrangementen ... . In een ontwerp is onder meer aandacht voor:").
            total = sum(b - a for a, b in blocks)
            for k in _descendants(text, lines, i):
                length = lines[k][1] - lines[k][0]
                if total + length > MAX_BLOCK_CHARS:
                    break
                blocks.append((_content_start(text, lines[k]), lines[k][1]))
                total += length
        return blocks
    # Prose: the sentence and the rest of its paragraph, bounded; a sentence that
    # refers back ("Zij zijn dan ook niet ...") starts at the one before it.
    start = record.start
    for _ in range(2):  # "De meeste ... 4 jaar zijn. Maar zij vallen ... Zij zijn dan ook ..."
        if not ANAPHOR.match(text[start:]) or start <= _content_start(text, line):
            break
        start = _previous_sentence(text, line, start)
    end = record.end
    if line[1] - start <= (MAX_BLOCK_CHARS if siblings else MAX_BLOCK_CHARS // 2):
        end = line[1]
    blocks = [(start, end)]
    before = _next_line(text, lines, i, -1)
    if before is not None and _prose_intro(text, lines, before) == i \
            and lines[before][1] - lines[before][0] <= MAX_BLOCK_CHARS // 2:
        # The paragraph a colon introduces holds under that introduction ("Als de wachttijd
        # ... korter is dan vier weken:"), as a list item does under its list's.
        blocks.insert(0, (lines[before][0], lines[before][1]))
    introduced = _prose_intro(text, lines, i) if end == line[1] else None
    if introduced is not None:
        # ... and the introduction is quoted with what it introduces: its first sentence,
        # or the whole paragraph when short enough.
        after = lines[introduced]
        first = re.search(r"[.!?](?=\s|$)", text[after[0] : after[1]])
        stop = after[1] if after[1] - start <= MAX_BLOCK_CHARS or not first else after[0] + first.end()
        return blocks + [(after[0], stop)]
    if (whole_list or siblings) and end == line[1] and start <= _content_start(text, line) \
            and (after := _next_line(text, lines, i)) is not None and _is_item(text, lines[after]) \
            and (before is None or HEADING.match(text[lines[before][0] : lines[before][1]])) \
            and (whole := _whole_list(text, lines, after)) \
            and end - start + sum(b - a for a, b in whole) <= MAX_BLOCK_CHARS \
            and (whole_list or _tasks(whole)):
        # The paragraph that opens a section the question names, and the list after it
        # ("### Fase 2 ..." / "Je bent aanwezig bij gesprek met ouders en school." / "- Inventariseert
        # wensen en behoeften ouders." ...): together they are what the section says. So they are
        # in an answer when the list is a few short items (tasks, not the steps of a procedure),
        # even when the question does not name the section.
        return blocks + whole
    if end == line[1] and introduces_list(text[record.start : end]):
        items = _list_after(text, lines, i)
        total = end - start
        if not items and (labelled := _labelled_list(text, lines, i)):
            # "Meldcode ... binnen de ondersteuningsroute:" / "Stappen meldcode:" / "1. Signaleren":
            # the introduction reaches its list through a label line.
            label, items = labelled
            blocks.append((lines[label][0], lines[label][1]))
            total += lines[label][1] - lines[label][0]
        for k in items:
            length = lines[k][1] - lines[k][0]
            if total + length > MAX_BLOCK_CHARS:
                break
            blocks.append((_content_start(text, lines[k]), lines[k][1]))
            total += length
    return blocks


def _lists(text: str, blocks: list[tuple[int, int]]) -> bool:
    """Whether `blocks` of `text` show (part of) a list: more than one, a list item among them."""
    lines = _lines(text)
    return len(blocks) > 1 and any(_is_item(text, lines[_line_at(lines, a)]) for a, _ in blocks)


def _one_per_paragraph(quotes: list[list[Quote]]) -> list[list[Quote]]:
    """Two quotes of one paragraph (one line of a passage) as one, in the document's order,
    with what lies between them, when that stays within MAX_BLOCK_CHARS.

    The sentences chosen one by one may be the first and the third of a paragraph
    ("De VO scholen in Stichtse Vecht ..." / "De aansluiting ... wordt vormgegeven door
    ..."): shown as two quotes, in the order they scored, they hide the sentence between
    them ("Op deze scholen is ... het Regionaal Bureau Leerplicht actief").
    """
    kept: list[list[Quote]] = []
    for group in quotes:
        q = group[0]
        if len(group) == 1 and len(q.parts) == 1 and len(q.starts) == 1 and not (q.lead or q.last_step):
            text = q.node.get_content()
            a, b = q.starts[0], q.starts[0] + len(q.parts[0])
            lines = _lines(text)
            line = lines[_line_at(lines, a)]
            for earlier in (e for g in kept for e in g):
                if earlier.node.node_id != q.node.node_id or len(earlier.starts) != len(earlier.parts) \
                        or earlier.lead or earlier.last_step:
                    continue  # (not into a quote shown as the next step)
                spots = [k for k, at in enumerate(earlier.starts) if line[0] <= at <= line[1]]
                if len(spots) != 1:
                    continue
                k = spots[0]
                start, end = min(a, earlier.starts[k]), max(b, earlier.starts[k] + len(earlier.parts[k]))
                if end - start <= MAX_BLOCK_CHARS and end <= line[1]:
                    earlier.parts[k], earlier.starts[k] = text[start:end], start
                    break
            else:
                kept.append(group)
            continue
        kept.append(group)
    return kept


def _without_repeats(quotes: list[list[Quote]]) -> list[list[Quote]]:
    """The quotes (each with the quotes going on with its list) without one that an earlier
    one repeats, or a plain one that another quote of the same passage, or a list shown
    across passages, shows in full (two quotes come to one chunk when a list is shown from
    the chunk that has it)."""
    shown = [{p for q in group for p in q.parts} for group in quotes]

    def repeated(i: int, group: list[Quote]) -> bool:
        if group in quotes[:i]:
            return True
        if len(group) > 1 or group[0].lead or group[0].last_step:
            return False
        q = group[0]
        return any(j != i and set(q.parts) <= parts and (set(q.parts) < parts or j < i)
                   and (len(other) > 1 or other[0].node.node_id == q.node.node_id)
                   for j, (other, parts) in enumerate(zip(quotes, shown)))
    return [group for i, group in enumerate(quotes) if not repeated(i, group)]


def _step_name(text: str, start: int) -> str:
    """" stap 6" when the sentence at `start` is in the list item numbered 6, else ""."""
    match = STEP_ITEM.match(text, text.rfind("\n", 0, start) + 1)
    return f" stap {match.group(1)}" if match else ""


def _same_head(word: str, asked: str) -> bool:
    """The same stem, or compounds sharing their head ("actiepunt" / "punt")."""
    if word == asked:
        return True
    short, long = sorted((word, asked), key=len)
    return len(short) >= 4 and long.endswith(short)


def _repeats(words: list[str], other: list[str], share: float = 0.8) -> bool:
    """Whether most of a quote's words already stand in another quote (a rule
    repeated in a second passage, e.g. a role list and a process step). A
    sentence with a number the other lacks is another rule, however alike
    ("ca. 6 weken" for the KDC brugplaats, "maximaal 8 weken" for the SBO one)."""
    if not words:
        return True
    known = set(other)
    if any((w[0].isdigit() or w in DIGITS) and w not in known for w in words):
        return False
    return sum(w in known for w in words) >= share * len(words)


# How a refusal names a place the documents do not cover (the lexicon keeps one word of it).
PLACE_NAMES = {"haag": "Den Haag"}


def explain_refusal(s: Signals) -> str:
    """What a refusal can say, in Dutch, about why the documents do not answer."""
    if s.places:
        places = " en ".join(PLACE_NAMES.get(p, p.capitalize()) for p in s.places)
        return f"De documenten die ik ken gaan niet over {places}."
    if s.primary_only:
        where = REGION_PHRASE.get(s.primary_only, f"In {s.primary_only}")
        return (f"{where} gaan de documenten die ik ken alleen over het primair onderwijs, "
                "niet over het voortgezet onderwijs.")
    # Only the best passage was checked for the detail, so the refusal says no more than that.
    if s.missing:
        return f"De passage die het best bij de vraag past, noemt geen {' of '.join(s.missing)}."
    if not s.counts:
        return "De passage die het best bij de vraag past, noemt daar geen aantal."
    return ""



class ExtractiveAnswerer:
    """Quotes the best-supported passages; refuses below the calibrated floors."""

    def __init__(self, settings: Settings, lexicon: Lexicon | None = None):
        self.settings = settings
        self.lexicon = lexicon or Lexicon()
        # Caches keyed by chunk id + offsets; chunk ids change when their text changes.
        self._stems: dict[tuple, set[str]] = {}
        self._block_cache: dict[tuple[str, int, bool, bool], list[tuple[int, int]]] = {}
        self._section_stems: dict[str, set[str]] = {}
        self._word_cache: dict[str, set[str]] = {}  # grows with the corpus vocabulary only

    # -- scoring -----------------------------------------------------------
    def _score(self, evidence: Evidence, terms: QuestionTerms, named: list[str]) -> list[Scored]:
        """Score each sentence by what would be quoted for it (its block, see `quote_blocks`):
        the best cosine among the block's sentences, the block's lexical coverage, and
        whether the block holds a number for a quantity question."""
        quantity = bool(QUANTITY_QUESTION.search(evidence.question))
        when = bool(WHEN_QUESTION.search(evidence.question))
        duration = bool(DURATION_QUESTION.search(evidence.question))
        frequency = bool(FREQUENCY_QUESTION.search(evidence.question))
        asked = terms.stems()
        negated = bool(NEGATION_WORDS.search(evidence.question))
        scored: list[Scored] = []
        seen_per_region: dict[str, int] = {}
        near_floor = self.settings.min_coverage * NEAR_SENTENCE_COVERAGE_SHARE
        labels = [label_pattern(label) for label in evidence.normalised.labels]
        defined = {entry.stems for entry in evidence.defined}
        for node in evidence.nodes:
            region = node.node.metadata.get("region")
            rank = seen_per_region.get(region, 0)  # rank within its region's retrieval
            seen_per_region[region] = rank + 1
            records = evidence.sentences.get(node.node.node_id, [])
            if not records:
                continue
            section = node.node.metadata.get("section", "")
            whole_list = self._names_section(asked, section)
            # What holds for the whole passage, decided once for its sentences.
            in_named = region in named
            labelled = any(label.search(section) for label in labels)
            by_sentence = node.node.node_id in evidence.by_sentence
            vectors = np.asarray([r.vector for r in records], dtype=np.float32)
            cosines = vectors @ evidence.query_vector
            text = node.node.get_content()
            for record, cosine in zip(records, cosines):
                blocks = self._block_ranges(node.node.node_id, text, record, whole_list)
                best_cos = float(cosine)
                block_text = " ".join(text[a:b] for a, b in blocks)
                stems = self._block_stems(node.node.node_id, text, record, whole_list, block_text, section)
                coverage = terms.coverage(self.lexicon, stems)
                if coverage < near_floor and by_sentence:
                    continue
                score = best_cos + LEXICAL * coverage + PRIOR / (1 + rank)
                if quantity and NUMBER_SPAN.search(block_text):
                    score += NUMBER
                if when and CONDITION_WORDS.search(block_text):
                    score += CONDITION
                if duration and DURATION_SPAN.search(block_text):
                    score += DURATION
                if frequency and FREQUENCY_SPAN.search(block_text):
                    score += FREQUENCY
                if in_named:
                    score += REGION
                if labelled:
                    score += LABEL
                if negated and NEGATION_WORDS.search(block_text):
                    score += NEGATION
                defining = bool(defined) and defines(record.text, defined, self.lexicon.stems)
                if defining:
                    score += DEFINITION
                scored.append(Scored(record, node, rank, float(cosine), score, whole_list, defining))
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def _block_ranges(
        self, chunk_id: str, text: str, record: SentenceRecord, whole_list: bool = False, siblings: bool = False
    ) -> list[tuple[int, int]]:
        key = (chunk_id, record.start, whole_list, siblings)
        if key not in self._block_cache:
            self._block_cache[key] = quote_blocks(text, record, whole_list, siblings)
        return self._block_cache[key]

    def _names_section(self, asked: set[str], section: str) -> bool:
        """Whether the question names what the passage's section is about: at least
        half of its heading path's words ("Wie doet wat? School > Fase 0 Voortraject")."""
        if section not in self._section_stems:
            self._section_stems[section] = self.lexicon.stems(section)
        heading = self._section_stems[section]
        return bool(heading) and len(heading & asked) >= SECTION_SHARE * len(heading)

    def _block_stems(
        self, chunk_id: str, text: str, record: SentenceRecord, whole_list: bool, block_text: str, section: str
    ) -> set[str]:
        """The stems that count for a sentence's coverage: what would be quoted for it, its
        heading path ("Fase 0 Voortraject" says what its list is about) and, in a numbered
        list, its step ("stap 6"). Keyed like `_block_ranges`: the chunk id, the sentence and
        `whole_list` decide all three."""
        key = (chunk_id, record.start, whole_list)
        if key not in self._stems:
            # An item's own number ("**3.2**") is no number the question can ask about ("fase 2").
            self._stems[key] = self.lexicon.passage_stems(ITEM_NUMBER.sub(" ", block_text) + "\n" + section
                                                          + _step_name(text, record.start))
        return self._stems[key]

    def _blocks(self, s: Scored) -> list[tuple[int, int]]:
        return self._block_ranges(s.node.node.node_id, s.node.node.get_content(), s.record, s.whole_list)

    def _shown_blocks(self, s: Scored) -> list[tuple[int, int]]:
        """What the chunk of `s` shows for it: its blocks, a nested item with its short list."""
        return self._block_ranges(s.node.node.node_id, s.node.node.get_content(), s.record, s.whole_list, True)

    def signals(self, evidence: Evidence, terms: QuestionTerms, ranked: list[Scored]) -> Signals:
        """The absolute evidence for the best sentence and its quote."""
        if not ranked:
            return Signals(0.0, 0.0, terms.oov_share(self.lexicon), tuple(sorted(terms.places)))
        best = ranked[0]
        quoted = self._quote_text(best)
        meta = best.node.node.metadata
        missing = tuple(name for asked, shown, name in DETAILS if asked.search(evidence.question) and not shown.search(quoted))
        stems = self.lexicon.passage_stems(" ".join([ITEM_NUMBER.sub(" ", quoted), meta.get("section", ""),
                                                     meta.get("title", "")]), heads=True)
        return Signals(
            cosine=best.cosine,
            coverage=terms.coverage(self.lexicon, stems),
            oov_share=terms.oov_share(self.lexicon),
            places=tuple(sorted(terms.places)),
            counts=self._counts_asked_noun(evidence.question, self._shown_text(best)),
            missing=missing,
            defines=best.defines,
            words=len(WORD.findall(evidence.question)),
        )

    def _counts_asked_noun(self, question: str, quoted: str) -> bool:
        """For "hoeveel X" (or "hoeveel <adjective> X"): does the quote put a number
        (within three words) before X or a name it is counted under ("leerlingen":
        "vier kinderen"), before a unit of X or of X's head ("hoeveel (school)tijd":
        "twee weken", "een week") or before a compound ending in X's head
        ("actiepunten": "10 punten")? The article "een" counts only units."""
        match = COUNT_QUESTION.search(asking(question))
        if not match:
            return True
        nouns = [match.group(1).lower()]
        if match.group(2) and ADJECTIVE.fullmatch(nouns[0]):
            nouns.append(match.group(2).lower())  # "gemiste schooltijd" (or "formatie krijgt")
        # A list item's number ("**1.** (Dreigende) thuiszitter ...") counts nothing.
        plain_text = ITEM_NUMBER.sub(" ", quoted).replace("%", " procent ")
        words = WORD.findall(plain_text)
        stems = [self._word_stems(w) for w in words]
        checked = False
        for noun in nouns:
            # A compound counts in its head's units ("schooltijd": weken, dagen, ...).
            units = self.lexicon.stems(next((u for head, u in MEASURE_UNITS.items() if noun.endswith(head)), ""))
            counted = self.lexicon.stems(" ".join([noun, COUNTED_AS.get(noun, "")]))
            if not counted | units:
                continue  # a function word ("hoeveel formatie is er": "is")
            checked = True
            for i, word_stems in enumerate(stems):
                # A label's number ("Fase 1 Melding thuiszitter", "artikel 5") counts nothing.
                # Nor does the "een" of "een aantal uur" or "een paar weken", which leave the number open.
                before = [w for j, w in enumerate(words[max(0, i - 3) : i], start=max(0, i - 3))
                          if not (j and words[j - 1].lower() in LABEL_WORDS)
                          and not (w.lower() == "een" and VAGUE_AMOUNT & {x.lower() for x in words[j + 1 : i]})]
                unit = any(_same_head(w, a) for w in word_stems for a in units)
                if unit:
                    numbers = before  # "binnen een week"
                elif any(_same_head(w, a) for w in word_stems for a in counted):
                    numbers = [w for w in before if w.lower() != "een"]  # "een leerling" counts nothing
                else:
                    continue
                if any(NUMBER_TOKEN.match(w) for w in numbers):
                    return True
                if not unit and re.search(DESCRIBED_COUNT.format(numbers=COUNT_NUMBERS, noun=re.escape(words[i])),
                                          plain_text, re.IGNORECASE):
                    return True  # further back, before the words that describe what it counts
        if checked:
            return False
        # No asked word is a noun (each is a function word, so none was checked): "Hoeveel mag een
        # leerling missen?". A count answers (not "een", a year, "min" or a label's number,
        # "artikel 5"), none does not.
        return any(re.fullmatch(COUNT_NUMBERS, w, re.IGNORECASE) and not (j and words[j - 1].lower() in LABEL_WORDS)
                   for j, w in enumerate(words))

    def _word_stems(self, word: str) -> set[str]:
        """One word's stems, cached: "hoeveel X" checks every candidate quote word by word."""
        if word not in self._word_cache:
            self._word_cache[word] = self.lexicon.stems(word)
        return self._word_cache[word]

    def _prefer_answering(self, question: str, ranked: list[Scored], named: list[str] = ()) -> list[Scored]:
        """For "hoeveel X", put first the best sentence whose quote counts X, when it
        scores close to the best (the best may talk about X without a number); for "hoe
        lang", the best whose quote gives a length of time (or what it lasts until); for "hoe
        snel", the best that gives a term ("binnen 5 dagen", "direct"); for "in welk jaar",
        the best that gives a year; for "hoe vraag ik ... aan", the best that gives the route
        of a request ("De aanvraag van een AV1 gaat via ..."). A comparison does so in each named region,
        whose best is quoted whatever its score (see `_select`)."""
        if not ranked:
            return ranked
        shown = next((shown for asked, shown, _ in PREFERRED if asked.search(question)), None)
        if COUNT_QUESTION.search(asking(question)):
            answers = lambda s: self._counts_asked_noun(question, self._shown_text(s))  # noqa: E731
        elif shown is not None:
            answers = lambda s: bool(shown.search(self._quote_text(s)))  # noqa: E731
        else:
            return ranked
        ranked = self._first_answering(ranked, answers)
        if len(named) > 1:
            out = list(ranked)
            for region in named:
                places = [i for i, s in enumerate(out) if s.node.node.metadata.get("region") == region]
                for i, s in zip(places, self._first_answering([out[i] for i in places], answers)):
                    out[i] = s
            return out
        return ranked

    def _near_covering(self, evidence: Evidence, terms: QuestionTerms, ranked: list[Scored], signals: Signals
                       ) -> tuple[list[Scored], Signals]:
        """`ranked` with first the best candidate within NEAR_MARGIN of the best that covers
        NEAR_COVERAGE_SHARE times the question's coverage floor and passes every other check; unchanged
        when there is none."""
        least = self._coverage_floor(signals.words) * NEAR_COVERAGE_SHARE
        # A detail the question asks for ("hoe lang") the sentence itself gives, not a list
        # it introduces: "Afspraken t.a.v. de brugplaatsing:" with "vier schoolweken lang"
        # among its items is no answer to how long a brugplaatsing lasts.
        asked = [shown for ask, shown, _ in DETAILS if ask.search(evidence.question)]
        # From the best score, in score order: `ranked` may lead with a candidate put first
        # for what it gives (see `_prefer_answering`), scored up to COUNT_MARGIN lower.
        top = max(s.score for s in ranked)
        for s in sorted(ranked[1:], key=lambda c: c.score, reverse=True):
            if s.score < top - NEAR_MARGIN:
                break
            near = replace(self.signals(evidence, terms, [s]), primary_only=signals.primary_only)
            if (near.coverage >= least and not self.refusal_reason(near)
                    and all(shown.search(s.record.text) for shown in asked)):
                return [s] + [c for c in ranked if c is not s], near
        return ranked, signals

    @staticmethod
    def _first_answering(ranked: list[Scored], answers: Callable[[Scored], bool]) -> list[Scored]:
        """`ranked` with its best answering candidate first, when it scores within COUNT_MARGIN."""
        for i, s in enumerate(ranked):
            if s.score < ranked[0].score - COUNT_MARGIN:
                break
            if answers(s):
                return [s] + ranked[:i] + ranked[i + 1 :] if i else ranked
        return ranked

    def _coverage_floor(self, words: int) -> float:
        # A question that tells a situation first ("Na het gesprek met de ouders komt Sem weer
        # gewoon elke dag naar school ... Moeten we nog iets afronden?") holds more than one
        # passage answers: past COVERAGE_WORDS words the floor falls with its length, to half of it.
        length = max(0.5, min(1.0, COVERAGE_WORDS / words)) if words else 1.0
        return self.settings.min_coverage * length

    def refusal_reason(self, s: Signals) -> str | None:
        if s.places:
            return f"no document for {', '.join(s.places)}"
        if s.primary_only:
            return f"the documents for {s.primary_only} cover primary education only"
        full = s.coverage >= 1.0 and s.oov_share == 0.0
        if s.cosine < self.settings.min_sentence_cosine - (COSINE_SLACK if full else 0.0):
            # A short sentence embeds far from a longer question ("School van inschrijving
            # is en blijft degene die de regie heeft.", 0.783): a quote that, with its heading,
            # holds every word the question is about may embed a little further away.
            return "best sentence too far from the question"
        if s.coverage < self._coverage_floor(s.words) * (DEFINES_COVERAGE_SHARE if s.defines else 1.0):
            # The definition of the very term asked about answers "is hij dan een
            # thuiszitter?" though it shares fewer of the question's other words; not a
            # question that only names the term ("Wanneer is een thuiszitter jarig?").
            return "the passage covers too little of the question"
        if s.oov_share > self.settings.max_unknown_share:
            return "the question is about words the documents never use"
        if not s.shows_detail:
            return "the question asks for a detail (address, number, name) the passage does not give"
        if not s.counts:
            return "the question asks how many, the passage gives no such number"
        return None

    # -- selection ---------------------------------------------------------
    def _select(self, ranked: list[Scored], named: list[str]) -> list[Scored]:
        """The best sentence, plus each other region's best when it scores close
        (rules differ per region), plus close seconds within a chosen region; for
        a comparison, one per named region whatever its score, and room for a
        close second in each. A quote that says what an already chosen one says
        (the same rule repeated in another passage) is skipped."""
        best = ranked[0]
        # A comparison may need two rules per region (e.g. an age range and its exception).
        limit = max(self.settings.max_quotes, 2 * len(named) if len(named) > 1 else 0)
        chosen: list[Scored] = []
        quoted: list[list[str]] = []
        region_best: dict[str, float] = {}

        def region_of(s: Scored) -> str:
            return s.node.node.metadata.get("region", "")

        def take(s: Scored) -> None:
            chosen.append(s)
            quoted.append(self._quoted_words(s))
            region_best.setdefault(region_of(s), s.score)

        for region in named:  # a comparison: each named region's best, whatever its score
            first = next((s for s in ranked if region_of(s) == region), None)
            if first is not None:
                take(first)
        # Then best first: another region's best when close to the overall best,
        # a second when close to its own region's best.
        for s in ranked:
            if len(chosen) >= limit:
                break
            if any(s is c for c in chosen):
                continue
            if len(named) > 1 and sum(region_of(c) == region_of(s) for c in chosen) >= 2:
                continue  # a comparison: at most two rules per region, so each gets its room
            own_best = region_best.get(region_of(s))
            floor = best.score - REGION_MARGIN if own_best is None else own_best - SECOND_MARGIN
            if s.score < floor:
                continue
            if any(s.node.node.node_id == c.node.node.node_id and self._overlap(s, c) for c in chosen):
                continue  # already quoted as part of that passage's block
            said = any(_repeats(WORD.findall(s.record.text.lower()), q) for q in quoted)
            if said and s.whole_list and len(self._blocks(s)) > 1:
                # In a section the question names, the sentence comes with the section's list
                # ("Je bent aanwezig bij gesprek ..." and what the SCP then does): new if that is.
                said = any(_repeats(self._quoted_words(s), q) for q in quoted)
            if said:
                continue  # the sentence that earned its place is already quoted
            take(s)
        if len(named) > 1:
            # A comparison is answered in the order the question names the regions.
            order = {region: i for i, region in enumerate(named)}
            chosen.sort(key=lambda c: order.get(region_of(c), len(named)))
        return chosen

    def _with_definition(self, chosen: list[Scored], ranked: list[Scored], evidence: Evidence) -> list[Scored]:
        """A question that asks what a term means ("wat is het BREN waar ...") is
        answered by the sentence that defines it, even when a sentence sharing more
        of the question's other words scores higher: quote the best definition
        from a chosen region first, unless a chosen quote already holds one."""
        regions = {c.node.node.metadata.get("region") for c in chosen}
        best = next((s for s in ranked if s.defines and s.node.node.metadata.get("region") in regions), None)
        if best is None or any(
            c.defines or (c.node.node.node_id == best.node.node.node_id and self._overlap(c, best)) for c in chosen
        ):
            return chosen  # already quoted, as a chosen sentence or within a chosen quote's block
        return ([best] + chosen)[: max(self.settings.max_quotes, len(chosen))]

    def _overlap(self, a: Scored, b: Scored) -> bool:
        return any(x < w and v < y for x, y in self._blocks(a) for v, w in self._blocks(b))

    def _quote_text(self, s: Scored) -> str:
        """What would be quoted for `s`: its blocks, joined."""
        text = s.node.node.get_content()
        return " ".join(text[a:b] for a, b in self._blocks(s))

    def _shown_text(self, s: Scored) -> str:
        """The quote with the heading the answer shows it under ("onder „10 punten
        voor gemeenten”: ..."), which can carry the count a question asks for."""
        heading = shown_heading(s.node.node.metadata.get("section", ""))
        # "3.3 Doe-agenda thuiszitters" is numbered, not counted; "10 punten voor ..." counts.
        heading = re.sub(r"^\s*\d+(\.\d+)*\.?\s+(?=[A-Z])", "", heading)
        return self._quote_text(s) + "\n" + heading

    def _quoted_words(self, s: Scored) -> list[str]:
        return WORD.findall(self._quote_text(s).lower())

    # -- answer ------------------------------------------------------------
    def answer(self, evidence: Evidence) -> Answer:
        # Abbreviations count once, met by either form (see `Lexicon.question_terms`).
        searched = evidence.normalised
        # A next-step question is about the situation it describes, not about "de volgende stap".
        next_question = asks_next_step(evidence.question)
        said = situation(searched.text, self.lexicon.region_words) if next_question else searched.text
        text = f"{said} ({'; '.join(searched.phrases)})" if searched.phrases else said
        terms = self.lexicon.question_terms(text, aliases=searched.abbreviations, understood=searched.understood,
                                            spelled_out=searched.spelled)
        named = evidence.named
        scored = self._score(evidence, terms, named)
        ranked = self._prefer_answering(evidence.question, scored, named)
        primary_only = ""
        if asks_secondary(evidence.question):
            # A po protocol's rules are not those of a secondary school: only passages from
            # documents that cover the vo answer; a named region that has none is refused.
            ranked = [s for s in ranked if covers_secondary(s.node.node.metadata)]
            scored = [s for s in scored if covers_secondary(s.node.node.metadata)]
            # The region searched: the one chosen in the app, else the one the question names.
            scope = [evidence.region] if evidence.region else named
            found = [n for n in evidence.nodes if n.node.metadata.get("region") == scope[0]] if len(scope) == 1 else []
            if found and not any(covers_secondary(n.node.metadata) for n in found):
                primary_only = scope[0]
        signals = replace(self.signals(evidence, terms, ranked), primary_only=primary_only)
        if ranked and ranked[0] is not scored[0] and self.refusal_reason(signals):
            # A close candidate put first for giving what is asked ("binnen 5 dagen", "de
            # aanvraag gaat via ...") does not turn an answer into a refusal: when it would be
            # refused and the best one would not, the best one leads.
            best = replace(self.signals(evidence, terms, scored), primary_only=primary_only)
            if not self.refusal_reason(best):
                ranked, signals = scored, best
        if ranked and signals.coverage < self.settings.min_coverage and self.refusal_reason(signals):
            # The best sentence may embed closest for a name or a situation the question
            # tells ("Welke rol zien Ingrado en Gedragswerk ... voor werkgevers?": "Ingrado en
            # Gedragswerk ondersteunen gemeenten ..."), while one nearly as close covers well
            # what is asked ("Samenwerken met regionale werkgevers ..."): that one answers.
            ranked, signals = self._near_covering(evidence, terms, ranked, signals)
        if not ranked or self.refusal_reason(signals):
            return self.refuse(evidence, why=explain_refusal(signals))
        chosen = self._select(ranked, named)
        if evidence.defined and len(named) <= 1:  # a comparison keeps its order per region
            chosen = self._with_definition(chosen, ranked, evidence)
        after, last = self._next_steps(chosen, evidence) if next_question else ({}, set())
        if after:
            # A quote the next step holds in full is not quoted twice (a chunk may end inside the step).
            steps = [self._quoted_words(step) for branches in after.values() for step in branches]
            chosen = [c for c in chosen if id(c) in after or not any(_repeats(self._quoted_words(c), w) for w in steps)]
        quotes: list[list[Quote]] = []  # a quote, with the quotes going on with its list
        sections: dict[str, Section | None] = {}
        for s in chosen:
            self._add_quote(quotes, self._shown(s, evidence, sections), last_step=id(s) in last)
            for k, step in enumerate(after.get(id(s), ())):
                # The step after it, without the list introduction the quote before already
                # shows; then the other branches numbered like it ("Of").
                self._add_quote(quotes, self._shown(step, evidence, sections),
                                lead=NEXT_STEP_LEAD if k == 0 else ALTERNATIVE_LEAD,
                                last_step=id(step) in last, new_only=True)
        return compose(evidence.question, [q for group in _without_repeats(_one_per_paragraph(quotes)) for q in group])

    @staticmethod
    def _add_quote(quotes: list[list[Quote]], shown: tuple[list[tuple[BaseNode, list[tuple[int, int]]]], bool],
                   lead: str = "", last_step: bool = False, new_only: bool = False) -> None:
        """Append the quote `shown` (see `_shown`): its first chunk's parts, then those of the
        chunks its list goes on in; with `new_only`, without the parts the quote before shows."""
        pieces, part_of_list = shown
        seen = [p for q in quotes[-1] for p in q.parts] if new_only and quotes else []
        group = []
        for n, (node, ranges) in enumerate(pieces):
            text = node.get_content()
            if n == 0:  # the introduction the quote before shows (or all of it: a chunk's overlap)
                while ranges and text[ranges[0][0] : ranges[0][1]] in seen:
                    ranges = ranges[1:]
            if ranges:
                group.append(Quote(node=node, parts=[text[a:b] for a, b in ranges], starts=[a for a, _ in ranges],
                                   lead=lead if not group else LIST_GOES_ON_LEAD))
        if group:
            group[0].last_step, group[-1].part_of_list = last_step, part_of_list
            quotes.append(group)

    def _shown(self, s: Scored, evidence: Evidence, sections: dict[str, Section | None]
               ) -> tuple[list[tuple[BaseNode, list[tuple[int, int]]]], bool]:
        """What the answer shows for `s`: [(chunk, ranges of its text)], and whether that is
        only part of a list it shows.

        A chunk may cut a list off at either end ("Doelen:" with three of its four aims,
        the splitter's overlap and `ListIntroCarry` repeating only some lines), so the quote
        is made in the section's whole text (see section.py), where the list is whole, and
        shown from the chunk that has it, or from consecutive chunks ("De lijst gaat
        verder") when none has it all. That quote is used when it shows at least what the
        chunk's own quote (what was scored) shows; else the chunk's own quote is shown, and
        said to be part of a list when its list is longer. Without the section (a chunk
        without offsets), the chunk's own quote of a list is said to be part of it: its
        chunk cannot tell."""
        node = s.node.node
        text = node.get_content()
        local = self._shown_blocks(s)
        own = [(node, local)]
        if evidence.chunk is None:
            return own, False  # (no chunks to look at: the answerer alone)
        key = section_of(node.node_id)
        if key not in sections:
            sections[key] = rebuild(node, evidence.chunk)
        section = sections[key]
        at = section.position(node.node_id, s.record.start) if section else None
        mapped = [section.position(node.node_id, a) for a, _ in local] if at is not None else [None]
        if None in mapped or section.text[at : at + len(s.record.text)] != text[s.record.start : s.record.end]:
            return own, _lists(text, local)
        mapped = [(a, a + y - x) for a, (x, y) in zip(mapped, local)]
        record = replace(s.record, start=at, end=at + s.record.end - s.record.start)
        wide = quote_blocks(section.text, record, s.whole_list, siblings=True, list_whole=True)
        blocks, groups = mapped, section.place(mapped, prefer=node.node_id)
        if all(any(a <= x and y <= b for a, b in wide) for x, y in mapped):
            placed = section.place(wide, prefer=node.node_id)
            # Across chunks only a list that goes on: not an introduction far from its item.
            if placed and (len(placed) == 1 or len(placed[0][1]) > 1 or wide[0][0] <= at < wide[0][1]):
                blocks, groups = wide, placed
        if not groups:
            return own, _lists(text, local)
        part_of_list = shows_part_of_list(section.text, record, blocks, s.whole_list)
        return [(part.node, ranges) for part, ranges in groups], part_of_list

    def _next_steps(self, chosen: list[Scored], evidence: Evidence) -> tuple[dict[int, list[Scored]], set[int]]:
        """For "wat is de volgende stap?": the step after each region's first quote that is a
        step (a numbered item, a line under a numbered phase), which matches the step the
        question describes (see next_step.py), with the branches numbered like it, by the
        quote's id; and the ids of the quotes and steps after which the document's list and
        phases end."""
        if evidence.chunk is None or evidence.chunk_sentences is None:
            return {}, set()
        after: dict[int, list[Scored]] = {}
        last: set[int] = set()
        regions: set[str] = set()
        for s in chosen:
            region = s.node.node.metadata.get("region", "")
            if region in regions:
                continue
            following = step_after(s.node.node, s.record.start, evidence.chunk)
            if not following.step:
                continue  # no step of a process: the region's next quote may be one
            regions.add(region)
            if following.last:
                last.add(id(s))
            if following.place is None:
                continue
            branches = []
            for place in (following.place, *following.alternatives):
                chunk = place.node
                line_end = chunk.get_content().find("\n", place.start)
                record = next((r for r in evidence.chunk_sentences(chunk.node_id)
                               if place.start <= r.start and (line_end < 0 or r.start < line_end)), None)
                if record is None:
                    break
                step = Scored(record, NodeWithScore(node=chunk, score=s.node.score), s.rank,
                              float(np.dot(record.vector, evidence.query_vector)), s.score)
                shown = self._quote_text(step)
                holders = [c for c in chosen if shown in self._quote_text(c) or (
                    c.node.node.node_id == chunk.node_id and any(a <= record.start < b for a, b in self._blocks(c)))]
                if any(c is s or self._quote_text(c) != shown for c in holders):
                    break  # already quoted (in another chunk too: the splitter's overlap repeats lines)
                # (A quote that is just this step is shown as it: "Daarna", see `answer`.)
                branches.append(step)
                if step_after(chunk, record.start, evidence.chunk).last:
                    last.add(id(step))
            if branches:
                after[id(s)] = branches
        return after, last

    def refuse(self, evidence: Evidence, why: str = "") -> Answer:
        """The refusal, with what the documents lack when that is known (`why`) and
        the nearest sections, which may still help."""
        suggestions = []
        for node in evidence.nodes[:3]:
            meta = node.node.metadata
            line = f"{meta.get('title')} — {meta.get('section')} ({meta.get('region')})"
            if line not in suggestions:
                suggestions.append(line)
        text = f"{REFUSAL} {why}" if why else REFUSAL
        if suggestions:
            text += "\n\nDeze onderdelen komen het dichtst in de buurt; misschien helpen ze verder:\n"
            text += "\n".join(f"- {s}" for s in suggestions)
        return Answer(question=evidence.question, answer=text, refused=True, suggestions=suggestions)
