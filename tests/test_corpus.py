"""The cleaned corpus: metadata, verbatim key sentences, completeness against the seeds, no furniture.

The seeds are the raw extractions in ../shared/seeds beside the repo (or $CORPUS_SEEDS_DIR).
Completeness is checked mechanically: after removing the known page furniture from a seed,
its word tokens must equal the cleaned body's word tokens, up to the small, explicit
allow-lists below; and every seed sentence of six or more words must appear, as a contiguous
run of words, in the cleaned body, in the seed's order. A dropped, reworded or reordered
sentence therefore fails a test.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"


def _find_seeds() -> Path | None:
    for candidate in (os.environ.get("CORPUS_SEEDS_DIR"), ROOT.parent / "shared" / "seeds", ROOT / "seeds", "/work/shared/seeds"):
        if candidate and Path(candidate, "README.md").is_file():
            return Path(candidate)
    return None


SEEDS_DIR = _find_seeds()
needs_seeds = pytest.mark.skipif(SEEDS_DIR is None, reason="seed texts not found (set CORPUS_SEEDS_DIR)")

# corpus file -> (seed file, region, sector)
EXPECTED = {
    "utrecht-routekaart-thuiszitten-samen-oplossen.md": ("000_2b8e31494de0f0dd.txt", "Utrecht", {"PO", "VO"}),
    "rotterdam-ppo-wie-doet-wat-wanneer-thuiszitters.md": ("001_b99ea10c2e44aef5.txt", "Rotterdam", {"PO"}),
    "landelijk-ingrado-routekaart-passend-onderwijs-zonder-thuiszitters.md": (
        "002_6c838efddb139635.txt", "Landelijk", {"PO", "VO"}),
    "utrecht-van-thuiszitten-naar-schoolgaan.md": ("003_597f85b0aac160cf.txt", "Utrecht", {"PO", "VO"}),
    "drechtsteden-routeboek-preventie-verzuim-thuiszitters-po-2021.md": (
        "004_9975c357e8165dd2.txt", "Drechtsteden", {"PO"}),
}
REGIONS = {"Utrecht", "Rotterdam", "Drechtsteden", "Landelijk"}
REQUIRED_KEYS = ("title", "organisation", "region", "sector", "source")

# ---------------------------------------------------------------------------------------------
# Furniture: what cleaning removed from each seed. Whole lines (compared after strip()); the
# number is how many occurrences to remove, counted from the end (None = all).
FURNITURE_LINES: dict[str, dict[str, int | None]] = {
    "000_2b8e31494de0f0dd.txt": {
        "rechter pijl": None,                       # arrow images of the web page
        "pijl nummer 1 twee pijlen rechter pijl": None,
        "pijl nummer 1": None,
        "arrow": None,
        "gemeente utrecht logo sterk logo buurtteam logo": None,  # logo alt texts
    },
    "002_6c838efddb139635.txt": {
        # the leaflet's page-2 header repeats the title
        "# Passend onderwijs zonder thuiszitters": 1,
        "## Routekaart": 1,
    },
    "004_9975c357e8165dd2.txt": {
        # page-bottom link targets whose address is already printed in the text
        "https://www.socialekaartzhz.nl/": None,    # text: "(socialekaartzhz.nl)"
        "https://www.noisolation.com/nl/av1/": None,
        "https://cce.nl/visie-en-werkwijze": None,
        "https://wetten.overheid.nl/BWBR0041216/2018-08-01": None,
        "https://www.dienstgezondheidjeugd.nl/formulieren": 1,  # printed twice in a row; one kept
    },
}
# Strings removed inside lines.
FURNITURE_STRINGS: dict[str, list[str]] = {
    "001_b99ea10c2e44aef5.txt": ['<ul style="list-style-type: none">', "<u>", "</u>", "[Meer info?](#)"],
}
# The only words the furniture removal may take away (guards against "furniture" that is content).
FURNITURE_WORDS: dict[str, set[str]] = {
    "000_2b8e31494de0f0dd.txt": {"rechter", "pijl", "nummer", "1", "twee", "pijlen", "arrow",
                                 "gemeente", "utrecht", "logo", "sterk", "buurtteam"},
    "001_b99ea10c2e44aef5.txt": {"ul", "style", "list", "type", "none", "u", "meer", "info"},
    "002_6c838efddb139635.txt": {"passend", "onderwijs", "zonder", "thuiszitters", "routekaart"},
    "004_9975c357e8165dd2.txt": {"https", "www", "socialekaartzhz", "nl", "noisolation", "com",
                                 "av1", "cce", "visie", "en", "werkwijze", "wetten", "overheid",
                                 "bwbr0041216", "2018", "08", "01", "dienstgezondheidjeugd",
                                 "formulieren"},
}
# Words the cleaned text has more of than the seed (after furniture removal), with counts.
ALLOWED_EXTRA: dict[str, Counter] = {
    # Rotterdam phases table reflowed per phase: the row label is repeated as "**School:**" etc.
    # in every non-empty cell (School 5, Schoolcontactpersoon 5, Leerplicht 3, Ouders 4 cells,
    # each label once in the seed), plus the two unlabelled blocks under "Wie doet wat?" headed
    # "### School" and "### Schoolcontactpersoon" (the parties as the table names them).
    # ... and the heading "PPOschoolcontactpersoon", glued by the extraction, is "PPO schoolcontactpersoon".
    "001_b99ea10c2e44aef5.txt": Counter({"school": 4 + 1, "schoolcontactpersoon": 4 + 1 + 1,
                                         "leerplicht": 2, "ouders": 3, "ppo": 1}),
    # The PDF text has no title line; the "# " heading uses the document's own name for itself.
    "004_9975c357e8165dd2.txt": Counter({"routeboek": 1, "preventie": 1, "verzuim": 1, "en": 1,
                                         "thuiszitters": 1, "po": 1}),
}
# Words the cleaned text has fewer of than the seed (after furniture removal).
ALLOWED_MISSING: dict[str, Counter] = {
    "001_b99ea10c2e44aef5.txt": Counter({"pposchoolcontactpersoon": 1}),  # split in two, see above
}

# Seeds whose blank lines are real paragraph breaks (web pages); 004 is a PDF extraction whose
# blank lines fall mid-sentence, so its sentences are taken from the whole joined text.
PARAGRAPH_SEEDS = {"000_2b8e31494de0f0dd.txt", "001_b99ea10c2e44aef5.txt",
                   "002_6c838efddb139635.txt", "003_597f85b0aac160cf.txt"}
# Seeds with a tab-separated table that was reflowed (row-major -> one section per column), so
# the order of its cells is not kept; each cell's sentences must still appear verbatim.
REFLOWED_TABLE_SEEDS = {"001_b99ea10c2e44aef5.txt"}

# ---------------------------------------------------------------------------------------------
# Key sentences (thresholds and definitions) that must survive verbatim.
KEY_SENTENCES: dict[str, list[str]] = {
    "utrecht-routekaart-thuiszitten-samen-oplossen.md": [
        "Binnen 5 dagen actietafel",
        "Duur van het traject tot passend aanbod maximaal 3 maanden",
        "Leerlingen zijn leerplichtig tot en met het schooljaar waarin ze 16 jaar oud worden.",
        "Voor leerlingen zonder startkwalificatie (mbo niveau 2, havo, vwo diploma) geldt de kwalificatieplicht tot 18 jaar.",
        "Kernpartner: De jeugdarts en jeugdverpleegkundige, leerplichtambtenaar, begeleider passend onderwijs/consulent, buurtteam medewerker die samenwerken op de school.",
    ],
    "rotterdam-ppo-wie-doet-wat-wanneer-thuiszitters.md": [
        "Een thuiszitter is een leerplichtige leerling die meer dan vier weken achtereenvolgend niet naar school gaat.",
        "School van inschrijving is en blijft degene die de regie heeft.",
        "Meldt volledig verzuim van leerling (vanaf 5 jaar) bij Leerplicht (met startdatum van thuiszitten).",
        "Meldt volledig verzuim van leerling (vanaf 4 jaar) bij de schoolcontactpersoon van PPO (met startdatum van thuiszitten).",
        "Leerling vanaf 5 tot en met 12 jaar die volledig thuiszitten.",
        "Leerlingen van 4 jaar zijn nog niet leerplichtig.",
        "School zoekt na afstemming met ouders 1 of 2 passende scholen.",
        "Ouders melden hun kind schriftelijk bij 1 school aan.",
        "SCP vult het bijbehorende formulier 'thuiszitter' VOLLEDIG in met de JUISTE startdatum van thuiszitten (1e dag van niet verschijnen).",
        "School: Leerling staat ingeschreven op school, totdat er een inschrijving van een andere school volgt.",
    ],
    "landelijk-ingrado-routekaart-passend-onderwijs-zonder-thuiszitters.md": [
        "10 punten voor gemeenten en samenwerkingsverbanden",
        "Het kan dienen als basis voor een protocol waarin alle betrokkenen een bijdrage leveren aan een succesvolle schoolloopbaan voor alle leerlingen van 5 tot 18 jaar.",
        "Tellen – Hoeveel thuiszitters zijn er? Zorg voor actuele en betrouwbare kwantitatieve gegevens over het aantal thuiszitters. Hanteer de wettelijke definities!",
    ],
    "utrecht-van-thuiszitten-naar-schoolgaan.md": [
        "Wij verbinden ons in Utrecht aan de landelijke ambitie dat in 2020 geen enkel kind of jongere langer dan drie maanden thuiszit zonder een passend aanbod van onderwijs en/of zorg.",
        "Wij monitoren de resultaten van onze aanpak maandelijks in het overleg van Leerplicht en samenwerkingsverbanden, tweemaandelijks in ons gezamenlijk kernpartneroverleg en jaarlijks in het OOGO.",
        "Als een instelling geen plaats heeft, wordt binnen twee weken een passend alternatief geboden.",
        "Indien na 8 weken nog geen passend aanbod gerealiseerd is, wordt de casus voorgelegd aan de teammanagers van de kernpartners.",
        "We spreken van een thuiszitter als het gaat om een leerplichtige (5 – 16 jaar) of kwalificatieplichtige (16 – 17 jaar) jongere die staat ingeschreven op een school of onderwijsinstelling en langer dan vier weken ongeoorloofd verzuimt (relatief verzuim) of niet staat ingeschreven op een school of onderwijsinstelling (absoluut verzuim).",
        "We voegen hieraan toe de vierjarige leerlingen die niet staan ingeschreven bij een school.",
        "We wachten uiteraard niet met het ondernemen van actie tot de vier weken voorbij zijn.",
        "Het Interventieteam VO komt in actie als school, kernpartners, jongere en ouders niet binnen 10 weken een gezamenlijk besluit kunnen nemen over een passende onderwijsplek en/of passende hulp en ondersteuning",
        "Het team voorziet in deze situaties binnen 48 uur in een plan om binnen 10 werkdagen tot een oplossing te komen.",
        "Het Interventieteam VO bestaat uit twee door het onderwijs en de gemeente gemandateerde leden en een onafhankelijk voorzitter.",
        "Het Interventieteam VO is per 1 januari 2017 operationeel.",
        "Voor hen wordt er een beroep gedaan op een vrijstelling op grond van artikel 5 onder a.",
        "De G4 zullen concrete en specifieke resultaten benoemen voor de periode 2016- 2020.",
    ],
    "drechtsteden-routeboek-preventie-verzuim-thuiszitters-po-2021.md": [
        "Dit document is een geactualiseerde versie van de notitie preventie thuiszitters uit 2020.",
        "De inzet voor een casus dreigend thuiszitten wordt geraamd op 6 tot 10 uur.",
        "(als de leerling meer dan 3 dagen per week thuis is)",
        "Er gaat een periode van vier weken in waarin de school zelf alles op alles zet om de leerling binnen of buiten de school een onderwijsaanbod te geven.",
        "De melding van verzuim door de IB-er vindt plaats als er sprake is van: - vermoedelijk ongeoorloofd verzuim van zestien uur lestijd in een periode van vier weken. - negen keer te laat komen (bij het begin van de schooldag of tijdens de les).",
        "De thuiszittersmelding door de IB-er vindt plaats wanneer er sprake is van:",
        "Na vier weken wordt nogmaals gekeken of het wenselijk is dat het SWV door de inzet van tijdelijk extra maatwerk de situatie positief kan beïnvloeden.",
        "Binnen vier weken wordt duidelijk of onderwijs nog mogelijk is of dat zorg voorliggend is.",
        "Verzuim: Ongeoorloofd verzuim van 16 uur in vier weken",
        "Langdurig relatief verzuim: Ongeoorloofd aaneengesloten verzuim gedurende 4 of meer weken",
        "Overig verzuim: Overig verzuim van minder dan 16 uur in 4 weken",
        "Absoluut verzuim: Leer- of kwalificatie plichtige jongere die die niet is ingeschreven op een school",
        "Thuiszitter: Verzuim van meer dan 3 dagen per week dat langer dan 4 weken duurt (ook als dit onderdeel van een aanpak is).",
        "wanneer de leerling in een periode van twee weken 25 procent van de schooltijd heeft gemist;",
        "wanneer de leerling gedurende een periode van ten minste twee weken het heel moeilijk vindt om naar school te komen of te blijven",
        "wanneer de leerling voor ten minste tien dagen afwezig is in een periode van vijftien weken.",
        "Alle kinderen tussen 5 en 16 jaar die in Nederland wonen zijn leerplichtig.",
        "De meeste kinderen gaan al naar school als ze 4 jaar zijn. Maar zij vallen dan nog niet onder de leerplicht.",
        "De verklaring mag niet ouder dan drie maanden zijn. Een vrijstelling geldt voor de duur van een schooljaar.",
        "Als de wachttijd naar een andere onderwijssoort langer is dan vier weken, geldt vanaf de vijfde week:",
        "De leerling kan gedurende vijf dagdelen per week een onderwijsaanbod krijgen binnen één van de twee SBO- scholen die ons SWV kent",
        "De twee SBO scholen binnen het SWV krijgen aan het begin van het schooljaar ieder 0,5 fte voor de aanstelling van een onderwijsassistent.",
        "Er is binnen een SBO school brugplaatsing mogelijk voor maximaal vier kinderen.",
        "De brugplaatsing is voor een beperkte tijd, maximaal 8 weken, tot het moment dat de leerling geplaatst wordt op zijn/haar toekomstige school.",
        "De onderwijsassistent zal de leerling gedurende vijf dagen per week begeleiden.",
        "Binnen een week vindt er overleg plaats.",
        "- 8 schoolweken, 5 dagdelen - Na 4 schoolweken tussenevaluatie - Na 6 schoolweken eindadvies - Eventueel verlenging mits met een goede onderbouwing, max. vier schoolweken. - Langere verlenging mogelijk, mits met goede onderbouwing, max 4 weken.",
        "Bij positief besluit wordt de leerling zo spoedig mogelijk na overleg geplaatst voor een afgebakende periode van 8 weken.",
        "De casemanager arrangeert na 4 weken een tussenevaluatie en na 6 weken een adviesgesprek, verslag hiervoor wordt opgesteld.",
        "De brugplaatsing is voor beperkte tijd, ca. 6 weken, tot het moment dat de leerling geplaatst wordt op zijn/haar toekomstige school.",
        "inspanning verwacht wordt om de overbruggingsperiode zo kort mogelijk te laten zijn (ca. 8 weken).",
        "Als de brugperiode langer gaat duren dan 6 weken, is er na 6 weken een voortgangsgesprek",
        "Voor bepaalde leerlingen uit groep 7 en 8 is al het voorgaande ingezet",
        "Als een leerling in het basisonderwijs een didactische leeftijd heeft tussen 55 en 70 maanden",
        "Sinds 1 augustus 2018 heeft de overheid de volgende beleidsregel t.a.v. het afwijken van het verplichte aantal onderwijsuren vastgesteld",
        "gedurende een termijn van ten hoogste drie maanden aaneengesloten het volledige onderwijsprogramma volgen",
        "Centraal doel: In 2023 is voor iedere thuiszitter binnen drie maanden een passend onderwijs- dan wel zorgaanbod gevonden.",
        "Op 29 januari 2019 is de rapportage ‘De kracht om door te zetten’ (Gedragswerk-Dullaert) gepubliceerd",
        "(kinderen leren tussen de 1% en 100%: hoe dan ook en waar dan ook)",
        "wordt casusregie ingesteld (na de eerste vier weken van verzuim).",
        "Hij kan er na twaalf weken, of zoveel eerder als nodig, voor kiezen om een doorbraakteam in te schakelen.",
        "wanneer na acht weken dreigt dat er tussen dat moment en de daaropvolgende vier weken geen passend aanbod is voor dit kind of deze jeugdige (opgeteld: twaalf weken = drie maanden).",
    ],
}


# ---------------------------------------------------------------------------------------------
# Helpers


def split_front_matter(text: str) -> tuple[dict, str]:
    """(metadata, body) of a Markdown text that starts with `---` YAML front matter."""
    assert text.startswith("---\n"), "file does not start with '---' front matter"
    end = text.find("\n---\n", 4)
    assert end > 0, "front matter is not closed with '---'"
    meta = yaml.safe_load(text[4:end])
    assert isinstance(meta, dict), "front matter is not a mapping"
    return meta, text[end + 5:]


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS_DIR.glob("*.md") if p.name.lower() != "readme.md")


def body_of(name: str) -> str:
    return split_front_matter((CORPUS_DIR / name).read_text(encoding="utf-8"))[1]


def words(text: str) -> list[str]:
    """Word tokens: runs of letters/digits, lower case (Unicode NFC, so 'één' == 'één')."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower())


