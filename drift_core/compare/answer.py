"""The answer to the central question, computed from the figures (docs/design.md §10, "The answer"): does DRIFT
(one round, or r rounds) reach online GRPO's greedy multi@K within noise, and at what share of its generated
tokens and wall seconds. Plain values in, verdicts and text out; the page's section is `answer_markdown`.

The rule is the reading section's (drift_core/compare/markdown.py): a difference of means counts only beyond
the noise band = max(the test set's 95% Wilson half-width for a share at the two means' average, 2 x the
larger seed std). The text names what the numbers show and presupposes no winner.
"""

from __future__ import annotations

from dataclasses import dataclass

from drift_core.compare.arms import reading_arm_names
from drift_core.compare.summary import Stat, Summary, mean_std

ONLINE = "online-grpo"
WITHIN, ABOVE, BELOW = "within noise", "above, beyond noise", "below, beyond noise"
RULE = ("a difference of means counts only beyond the noise band = max(the test set's 95% Wilson half-width for a "
        "share at the two means' average, 2 x the larger seed std); within it, DRIFT reaches online GRPO's figure "
        "within noise")
# Why the online arm's KL beta is fixed, not chosen (docs/design.md §10, "KL beta 0").
BETA_REASON = ("verifiable-reward GRPO as DAPO and Dr. GRPO train it, no reference copy to load, and the same "
               "footing as the offline arms, whose loss has no KL term either")


def noise_band(a: Stat, b: Stat, n: int) -> float:
    """The half-width within which two arms' means are not called different (module docstring)."""
    from drift_core.stats import wilson_interval

    p = ((a.mean or 0.0) + (b.mean or 0.0)) / 2
    lo, hi = wilson_interval(p * n, n) if n else (0.0, 0.0)
    return max((hi - lo) / 2, 2 * max(a.std or 0.0, b.std or 0.0))


def verdict(diff: float, noise: float) -> str:
    """WITHIN when |diff| <= noise, else ABOVE or BELOW by the sign of diff (DRIFT minus online)."""
    if abs(diff) <= noise:
        return WITHIN
    return ABOVE if diff > 0 else BELOW


