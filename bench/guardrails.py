"""Guardrails: quality on the labelled sets and time per request. No Django, no database.

- PII: precision and recall per entity type on tests/guardrails/data/pii_eval.jsonl
  (exact span and type), per split and, for the issue-24 holdout, per language; plus how many of a
  few thousand generated hard negatives (dates, times, prices, room and booking numbers,
  Luhn-failing 16-digit numbers, IBANs with a wrong check digit) get redacted.
- Moderation: recall per language and category and benign false flags on the corpus's held-out
  split (guardrails/corpus/heldout, never trained on), for the lexicons alone, the
  classifier alone and both together (what runs); and per split of moderation_eval.jsonl (written
  for the lexicons, never seen by the classifier); the classifier's review band on the held-out
  split, and what the moderators do to ordinary hotel text (held for review, flagged, blocked).
- Time: `screen_input` and `screen_output` on a 500-character input, alone and together (one
  request's guardrails), p50/p95/p99 wall clock and CPU time, median of runs.

`python -m bench.guardrails` prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path

from stdnum import iban, luhn

from guardrails import screen_input, screen_output, text_moderators, warm_up
from guardrails.classifier import ClassifierModerator
from guardrails.evaluation import (
    Score,
    Together,
    benign_flags,
    caught,
    corpus_records,
    moderation_scores,
    pii_scores,
    read_jsonl,
)
from guardrails.moderation import LexiconModerator, PiiModerator
from guardrails.moderation_corpus import LABELS, LANGUAGES, heldout_examples
from guardrails.pii import find_spans

DATA = Path(__file__).resolve().parent.parent / "tests" / "guardrails" / "data"
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# About 1 KB of a realistic guest message: mixed languages, four PII values, many numbers that are not PII.
ONE_KB_INPUT = {
    "guest_message": (
        "Hello, this is Ahmad Karimi. I would like to confirm booking BK-2025-118734 for 3 nights from "
        "12/05/2025 to 15/05/2025, 2 adults and 1 child, room 1204 if possible. We land on flight FG 302 at "
        "09:45, so please arrange the airport pickup (AFN 1,500 is fine). You can reach me on +93 70 123 4567 "
        "or by email at ahmad.karimi@gmail.com. The deposit of USD 120.00 was paid with my card "
        "4111 1111 1111 1111 yesterday, reference 73920184. My passport number is P01234567. "
        "سلام، لطفاً اتاق آرام با منظره باغ بدهید، صبحانه ساعت ۷:۰۰ برای ما خوب است. "
        "We loved the breakfast last time, it was to die for, and the view from the terrace is drop-dead "
        "gorgeous. Could you also book a table for dinner at 19:30 on the first night? My wife does not eat "
        "gluten. Thank you very much, see you soon in Kabul."
    ),
    "notes": (
        "VIP guest, third stay; invoice to company, PO 4500012345. Prefers a quiet room away from the lift. "
        "Allergic to nuts; birthday on the second night, the team may prepare a small cake."
    ),
}
# About 1 KB in Arabic script: a Gulf guest's message and a Dari check-in note, digits in both scripts.
ONE_KB_ARABIC_INPUT = {
    "guest_message": (
        "السلام عليكم، أبغى أأكد حجزي رقم ٥٥٨٢١٣ لثلاث ليالي من ١٥/٠٥/٢٠٢٥، غرفة مطلة على البحر إذا ممكن. "
        "رقم جوالي +٩٧١ ٥٠ ١٢٣ ٤٥٦٧ والإيميل omar.saleh@gmail.com. دفعت العربون ٤٥٠ درهم بالبطاقة "
        "4111 1111 1111 1111. الفطور عندكم يموت والمسبح نار، شكراً لكم. نحتاج سرير إضافي للطفل "
        "وتوصيلة من المطار الساعة ١١:٣٠ مساءً."
    ),
    "checkin_note": (
        "مهمان ساعت ۱۴:۳۰ رسید، شماره پاسپورت P01234567 و تذکره ۱۴۰۰-۰۱۰۱-۲۳۴۵۶ کاپی شد. "
        "اتاق ۲۰۳، صبحانه ساعت ۷:۰۰، قیمت ۲۵۰۰ افغانی برای هر شب. شماره تماس ۰۷۹۹ ۱۲۳ ۴۵۶. "
        "مهمان غذای حلال و اتاق آرام می‌خواهد. راننده ساعت ۶ صبح برای میدان هوایی آماده باشد."
    ),
}


# 500 characters each: the size the latency target is set for (issue 24).
FIVE_HUNDRED_LATIN = {"guest_message": ONE_KB_INPUT["guest_message"][:500]}
FIVE_HUNDRED_ARABIC = {
    "guest_message": ONE_KB_ARABIC_INPUT["guest_message"][:250] + ONE_KB_ARABIC_INPUT["checkin_note"][:250]
}


def setups() -> list[Together]:
    """The moderation set-ups compared: each part alone, and what screen_input runs."""
    return [
        Together("lexicons", [LexiconModerator()]),
        Together("classifier", [ClassifierModerator()]),
        Together("lexicons + classifier", text_moderators()),
    ]


def hard_negatives(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)

    def luhn_failing() -> str:
        body = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
        wrong = (int(luhn.calc_check_digit(body)) + rng.randint(1, 9)) % 10
        number = body + str(wrong)
        return " ".join(number[i : i + 4] for i in range(0, 16, 4))

    def bad_iban() -> str:
        bban = "0331" + "".join(str(rng.randint(0, 9)) for _ in range(15))
        wrong = (int(iban.calc_check_digits("AE00" + bban)) + rng.randint(1, 90)) % 97 + 2
        return iban.format(f"AE{wrong:02d}{bban}")

    makers = [
        lambda: f"arrival {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(24, 30)}",
        lambda: (
            f"on {rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(24, 30)} "
            f"at {rng.randint(0, 23)}:{rng.randint(0, 59):02d}"
        ),
        lambda: f"تاریخ ۱۴۰{rng.randint(3, 5)}/۰{rng.randint(1, 9)}/{rng.randint(10, 29)}".translate(ARABIC_DIGITS),
        lambda: f"total AED {rng.randint(1, 99)},{rng.randint(100, 999)}.{rng.randint(0, 99):02d}",
        lambda: f"room {rng.randint(100, 2999)}, floor {rng.randint(1, 30)}",
        lambda: f"booking BK-{rng.randint(2024, 2026)}-{rng.randint(100000, 999999)}",
        lambda: f"reservation number {rng.randint(10**7, 10**10)}",
        lambda: f"card {luhn_failing()} declined",
        lambda: f"IBAN {bad_iban()}",
        lambda: f"dial {rng.choice(['112', '999', '119', '*140#', 'ext 204', '0 for reception'])}",
        lambda: f"order #{rng.randint(10**5, 10**9)} shipped",
    ]
    return [rng.choice(makers)() for _ in range(count)]


def _row(label: str, score: Score) -> str:
    return (
        f"| {label} | {score.support} | {score.precision:.3f} | {score.recall:.3f} | "
        f"{score.true_positives} | {score.false_positives} | {score.false_negatives} |"
    )


def pii_report() -> list[str]:
    records = read_jsonl(DATA / "pii_eval.jsonl")
    lines = [
        "| split | PII type | spans | precision | recall | TP | FP | FN |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split in ("all", "holdout", "holdout2"):
        subset = records if split == "all" else [r for r in records if r["split"] == split]
        scores, _ = pii_scores(subset)
        for label, score in scores.items():
            if split != "holdout" or label == "overall":
                lines.append(f"| {split} ({len(subset)} texts) " + _row(label, score))
    lines += ["", "| holdout2 language | texts | spans | precision | recall |", "| --- | --- | --- | --- | --- |"]
    holdout2 = [r for r in records if r["split"] == "holdout2"]
    for lang in LANGUAGES:
        subset = [r for r in holdout2 if r["lang"] == lang]
        overall = pii_scores(subset)[0]["overall"]
        lines.append(f"| {lang} | {len(subset)} | {overall.support} | {overall.precision:.3f} | {overall.recall:.3f} |")
    negatives = hard_negatives(5000)
    flagged = sum(1 for text in negatives if find_spans(text, country="AE"))
    lines.append("")
    lines.append(
        f"Generated hard negatives (dates, prices, room/booking numbers, Luhn-failing cards, IBANs with a "
        f"wrong check digit, short codes): {flagged} of {len(negatives)} redacted."
    )
    return lines


def heldout_report() -> list[str]:
    """The corpus's held-out split: recall per language and category, benign false flags."""
    records = corpus_records(heldout_examples())
    header = (
        "| set-up | language | "
        + " | ".join(f"{label} recall" for label in LABELS)
        + " | harmful recall | benign flagged | benign blocked (harm_high) |"
    )
    lines = [header, "| " + " | ".join(["---"] * (len(LABELS) + 5)) + " |"]
    for setup in setups():
        for lang in (*LANGUAGES, "all"):
            subset = records if lang == "all" else [r for r in records if r["lang"] == lang]
            scores, _ = moderation_scores(subset, setup)
            harmful = [r for r in subset if r["labels"]]
            found = sum(1 for r in harmful if caught(r, setup.moderate(r["text"], locale=r["lang"])))
            benign = benign_flags(subset, setup)
            recalls = " | ".join(f"{scores[label].recall:.2f}" for label in LABELS)
            lines.append(
                f"| {setup.name} | {lang} | {recalls} | {found / len(harmful):.2f} "
                f"({found}/{len(harmful)}) | {benign.flagged_rate:.3f} ({benign.flagged}/{benign.texts}) | "
                f"{benign.blocked_rate:.3f} ({benign.blocked}/{benign.texts}) |"
            )
    return lines


