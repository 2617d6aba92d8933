"""Coverage-guided fuzzing of every detente loader over raw bytes, with atheris (libFuzzer).

    pip install -e '.[fuzz]'
    python fuzz/atheris_loaders.py -atheris_runs=100000 [CORPUS_DIR ...]

The first byte of each input picks the loader (YAML, plain CSV, KTAB CSV, KTAB XML, the DEU file
when present); the rest is the file's content. The contract: the loader returns, or raises
detente's own DetenteError; any other exception is a crash, and libFuzzer saves the input that
caused it (``crash-<sha1>``). Without atheris the script says so and exits 0, so a checkout without
the extra never fails on it. ``seed_inputs()`` gives a starting corpus (valid files of each kind).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tools.stress, from the repo root

try:
    import atheris
except ImportError:  # the optional extra is not installed
    atheris = None


def _import_loaders() -> tuple[list[tuple[str, str, Any]], type[BaseException]]:
    from tools.stress import loaders

    from detente.scenario.errors import DetenteError

    table = [(name, ld.suffix, ld.call) for name, ld in sorted(loaders().items())]
    return table, DetenteError


if atheris is not None and __name__ == "__main__":
    # Instrument for coverage only when fuzzing (a test importing this module gets plain code).
    with atheris.instrument_imports(include=["detente", "yaml", "defusedxml", "csv"]):
        LOADERS, DETENTE_ERROR = _import_loaders()
else:
    LOADERS, DETENTE_ERROR = _import_loaders()

_TMP = Path(tempfile.mkdtemp(prefix="detente-atheris-"))


def test_one_input(data: bytes) -> None:
    """Feed ``data[1:]`` to the loader ``data[0]`` picks; only DetenteError may escape."""
    if not data:
        return
    name, suffix, call = LOADERS[data[0] % len(LOADERS)]
    path = _TMP / f"input-{name}{suffix}"
    path.write_bytes(data[1:])
    try:
        call(path)
    except DETENTE_ERROR as exc:
        if "\n" in str(exc).strip():
            raise AssertionError(f"{name}: a message of several lines: {str(exc)[:200]!r}") from exc


def seed_inputs() -> list[bytes]:
    """A starting corpus: the stress fuzzer's valid seeds, each prefixed with its loader's byte."""
    from tools.stress import seed_corpus

    corpus = seed_corpus(0)
    out = []
    for k, (name, _, _) in enumerate(LOADERS):
        out += [bytes([k]) + seed for seed in corpus.get(name, [])]
    return out


def main(argv: list[str]) -> int:
    if atheris is None:
        print("atheris is not installed (pip install -e '.[fuzz]'): nothing to fuzz, skipping")
        return 0
    args = list(argv)
    if not any(not a.startswith("-") for a in args[1:]):
        # No corpus directory given: start from the valid seeds.
        seeds = _TMP / "corpus"
        seeds.mkdir(exist_ok=True)
        for i, blob in enumerate(seed_inputs()):
            (seeds / f"seed-{i}").write_bytes(blob)
        args.append(str(seeds))
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
