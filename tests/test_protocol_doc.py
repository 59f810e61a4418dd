"""docs/protocol.md names every error code and close code the sockets use."""

from __future__ import annotations

import re

from realtime import admission, consumers

from .servers import ROOT


def test_every_error_and_close_code_is_documented() -> None:
    doc = (ROOT / "docs" / "protocol.md").read_text()
    sources = [ROOT / "realtime" / "consumers.py", ROOT / "realtime" / "admission.py"]
    pattern = r'(?:_error|protocol\.error)\(\s*"([a-z_]+)"'
    codes = {code for path in sources for code in re.findall(pattern, path.read_text())}
    codes |= {"bad_json", "invalid_text"}  # from inputs.loads, renamed in the consumer
    assert codes, "found no error codes: the pattern no longer matches the consumers"
    missing = sorted(code for code in codes if f"`{code}`" not in doc)
    assert not missing, f"undocumented error codes: {missing}"
    closes = [consumers.CLOSE_NOT_FOUND, consumers.CLOSE_UNAUTHORIZED, consumers.CLOSE_TOO_BIG]
    closes += [consumers.CLOSE_POLICY, admission.CLOSE_TOO_MANY]
    assert all(f"| {code} |" in doc for code in closes), closes