def review_band_report(records: list[dict] | None = None) -> list[str]:
    """The held-out split (or `records`) with the classifier's review band counted: per language
    and category, the harmful texts flagged or put in review, and the benign ones put in review
    (a human looks) beside those flagged and blocked."""
    records = corpus_records(heldout_examples()) if records is None else records
    setup = Together("all", text_moderators())
    header = (
        "| language | "
        + " | ".join(f"{label} caught" for label in LABELS)
        + " | harmful flagged | harmful flagged or in review | benign in review | benign flagged | benign blocked |"
    )
    lines = [header, "| " + " | ".join(["---"] * (len(LABELS) + 6)) + " |"]
    verdicts = [(r, setup.moderate(r["text"], locale=r["lang"])) for r in records]
    for lang in (*LANGUAGES, "all"):
        subset = [(r, v) for r, v in verdicts if lang in ("all", r["lang"])]
        harmful = [(r, v) for r, v in subset if r["labels"]]
        per_label = []
        for label in LABELS:
            positives = [(r, v) for r, v in harmful if label in r["labels"]]
            found = sum(1 for _r, v in positives if label in v.flagged() or label in v.in_review())
            per_label.append(f"{found / len(positives):.2f}" if positives else "-")
        flagged = sum(1 for r, v in harmful if caught(r, v))
        either = sum(1 for r, v in harmful if caught(r, v, with_review=True))
        benign = [v for r, v in subset if not r["labels"]]
        reviewed = sum(1 for v in benign if not v.flagged() and v.in_review())
        blocked = sum(1 for v in benign if "harm_high" in v.flagged())
        n = len(benign)
        lines.append(
            f"| {lang} | {' | '.join(per_label)} | {flagged / len(harmful):.2f} | "
            f"{either / len(harmful):.2f} ({either}/{len(harmful)}) | {reviewed}/{n} | "
            f"{sum(1 for v in benign if v.flagged())}/{n} | {blocked}/{n} |"
        )
    return lines


