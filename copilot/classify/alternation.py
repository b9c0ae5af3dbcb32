"""Large alternations of phrases, rewritten so CPython's regex engine scans them quickly.

The engine tries every branch of an alternation at every word start. A branch that begins with a literal
letter fails at once on any other letter; one that begins with a group ("(we|i) paid") is entered and
backed out of everywhere, and a few dozen of those cost more than hundreds of plain phrases. So leading
groups are multiplied out ("we paid|i paid") and the branches are grouped by their first letter.
Neither step changes what the alternation matches at a position, and multiplying out keeps the order in
which branches are tried; `tests/classify/test_alternation.py` checks both on the shipped replies.
"""

import re
from collections.abc import Iterator
from itertools import pairwise


def _syntax(pattern: str) -> Iterator[tuple[int, str, int]]:
    """Each character of `pattern` that is regex syntax (not escaped, not inside a character class), with its
    index and the group depth in front of it."""
    depth, in_class, i = 0, False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            yield i, ch, depth
            depth += (ch == "(") - (ch == ")")
        i += 1


def top_level_alternatives(pattern: str) -> list[str]:
    """Split a regex on the `|` that are not inside a group or a character class."""
    cuts = [i for i, ch, depth in _syntax(pattern) if ch == "|" and depth == 0]
    return [pattern[a + 1 : b] for a, b in pairwise([-1, *cuts, len(pattern)])]


def _group_end(pattern: str) -> int:
    """The index just past the group that opens `pattern` at index 0, or -1 when it is not closed."""
    return next((i + 1 for i, ch, depth in _syntax(pattern) if ch == ")" and depth == 1), -1)


def _leading_group(branch: str) -> tuple[list[str], str, bool] | None:
    """A branch that opens with a plain or non-capturing group, alone or with a greedy `?`: (the group's
    alternatives, what follows it, whether it is optional). None for anything else (lookarounds, `*`, `+`,
    counted or lazy repeats, no group)."""
    if not branch.startswith("(") or (branch.startswith("(?") and not branch.startswith("(?:")):
        return None
    end = _group_end(branch)
    if end < 0:
        return None
    inner = branch[3 : end - 1] if branch.startswith("(?:") else branch[1 : end - 1]
    rest = branch[end:]
    optional = rest.startswith("?") and not rest.startswith("??")
    if optional:
        rest = rest[1:]
    elif rest[:1] in ("*", "+", "{", "?"):
        return None
    return top_level_alternatives(inner), rest, optional


def expand_leading_group(branch: str) -> list[str]:
    """`branch` as the branches its leading group stands for, in the order the engine would try them.

    "(we|i) paid" becomes ["we paid", "i paid"]; "(nous )?réglerons" becomes ["nous réglerons", "réglerons"]
    (a greedy `?` tries the group first). Only a plain or non-capturing group, alone or with a greedy `?`,
    is multiplied out; anything else (lookarounds, `*`, `+`, counted or lazy repeats) is kept whole.
    Capturing groups become non-capturing, which changes no match, only what `findall` would return.
    """
    group = _leading_group(branch)
    if group is None:
        return [branch]
    alternatives, rest, optional = group
    out = [expanded for alt in alternatives for expanded in expand_leading_group(alt + rest)]
    return out + (expand_leading_group(rest) if optional else [])


def _by_first_letter(branch: str) -> list[str]:
    """The branches of `expand_leading_group`, but those starting with the same letter share one copy of what
    follows the group: "(we|was|i) paid" becomes ["w(?:e|as) paid", "i(?:) paid"]. The same matches at each
    position, in another order, and a long tail behind a group of many words is compiled once per letter.
    """
    group = _leading_group(branch)
    if group is None:
        return [branch]
    alternatives, rest, optional = group
    tails: dict[str, list[str]] = {}
    out: list[str] = []
    for alternative in alternatives:
        for start in expand_leading_group(alternative):
            head = _literal_head(start)
            if head is None:
                out.append(start + rest)
            else:
                tails.setdefault(head, []).append(start[1:])
    out += [re.escape(head) + "(?:" + "|".join(ends) + ")" + rest for head, ends in tails.items()]
    return out + (_by_first_letter(rest) if optional else [])


def factor_by_first_letter(pattern: str) -> str:
    """The same alternation grouped by each branch's first literal letter.

    Grouped, the engine tries only the branches that can start with the letter in front of it. Branches
    that do not start with a plain letter stay as they are, first.
    """
    buckets: dict[str, list[str]] = {}
    others: list[str] = []
    for branch in top_level_alternatives(pattern):
        body = branch.removeprefix("\\b")
        if body and (body[0].isalnum() or body[0] in "'’") and not (len(body) > 1 and body[1] in "?*+{"):
            buckets.setdefault(body[0], []).append(body[1:])
        else:
            others.append(branch)
    grouped = [re.escape(first) + "(?:" + "|".join(rests) + ")" for first, rests in buckets.items()]
    return "|".join(others + grouped)


_SPECIAL = frozenset(".^$*+?{}[]\\|()")


def _literal_head(branch: str) -> str | None:
    """The branch's first character when it is a plain literal that no quantifier follows."""
    if branch and branch[0] not in _SPECIAL and not (len(branch) > 1 and branch[1] in "?*+{"):
        return branch[0]
    return None


def _trie(branches: list[str], depth: int) -> str:
    """The branches as an alternation that shares their leading letters, `depth` letters deep.

    Branches are reordered, so this is only for a regex whose alternation is its end: there, whether it
    matches at a position does not depend on which branch is tried first.
    """
    buckets: dict[str, list[str]] = {}
    others: list[str] = []
    for branch in branches:
        head = _literal_head(branch)
        if head is None:
            others.append(branch)
        else:
            buckets.setdefault(head, []).append(branch[1:])
    parts = [b for b in others if b]
    for head, rests in buckets.items():
        inner = _trie(rests, depth - 1) if depth > 1 and len(rests) > 1 else "|".join(rests)
        parts.append(re.escape(head) + (f"(?:{inner})" if len(rests) > 1 or "|" in inner else inner))
    if "" in others:
        parts.append("")  # a phrase that ended here: the empty branch, tried last
    return "|".join(parts)


def word_start_branches(pattern: str) -> list[str]:
    """The branches of `pattern` (read as `\\b(?:pattern)`), each starting with a letter where its leading group
    allows (see `_by_first_letter`)."""
    return [start for branch in top_level_alternatives(pattern) for start in _by_first_letter(branch.removeprefix("\\b"))]


def first_letters(pattern: str) -> frozenset[str] | None:
    """The characters a match of `pattern` (read as `\\b(?:pattern)`) can start with; None when not known."""
    heads = {_literal_head(branch) for branch in word_start_branches(pattern)}
    return None if None in heads else frozenset(heads)


def word_start_union(patterns: list[str]) -> re.Pattern[str]:
    """One regex that matches at a word start exactly where one of `patterns` (each read as `\\b(?:p)`) does.

    Which phrase it reports at a position may differ from the written order; whether it matches does not.
    """
    branches = [branch for pattern in patterns for branch in word_start_branches(pattern)]
    return re.compile(rf"\b(?:{_trie(branches, depth=4)})")
