"""The labelled multilingual moderation corpus (corpus/) the local classifier is trained on.

Two parts, never mixed: `corpus/train/<lang>.txt` (what the classifier learns from) and
`corpus/heldout/<lang>.txt` (written separately, never read by training; scored once, blind, in
docs/benchmarks.md). corpus/README.md says who wrote them, how, and what the labels mean.

A file is a list of sections. `[harm_high]`, `[hate]`, `[sexual]`, `[dangerous]` or `[benign]`
(several labels: `[harm_high hate]`) starts one; each following non-blank line that is not a
`#` comment is one text with those labels. In the training files a line may offer alternatives,
`I will {hurt|stab} you`, or name a word list defined earlier in the file (`@weapon = a gun|a
knife`, used as `{@weapon}`). A line stands for all its expansions when they are few, otherwise
for a covering sample: as many variants as its longest list has entries (at most `MAX_VARIANTS`,
at least `VARIANTS_PER_LINE`), each list shuffled by a generator seeded from the line itself and
read in turn, so every entry of every list appears and the same corpus always gives the same
examples. Held-out lines are plain sentences.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).with_name("corpus")
LANGUAGES = ("en", "fr", "de", "tr", "ar", "fa", "ps", "ur")
LABELS = ("harm_high", "hate", "sexual", "dangerous")
BENIGN = "benign"
VARIANTS_PER_LINE = 6
MAX_VARIANTS = 16
_SECTION = re.compile(r"^\[([a-z_ ]+)\]$")
_WORD_LIST = re.compile(r"^@(\w+)\s*=\s*(.+)$")
_LIST_REF = re.compile(r"\{@(\w+)\}")
_ALTERNATIVES = re.compile(r"\{([^{}]*\|[^{}]*)\}")


@dataclass(frozen=True)
class Example:
    lang: str
    labels: tuple[str, ...]  # empty: benign
    text: str
    source: str  # "<file>:<line>", for reports


class CorpusError(ValueError):
    pass


def _labels_of(header: str, where: str) -> tuple[str, ...]:
    names = header.split()
    if names == [BENIGN]:
        return ()
    unknown = [name for name in names if name not in LABELS]
    if unknown or not names:
        raise CorpusError(f"{where}: unknown label(s) {unknown or header!r}")
    return tuple(sorted(set(names), key=LABELS.index))


def expansions(line: str) -> list[str]:
    """Every text a line with `{a|b}` alternatives stands for, in order."""
    parts = _ALTERNATIVES.split(line)
    choices = [[part] if index % 2 == 0 else part.split("|") for index, part in enumerate(parts)]
    return [re.sub(r"\s+", " ", "".join(combo)).strip() for combo in itertools.product(*choices)]


def _variants(line: str) -> list[str]:
    parts = _ALTERNATIVES.split(line)
    choices = [[part] if index % 2 == 0 else part.split("|") for index, part in enumerate(parts)]
    total = math.prod(len(choice) for choice in choices)
    count = min(MAX_VARIANTS, max(VARIANTS_PER_LINE, *(len(choice) for choice in choices)))
    if total <= count:
        return expansions(line)
    seed = int.from_bytes(hashlib.sha256(line.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)  # noqa: S311 (a reproducible sample of training texts, not a secret)
    shuffled = [rng.sample(choice, len(choice)) for choice in choices]
    texts = ["".join(choice[i % len(choice)] for choice in shuffled) for i in range(count)]
    return list(dict.fromkeys(re.sub(r"\s+", " ", text).strip() for text in texts))


def _with_lists(line: str, lists: dict[str, str], where: str) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match.group(1) not in lists:
            raise CorpusError(f"{where}: no word list @{match.group(1)} defined above")
        return "{" + lists[match.group(1)] + "}"

    return _LIST_REF.sub(substitute, line)


def read_file(path: Path, *, lang: str, expand: bool) -> list[Example]:
    examples: list[Example] = []
    labels: tuple[str, ...] | None = None
    lists: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        where = f"{path.parent.name}/{path.name}:{number}"
        if not line or line.startswith("#"):
            continue
        word_list = _WORD_LIST.match(line)
        if word_list:
            if not expand:
                raise CorpusError(f"{where}: held-out files define no word lists")
            lists[word_list.group(1)] = word_list.group(2).strip()
            continue
        line = _with_lists(line, lists, where)
        header = _SECTION.match(line)
        if header:
            labels = _labels_of(header.group(1), where)
            continue
        if labels is None:
            raise CorpusError(f"{where}: a text before any [section]")
        if not expand and _ALTERNATIVES.search(line):
            raise CorpusError(f"{where}: held-out texts are plain sentences, without {{a|b}}")
        texts = _variants(line) if expand else [line]
        examples += [Example(lang, labels, text, where) for text in texts]
    return examples


def training_examples(root: Path = CORPUS_DIR) -> list[Example]:
    return [
        example for lang in LANGUAGES for example in read_file(root / "train" / f"{lang}.txt", lang=lang, expand=True)
    ]


def heldout_examples(root: Path = CORPUS_DIR) -> list[Example]:
    """Only for scoring (bench.guardrails and the floor test): training never calls this."""
    return [
        example
        for lang in LANGUAGES
        for example in read_file(root / "heldout" / f"{lang}.txt", lang=lang, expand=False)
    ]


def corpus_digest(root: Path = CORPUS_DIR) -> str:
    """sha256 over the training files (what the model is built from), recorded in the model file."""
    digest = hashlib.sha256()
    for lang in LANGUAGES:
        path = root / "train" / f"{lang}.txt"
        digest.update(lang.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
