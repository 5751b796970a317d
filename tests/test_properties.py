"""Property tests where input is open-ended: placeholders in any text, archives of any file tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpa_kit.placeholders import find_placeholders

PLACEHOLDERS = [
    "[...]",
    "XXXX",
    "A COMPLETER",
    "« Nom dispositif »",
    "[A ANNEXER ET PERSONNALISER]",
    "Nom de la structure",
]
# Text made of words that can never form a placeholder by themselves.
safe_text = st.lists(
    st.sampled_from(
        [
            "le",
            "Département",
            "données",
            "sous-traitant",
            "2026",
            "Béthune",
            ",",
            ".",
            "CCAS",
            "finalité",
            "x",
            "(",
            ")",
            ":",
        ]
    ),
    max_size=30,
).map(" ".join)


@given(st.text(max_size=300))
def test_find_placeholders_never_fails(text: str) -> None:
    for hit in find_placeholders(text):
        assert 0 <= hit.offset <= len(text) and hit.label


@given(safe_text, st.sampled_from(PLACEHOLDERS), safe_text)
def test_an_inserted_placeholder_is_always_found(before: str, placeholder: str, after: str) -> None:
    text = f"{before} {placeholder} {after}"
    hits = find_placeholders(text)
    assert hits, text
    assert any(text.find(placeholder) <= h.offset < text.find(placeholder) + len(placeholder) for h in hits)


@given(safe_text)
def test_clean_text_has_no_placeholder(text: str) -> None:
    assert find_placeholders(text) == []


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèà0123456789_-", min_size=1, max_size=12).filter(
    lambda n: n not in {".", ".."}
)
trees = st.dictionaries(
    st.lists(names, min_size=1, max_size=3).map(tuple), st.binary(max_size=3000), min_size=1, max_size=6
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_any_file_tree_round_trips(tree: dict[tuple[str, ...], bytes]) -> None:
    from dpa_kit.exchange import open_archive, pack

    # Keep a consistent tree: no path may be both a file and a folder, names unique ignoring case.
    files: dict[str, bytes] = {}
    for parts, data in tree.items():
        path = "/".join(("racine", *parts))
        lowered = path.lower()
        if any(
            lowered.startswith(p.lower() + "/") or p.lower().startswith(lowered + "/") or p.lower() == lowered
            for p in files
        ):
            continue
        files[path] = data
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        for path, data in files.items():
            target = root / "src" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        pack([root / "src" / "racine"], root / "a.zip", "k7mq-3xw9-hp2t-va8e-n4rd-zc6u")
        result = open_archive(root / "a.zip", "k7mq-3xw9-hp2t-va8e-n4rd-zc6u", root / "out")
        assert result.verified
        restored = {
            p.relative_to(root / "out").as_posix(): p.read_bytes() for p in (root / "out").rglob("*") if p.is_file()
        }
        assert restored == files
