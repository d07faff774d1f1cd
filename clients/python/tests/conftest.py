import pathlib
import sys
from typing import Iterator

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from stack import BIN_DIR, Stack  # noqa: E402


@pytest.fixture
def stack(tmp_path: pathlib.Path) -> Iterator[Stack]:
    if not (BIN_DIR / "sealpost-server").exists():
        pytest.fail(f"no sealpost-server in {BIN_DIR} (set SEALPOST_BIN_DIR)")
    s = Stack(tmp_path)
    try:
        yield s
    finally:
        s.stop()
