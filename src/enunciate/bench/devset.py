"""What the benchmark scripts share: their common arguments and the dev term set."""
from __future__ import annotations

import argparse
from ..evaluate.terms import DEV_SET  # noqa: F401 (the scripts' dev set)


def parser(doc: str | None) -> argparse.ArgumentParser:
    """--voices, --asr, --threads, --limit: the same meaning in every dev-set benchmark."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voices", default="heart,joe,kokoro")
    ap.add_argument("--asr", default="base", help="Whisper model: tiny.en or base")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N sentences (0: all)")
    return ap


def items(limit: int = 0):
    from ..evaluate.terms import load_term_set

    loaded = load_term_set(DEV_SET)
    return loaded[:limit] if limit else loaded