GOLDEN = Path(__file__).resolve().parent.parent / "evals" / "golden"


def _ordinary_sets() -> dict[str, list[tuple[dict, str]]]:
    """Ordinary hotel text, as `screen_input` receives it: the texts of pii_eval.jsonl (booking
    notes, contact lines, ID fields), the benign texts of moderation_eval.jsonl and the inputs of the
    capabilities' starter golden sets."""
    golden = []
    for path in sorted(GOLDEN.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                payload = json.loads(line).get("input") or {}
                locale = payload.get("locale") if isinstance(payload.get("locale"), str) else "en"
                golden.append((payload, locale))
    return {
        "pii_eval.jsonl texts": [({"text": r["text"]}, r["lang"]) for r in read_jsonl(DATA / "pii_eval.jsonl")],
        "moderation_eval.jsonl benign": [
            ({"text": r["text"]}, r["lang"]) for r in read_jsonl(DATA / "moderation_eval.jsonl") if not r["labels"]
        ],
        "golden set inputs (15 capabilities)": golden,
    }


def ordinary_text_report() -> list[str]:
    """What the local moderators do to ordinary text on the request path: inputs held for review
    (harm_high in its band: a HITL gate), any category in review, flagged (recorded), blocked (422)."""
    lines = [
        "| set | inputs | held for review (harm_high band: a gate) | any category in review "
        "| flagged (recorded) | blocked (422) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, items in _ordinary_sets().items():
        screened = [screen_input(payload, locale=locale) for payload, locale in items]
        held = sum(1 for s in screened if s.held_for_review)
        reviewed = sum(1 for s in screened if s.in_review)
        flagged = sum(1 for s in screened if any(score.flagged for score in s.categories.values()))
        blocked = sum(1 for s in screened if s.verdict == "block")
        n = len(items)
        lines.append(
            f"| {name} | {n} | {held} ({held / n:.1%}) | {reviewed} ({reviewed / n:.1%}) | "
            f"{flagged} ({flagged / n:.1%}) | {blocked} ({blocked / n:.1%}) |"
        )
    return lines


def moderation_report() -> list[str]:
    records = read_jsonl(DATA / "moderation_eval.jsonl")
    lines = [
        "| set-up | split | category | positives | precision | recall | TP | FP | FN |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for setup in (
        Together("lexicons + PII", [LexiconModerator(), PiiModerator()]),
        Together("lexicons + classifier + PII", [*text_moderators(), PiiModerator()]),
    ):
        for split in ("dev", "holdout", "holdout2", "all"):
            subset = records if split == "all" else [r for r in records if r["split"] == split]
            scores, _ = moderation_scores(subset, setup)
            for label, score in scores.items():
                if split == "all" or label == "overall":
                    lines.append(f"| {setup.name} | {split} ({len(subset)} texts) " + _row(label, score))
    return lines


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _timed(step, calls: int, runs: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """((p50, p95, p99) wall clock, (p50, p95, p99) CPU time of this process) in ms: the median over
    `runs` of each run's percentile. On a shared machine the wall clock includes waiting for a core;
    the CPU time is what a call costs."""
    step()  # compile the lexicons and load the phone metadata outside the measurement
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = [], []
        for _ in range(calls):
            started, started_cpu = time.perf_counter(), time.process_time()
            step()
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        walls.append([_percentile(wall, pct) for pct in (50, 95, 99)])
        cpus.append([_percentile(cpu, pct) for pct in (50, 95, 99)])
    return (
        tuple(statistics.median(run[i] for run in walls) for i in range(3)),
        tuple(statistics.median(run[i] for run in cpus) for i in range(3)),
    )


def _steps(payload: dict, locale: str, country: str) -> list[tuple[str, object]]:
    def screen_in():
        return screen_input(payload, locale=locale, country=country)

    def screen_out():
        return screen_output(payload, locale=locale, country=country)

    return [
        ("`screen_input` (redaction, lexicons, classifier)", screen_in),
        ("`screen_output` (lexicons, PII exposure)", screen_out),
        ("**both: one request's guardrails**", lambda: (screen_in(), screen_out())),
    ]


def timing_report(calls: int, runs: int) -> list[str]:
    warm_up()
    lines = [
        "| step | input | characters | p50 ms | p95 ms | p99 ms | CPU p50 ms | CPU p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for script, payload, locale, country in (
        ("Latin", FIVE_HUNDRED_LATIN, "en", "AF"),
        ("Arabic-script", FIVE_HUNDRED_ARABIC, "ar", "AE"),
    ):
        size = sum(len(value) for value in payload.values())
        for label, step in _steps(payload, locale, country):
            (p50, p95, p99), (cpu50, cpu95, _cpu99) = _timed(step, calls, runs)
            lines.append(
                f"| {label} | {script} | {size} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {cpu50:.2f} | {cpu95:.2f} |"
            )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    lines += [
        "",
        f"Median of {runs} runs x {calls} calls each, one process, no provider moderator (it is a "
        f"network call with its own 0.5 s timeout); load average at the end {load} on "
        f"{os.cpu_count()} cores.",
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    sections = [
        ("### PII redaction", pii_report()),
        ("### Moderation on the corpus's held-out split", heldout_report()),
        ("### The review band on the held-out split", review_band_report()),
        ("### Moderation of ordinary hotel text", ordinary_text_report()),
        ("### Moderation on moderation_eval.jsonl", moderation_report()),
        ("### Guardrail time per request", timing_report(args.calls, args.runs)),
    ]
    for title, lines in sections:
        print(title)
        print()
        print("\n".join(lines))
        print()


if __name__ == "__main__":
    main()
