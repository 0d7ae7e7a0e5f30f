"""PayPal's OpenAPI files (tests/gateways/data), loaded for the contract test.

openapi-spec-validator checks a file against the OpenAPI 3.0 schema with a validator it picks
once per process (`openapi_v30_schema_validator`, a lazy object resolved at its first use, from
the environment at that moment): whichever test loads a file first fixes it for every later one.
Its default, jsonschema-rs, refuses the PayPal files' own `components.schemas.email` pattern as an
ECMA-262 regex (Python's `re` compiles it), so these files are checked by a spec validator of
their own whose schema validator is the pure-Python jsonschema one, chosen here and not by
whatever ran before. Still checked, never skipped.
"""

from __future__ import annotations

from pathlib import Path

from openapi_core import Config, OpenAPI
from openapi_spec_validator.schemas import schema_v30
from openapi_spec_validator.schemas.backend.jsonschema import create_validator
from openapi_spec_validator.validation.validators import OpenAPIV30SpecValidator

DATA = Path(__file__).resolve().parents[1] / "gateways" / "data"
ORDERS_FILE = DATA / "paypal-checkout_orders_v2.json"
PAYMENTS_FILE = DATA / "paypal-payments_payment_v2.json"


class PurePythonV30SpecValidator(OpenAPIV30SpecValidator):
    """OpenAPI 3.0's spec validator with the jsonschema backend, whatever the process chose."""

    schema_validator = create_validator(dict(schema_v30))


def paypal_spec(path: Path) -> OpenAPI:
    """One of the PayPal files (OpenAPI 3.0), its own validity checked as described above."""
    return OpenAPI.from_file_path(
        str(path), config=Config(spec_validator_cls=PurePythonV30SpecValidator)
    )