def flat(text: str) -> str:
    """Text as quoted: white space joined, Markdown bold markers removed."""
    return " ".join(text.replace("**", "").split())


def seed_without_furniture(seed: str) -> str:
    lines = (SEEDS_DIR / seed).read_text(encoding="utf-8").split("\n")
    for furniture, count in FURNITURE_LINES.get(seed, {}).items():
        hits = [i for i, line in enumerate(lines) if line.strip() == furniture]
        assert hits, f"{seed}: furniture line {furniture!r} not found"
        for i in hits if count is None else hits[-count:]:
            lines[i] = ""
    text = "\n".join(lines)
    for furniture in FURNITURE_STRINGS.get(seed, []):
        assert furniture in text, f"{seed}: furniture string {furniture!r} not found"
        text = text.replace(furniture, " ")
    return text


def seed_sentences(seed: str, text: str) -> list[tuple[list[str], bool]]:
    """(words, from_reflowed_table) for every sentence of >= 6 words in the seed text."""
    blocks = re.split(r"\n\s*\n", text) if seed in PARAGRAPH_SEEDS else [text]
    out = []
    for block in blocks:
        cells = [(block, False)]
        if seed in REFLOWED_TABLE_SEEDS and "\t" in block:
            # each table cell on its own; other lines of the block as they are
            cells = [(c, "\t" in line) for line in block.split("\n") for c in line.split("\t")]
        for cell, in_table in cells:
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join(cell.split())):
                toks = words(sentence)
                if len(toks) >= 6:
                    out.append((toks, in_table))
    return out


