#!/usr/bin/env python3
"""Validates JSON bodies against a schema of GOV.UK Pay's public API spec (govuk-pay/publicapi_spec.json).

Usage: validate_govuk_pay.py SPEC.json SCHEMA BODY.json [BODY.json ...]
  e.g. validate_govuk_pay.py govuk-pay/publicapi_spec.json CreatePaymentResult answer.json

Besides the spec's own rules (types, enums, maxLength, minimum/maximum, required), properties the spec does not
declare are refused: OpenAPI objects are open by default, and a misspelt field must not pass silently.

Exit status 0 when every body is valid, 1 with one line per problem on stderr, 2 on bad usage.
Needs Debian's python3-jsonschema.
"""
import json
import sys

import jsonschema

REF_PREFIX = "#/components/schemas/"


def closed(node):
    """The schema with additionalProperties: false on every object that declares properties."""
    if isinstance(node, dict):
        result = {key: closed(value) for key, value in node.items()}
        if "properties" in result and "additionalProperties" not in result:
            result["additionalProperties"] = False
        return result
    if isinstance(node, list):
        return [closed(item) for item in node]
    return node


def main(arguments):
    if len(arguments) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec_path, schema_name, bodies = arguments[0], arguments[1], arguments[2:]
    with open(spec_path, encoding="utf-8") as file:
        spec = json.load(file)
    schemas = spec["components"]["schemas"]
    if schema_name not in schemas:
        print(f"no schema {schema_name} in {spec_path}", file=sys.stderr)
        return 2
    document = {"components": {"schemas": closed(schemas)}}
    schema = {"$ref": REF_PREFIX + schema_name, "components": document["components"]}
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for path in bodies:
        with open(path, encoding="utf-8") as file:
            instance = json.load(file)
        for error in validator.iter_errors(instance):
            location = "$" + "".join(f"[{part!r}]" if isinstance(part, int) else f".{part}" for part in error.path)
            problems.append(f"{path}: {location}: {error.message}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