def share(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


@dataclass
class Row:
    """One DRIFT variant against online GRPO (greedy multi@K on test, cost means over seeds)."""

    arm: str
    score: Stat
    online: Stat
    noise: float
    tokens: float | None  # mean generated tokens of the arm
    online_tokens: float | None
    seconds: float | None  # mean wall seconds of generation + training
    online_seconds: float | None

    @property
    def diff(self) -> float:
        return self.score.mean - self.online.mean

    @property
    def verdict(self) -> str:
        return verdict(self.diff, self.noise)

    @property
    def token_share(self) -> float | None:
        return share(self.tokens, self.online_tokens)

    @property
    def seconds_share(self) -> float | None:
        return share(self.seconds, self.online_seconds)


def _wall(records: list[dict]) -> float | None:
    return mean_std([(r.get("generation_seconds") or 0.0) + (r.get("train_seconds") or 0.0) for r in records]).mean


def answer_rows(summary: Summary, arms: tuple[str, ...] | None = None) -> list[Row]:
    """Each DRIFT variant (default: the registry's reading arms) that ran beside online-grpo; [] without it."""
    key = f"multi@{summary.max_turns}"
    online = summary.stats.get(ONLINE, {}).get("greedy")
    if not online or online[key].mean is None:
        return []
    n = max((r.get("test_problems") or 0 for r in summary.records), default=0)
    mine = [r for r in summary.records if r["arm"] == ONLINE]
    rows = []
    for arm in arms if arms is not None else reading_arm_names():
        s = summary.stats.get(arm, {}).get("greedy")
        if not s or s[key].mean is None:
            continue
        theirs = [r for r in summary.records if r["arm"] == arm]
        rows.append(Row(arm, s[key], online[key], noise_band(s[key], online[key], n),
                        s["rollout_tokens"].mean, online["rollout_tokens"].mean, _wall(theirs), _wall(mine)))
    return rows


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def row_text(row: Row, key: str) -> str:
    """One sentence per DRIFT variant, with its numbers."""
    reach = {WITHIN: f"reaches online GRPO's {key} within noise",
             ABOVE: f"is above online GRPO's {key} beyond noise",
             BELOW: f"does not reach online GRPO's {key} within noise"}[row.verdict]
    return (f"- `{row.arm}`: greedy {key} {row.score.fmt()} vs online GRPO {row.online.fmt()}: difference "
            f"{row.diff:+.3f}, noise band ±{row.noise:.3f}, so it {reach}; at "
            f"{_pct(row.token_share)} of online GRPO's generated tokens ({row.tokens or 0:,.0f} vs "
            f"{row.online_tokens or 0:,.0f}) and {_pct(row.seconds_share)} of its wall seconds of generation and "
            f"training ({row.seconds or 0:,.0f} vs {row.online_seconds or 0:,.0f} s).")


def headline(rows: list[Row], key: str) -> str:
    """The answer in one sentence, from the verdicts."""
    reached = [r for r in rows if r.verdict != BELOW]
    if not reached:
        return (f"On this run no DRIFT variant ({', '.join(f'`{r.arm}`' for r in rows)}) reaches online GRPO's "
                f"greedy {key} within noise.")
    cheapest = min(reached, key=lambda r: (r.token_share is None, r.token_share or 0.0))
    names = ", ".join(f"`{r.arm}`" for r in reached)
    return (f"On this run {names} reach{'es' if len(reached) == 1 else ''} online GRPO's greedy {key} within noise "
            f"or above it; the cheapest of them, `{cheapest.arm}`, at {_pct(cheapest.token_share)} of its "
            f"generated tokens and {_pct(cheapest.seconds_share)} of its wall seconds.")


def online_facts(records: list[dict]) -> list[str]:
    """What ended each online run and how far it got, from the records' `online` field."""
    runs = [r for r in records if r["arm"] == ONLINE and r.get("online")]
    if not runs:
        return []
    by = [f"seed {r['seed']}: {r['online']['steps']} steps, {r['rollout_tokens']:,} tokens, stopped by "
          f"{r['online']['stopped_by']}" + (f" (budget {r['online']['token_budget']:,})"
                                            if r["online"].get("token_budget") else "") for r in runs]
    return [f"- online GRPO runs: {'; '.join(by)}."]


def curve(records: list[dict], key: str) -> list[tuple[Stat, Stat]]:
    """The online arm's validation curve over seeds: per checkpoint index, (generated tokens, `key`) as mean ±
    std over the seeds that reached it."""
    runs = [r["online"]["checkpoints"] for r in records if r["arm"] == ONLINE and (r.get("online") or {}).get(
        "checkpoints")]
    if not runs:
        return []
    out = []
    for i in range(max(len(c) for c in runs)):
        at = [c[i] for c in runs if i < len(c)]
        out.append((mean_std([p["generated_tokens"] for p in at]), mean_std([p.get(key) for p in at])))
    return out


def answer_markdown(summary: Summary, plot: str | None = None, beta: float | None = None) -> list[str]:
    """The page's "DRIFT vs online GRPO" section: the rule, the headline, one line per DRIFT variant, the online
    runs and their validation curve; [] when online-grpo did not run."""
    rows = answer_rows(summary)
    if not rows:
        return []
    key = f"multi@{summary.max_turns}"
    lines = ["## DRIFT vs online GRPO (computed, not written by hand)", "",
             f"Greedy {key} on the test split, mean ± std over seeds; generated tokens and wall seconds of "
             f"generation and training as in the Cost section. Rule: {RULE}.", "",
             headline(rows, key), ""]
    lines += [row_text(r, key) for r in rows]
    lines += online_facts(summary.records)
    if beta is not None:
        lines.append(f"- online GRPO's KL beta is fixed at {beta:g}: {BETA_REASON} (docs/design.md §10).")
    points = curve(summary.records, key)
    if points:
        shown = ", ".join(f"{t.mean:,.0f} tokens: {s.fmt()}" for t, s in points)
        lines += ["", f"Online GRPO's greedy {key} on validation problems at its checkpoints (a validation curve: "
                      f"not comparable point for point with the test figures above): {shown}."]
    if plot:
        lines += ["", f"![greedy {key} against generated tokens]({plot})"]
    return lines + [""]