# ---------------------------------------------------------------------------------------------
# 1. Front matter


def test_corpus_has_exactly_the_five_documents():
    assert {p.name for p in corpus_files()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_front_matter(name):
    meta, body = split_front_matter((CORPUS_DIR / name).read_text(encoding="utf-8"))
    for key in REQUIRED_KEYS:
        assert meta.get(key), f"{name}: missing {key}"
    seed, region, sector = EXPECTED[name]
    assert meta["region"] in REGIONS
    assert meta["region"] == region
    assert isinstance(meta["sector"], list) and meta["sector"]
    assert set(meta["sector"]) <= {"PO", "VO"}
    assert set(meta["sector"]) == sector
    assert meta["source"] == seed
    assert isinstance(meta["title"], str) and isinstance(meta["organisation"], str)
    assert meta.get("language") == "nl"
    if "year" in meta:
        assert isinstance(meta["year"], int) and not isinstance(meta["year"], bool)
        assert 1990 <= meta["year"] <= 2030
    if "url" in meta:
        assert str(meta["url"]).startswith("http")
    assert set(meta) <= {"title", "organisation", "region", "sector", "year", "source", "url", "language"}
    # one level-1 heading, at the top of the body
    assert body.lstrip("\n").startswith("# ")
    assert len(re.findall(r"^# ", body, flags=re.M)) == 1


@needs_seeds
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_source_names_an_existing_seed(name):
    meta, _ = split_front_matter((CORPUS_DIR / name).read_text(encoding="utf-8"))
    assert (SEEDS_DIR / meta["source"]).is_file()


def test_only_drechtsteden_states_its_year():
    # 004 is dated "Juli 2021"; the other documents carry no publication date.
    years = {name: split_front_matter((CORPUS_DIR / name).read_text(encoding="utf-8"))[0].get("year")
             for name in EXPECTED}
    assert years == {name: (2021 if name.startswith("drechtsteden") else None) for name in EXPECTED}


# ---------------------------------------------------------------------------------------------
# 2. Key sentences, verbatim


def test_enough_key_sentences():
    assert sum(len(v) for v in KEY_SENTENCES.values()) >= 25
    assert set(KEY_SENTENCES) == set(EXPECTED)


@pytest.mark.parametrize(
    "name,sentence",
    [(name, s) for name, sentences in KEY_SENTENCES.items() for s in sentences],
)
def test_key_sentence_verbatim(name, sentence):
    assert sentence in flat(body_of(name))


# ---------------------------------------------------------------------------------------------
# 3. Completeness against the seeds


@needs_seeds
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_furniture_removal_removes_only_furniture_words(name):
    seed = EXPECTED[name][0]
    raw = Counter(words((SEEDS_DIR / seed).read_text(encoding="utf-8")))
    removed = raw - Counter(words(seed_without_furniture(seed)))
    assert set(removed) <= FURNITURE_WORDS.get(seed, set()), sorted(set(removed))


@needs_seeds
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_same_words_as_seed(name):
    seed = EXPECTED[name][0]
    expected = Counter(words(seed_without_furniture(seed)))
    actual = Counter(words(body_of(name)))
    missing, extra = expected - actual, actual - expected
    assert missing == ALLOWED_MISSING.get(seed, Counter()), f"words lost in cleaning: {dict(missing)}"
    assert extra == ALLOWED_EXTRA.get(seed, Counter()), f"words added in cleaning: {dict(extra)}"


@needs_seeds
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_seed_sentence_present_in_order(name):
    seed = EXPECTED[name][0]
    sentences = seed_sentences(seed, seed_without_furniture(seed))
    assert len(sentences) > 10
    haystack = " " + " ".join(words(body_of(name))) + " "
    pos = 0
    missing, out_of_order = [], []
    for toks, in_table in sentences:
        needle = " " + " ".join(toks) + " "
        if in_table:  # reflowed table cell: anywhere
            if needle not in haystack:
                missing.append(" ".join(toks))
            continue
        found = haystack.find(needle, pos)
        if found >= 0:
            pos = found + len(needle) - 1
        elif needle in haystack:
            out_of_order.append(" ".join(toks))
        else:
            missing.append(" ".join(toks))
    assert not missing, f"seed sentences not found verbatim: {missing}"
    assert not out_of_order, f"seed sentences out of order: {out_of_order}"


# ---------------------------------------------------------------------------------------------
# 4. No furniture, valid Markdown


LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_furniture_left(name):
    body = body_of(name)
    lowered = body.lower()
    for bad in ("rechter pijl", "pijl nummer", "<ul", "<u>", "</u>", "](#)", "meer info?",
                " logo", "\t", "\u2022", "\u2212", "\u00b7"):
        assert bad not in lowered, f"{name}: furniture {bad!r} left"
    for n, line in enumerate(body.split("\n"), 1):
        assert not re.fullmatch(r"\s*\d+\.?\s*", line), f"{name}:{n}: page number / bare number line"
        assert line.strip().lower() != "arrow", f"{name}:{n}: furniture line"
        assert not line.lstrip().startswith("|"), f"{name}:{n}: table residue"
        assert line.count("**") % 2 == 0, f"{name}:{n}: unbalanced bold markers: {line!r}"
        assert line == line.rstrip(), f"{name}:{n}: trailing white space"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bold_markers_render(name):
    # "Tellen** – ..." in the seed: an opening ** must be followed by text, a closing one preceded.
    for n, line in enumerate(body_of(name).split("\n"), 1):
        for i, part in enumerate(line.split("**")[1:-1:2]):
            assert part and part == part.strip(), f"{name}:{n}: bold span {part!r} does not render"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_paragraphs_are_single_lines(name):
    """No hard wraps: inside a block, every line after the first is a list item."""
    lines = body_of(name).split("\n")
    for n in range(1, len(lines)):
        prev, line = lines[n - 1], lines[n]
        if prev.strip() and line.strip():
            assert LIST_ITEM.match(line), f"{name}:{n + 1}: hard-wrapped line {line!r}"
            assert not prev.startswith("#"), f"{name}:{n + 1}: no blank line after heading"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_urls_not_repeated(name):
    body = body_of(name)
    for url in set(re.findall(r"https?://[^\s)]+", body)):
        assert body.count(url.rstrip(".")) == 1, f"{name}: {url} repeated"
