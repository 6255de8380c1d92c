"""Feedback: thumbs up/down on answers, stored locally as JSON lines.

One line per rating in `settings.feedback_file`: timestamp, rating, the answer
text and its citations (source, section, region). The question is stored only
when `settings.log_questions` is true, and then only after
`mask_personal_data` has replaced BSN numbers, e-mail addresses and phone
numbers. Nothing here prints or logs a question.
"""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

try:  # advisory lock across processes (two chat servers on one data dir); POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

BSN_MASK = "[BSN]"
EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[telefoonnummer]"

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])", re.IGNORECASE)
# Dutch phone numbers: 10 digits starting with 0 (06-12345678, 010 123 45 67,
# (010) 1234567), the same after +31 / 0031 (with an optional (0)), and
# 0800/0900 service numbers. Single spaces, hyphens or dots may separate digits.
_SEP = r"[\s.\-]?"
PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"(?:\+|00)31{_SEP}(?:\(0\){_SEP})?[1-9](?:{_SEP}\d){{8}}"
    rf"|\(0\d{{1,3}}\){_SEP}\d(?:{_SEP}\d){{5,7}}"
    rf"|0[1-9](?:{_SEP}\d){{8}}"
    rf"|0[89]00{_SEP}\d(?:{_SEP}\d){{3,6}}"
    r")(?![\w])"
)
# Nine digits, optionally grouped (123456782, 1234.56.782, 123 456 782); the
# elfproef decides whether it is a BSN.
BSN_CANDIDATE = re.compile(r"(?<![\w.,\-])\d(?:[\s.\-]?\d){8}(?![\w]|[.,\-]\d)")


def elfproef(digits: str) -> bool:
    """True for a nine-digit number that passes the BSN eleven test."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1))) - int(digits[8])
    return total % 11 == 0


def _mask_bsn(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return BSN_MASK if elfproef(digits) else match.group(0)


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, Dutch phone numbers and BSN-like numbers in `text`.

    BSN-like means nine digits (optionally grouped with spaces, dots or
    hyphens) that pass the elfproef; other numbers (dates, postcodes,
    amounts) are left alone.
    """
    if not text:
        return text
    text = EMAIL.sub(EMAIL_MASK, text)
    text = PHONE.sub(PHONE_MASK, text)
    return BSN_CANDIDATE.sub(_mask_bsn, text)


def citation_record(citation: Any) -> dict:
    """The part of a citation that feedback keeps (a `Citation` or a dict with the same keys)."""
    get = citation.get if isinstance(citation, Mapping) else lambda k, d=None: getattr(citation, k, d)
    return {
        "n": get("n"),
        "source": get("source", ""),
        "title": get("title", ""),
        "section": get("section", ""),
        "region": get("region", ""),
    }


class FeedbackStore:
    """Append-only JSONL file of ratings; safe for concurrent writers."""

    def __init__(self, path: Path, log_questions: bool = False):
        self.path = Path(path)
        self.log_questions = log_questions
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "FeedbackStore":
        return cls(settings.feedback_file, log_questions=settings.log_questions)

    def record(
        self,
        liked: bool,
        answer: str,
        citations: Iterable[Any] = (),
        refused: bool = False,
        question: str | None = None,
    ) -> dict:
        """Append one rating and return the stored entry.

        `question` is ignored unless the store was made with
        `log_questions=True`; then it is masked before it is written.
        """
        entry: dict[str, Any] = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rating": "up" if liked else "down",
            "refused": bool(refused),
            "answer": answer,
            "citations": [citation_record(c) for c in citations],
        }
        if self.log_questions and question:
            entry["question"] = mask_personal_data(question)
        self._append(entry)
        return entry

    def _append(self, entry: dict) -> None:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            # One write() of the whole line on an O_APPEND descriptor: lines
            # from different writers never interleave.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                written = 0
                while written < len(line):
                    written += os.write(fd, line[written:])
                os.fsync(fd)
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def read(self) -> list[dict]:
        """All stored entries (skipping a damaged line rather than failing)."""
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
        return entries


__all__ = ["FeedbackStore", "mask_personal_data", "elfproef"]
