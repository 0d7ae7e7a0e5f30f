"""The PayPal files load whichever spec validator another test made openapi-spec-validator pick
first (paypal_specs.py). The Paystack contract test, run before the PayPal one in one session,
used to fix the process's choice at jsonschema-rs, and every PayPal contract test then errored.

A process of its own, so the choice is made here, as that session made it, and nowhere else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from openapi_core import OpenAPI
from openapi_spec_validator.schemas import get_validator_backend, openapi_v30_schema_validator
from tests.online.paypal_specs import ORDERS_FILE, PAYMENTS_FILE, paypal_spec

# What the Paystack contract test does first: load its file, which resolves the shared OpenAPI
# 3.0 validator with the default backend.
assert get_validator_backend() == "jsonschema-rs", get_validator_backend()
OpenAPI.from_file_path(str(ORDERS_FILE.parent / "paystack-openapi.yaml"))
assert type(openapi_v30_schema_validator.__wrapped__).__name__ == "JsonschemaRsValidatorWrapper"
paypal_spec(ORDERS_FILE)
paypal_spec(PAYMENTS_FILE)
print("loaded")
"""


def test_the_paypal_files_load_after_another_file_fixed_the_shared_validator():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAPI_SPEC_VALIDATOR_")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["loaded"]
