#!/usr/bin/env python3
"""Validates LINE Messaging API request bodies against LINE's OpenAPI spec.

Usage: validate_line_request.py SPEC.yml SCHEMA BODY.json [BODY.json ...]
  e.g. validate_line_request.py line-openapi/messaging-api.yml PushMessageRequest push.json
       Add --retry-key KEY to also check an X-Line-Retry-Key header against the spec (format: uuid).

OpenAPI 3.0 schemas are not plain JSON Schema in one respect that matters here: `discriminator` picks a
subschema by the value of a property (a Message with "type": "text" is a TextMessage), and JSON Schema
validators ignore it. So every discriminated schema gets a dispatching twin that applies the mapped
subschema, and references to the schema elsewhere are pointed at the twin; references that are the base of an
`allOf` (the spec's way of saying "TextMessage extends Message") keep pointing at the plain schema.

Properties the spec does not declare are refused as well (OpenAPI objects are open by default), so a
misspelt field cannot pass silently.

Exit status 0 when everything is valid, 1 with one line per problem on stderr otherwise, 2 on bad usage.
Needs Debian's python3-yaml and python3-jsonschema.
"""
import copy
import json
import sys
import uuid

import jsonschema
import yaml

REF_PREFIX = "#/components/schemas/"


def dispatching_schemas(schemas):
    """The spec's component schemas, with a NAME__dispatch twin for each discriminated NAME."""
    discriminated = {
        name for name, schema in schemas.items() if (schema.get("discriminator") or {}).get("mapping")
    }
    result = {}
    for name, schema in schemas.items():
        result[name] = rewrite_references(copy.deepcopy(schema), discriminated)
    for name in discriminated:
        discriminator = schemas[name]["discriminator"]
        prop = discriminator["propertyName"]
        branches = [
            {"if": {"properties": {prop: {"const": value}}, "required": [prop]}, "then": {"$ref": target}}
            for value, target in discriminator["mapping"].items()
        ]
        result[name + "__dispatch"] = {
            "allOf": [{"$ref": REF_PREFIX + name}] + branches,
            "properties": {prop: {"enum": list(discriminator["mapping"])}},
            "required": [prop],
        }
    return result


def rewrite_references(node, discriminated, in_all_of=False):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref and ref.startswith(REF_PREFIX) and ref[len(REF_PREFIX):] in discriminated and not in_all_of:
            node["$ref"] = ref + "__dispatch"
        for key, value in node.items():
            if key == "allOf" and isinstance(value, list):
                node[key] = [rewrite_references(item, discriminated, in_all_of=True) for item in value]
            elif key != "$ref":
                node[key] = rewrite_references(value, discriminated)
        return node
    if isinstance(node, list):
        return [rewrite_references(item, discriminated) for item in node]
    return node


def declared_properties(schema, schemas, seen=None):
    """Every property name a schema allows, following $ref, allOf and the discriminator mapping."""
    seen = seen if seen is not None else set()
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if ref and ref.startswith(REF_PREFIX) and ref not in seen:
        seen.add(ref)
        names |= declared_properties(schemas[ref[len(REF_PREFIX):]], schemas, seen)
    for part in schema.get("allOf", []):
        names |= declared_properties(part, schemas, seen)
    return names


def unknown_properties(instance, schema, schemas, path="$"):
    """Paths of object keys the spec does not declare, for the request object and its messages."""
    problems = []
    schema = resolve(schema, schemas)
    if isinstance(instance, dict):
        target = schema
        discriminator = schema.get("discriminator") or {}
        mapping = discriminator.get("mapping") or {}
        value = instance.get(discriminator.get("propertyName", ""))
        if value in mapping:
            target = schemas[mapping[value][len(REF_PREFIX):]]
        allowed = declared_properties(target, schemas)
        for key, value in instance.items():
            if key not in allowed:
                problems.append(f"{path}.{key}: not declared by the spec")
            else:
                child = property_schema(target, key, schemas)
                if child is not None:
                    problems += unknown_properties(value, child, schemas, f"{path}.{key}")
    elif isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            problems += unknown_properties(item, schema["items"], schemas, f"{path}[{index}]")
    return problems


def resolve(schema, schemas):
    while isinstance(schema, dict) and "$ref" in schema and schema["$ref"].startswith(REF_PREFIX):
        schema = schemas[schema["$ref"][len(REF_PREFIX):]]
    return schema


def property_schema(schema, key, schemas):
    schema = resolve(schema, schemas)
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    for part in schema.get("allOf", []):
        found = property_schema(part, key, schemas)
        if found is not None:
            return found
    return None


def main(arguments):
    retry_key = None
    if "--retry-key" in arguments:
        index = arguments.index("--retry-key")
        retry_key = arguments[index + 1]
        del arguments[index:index + 2]
    if len(arguments) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec_path, schema_name, bodies = arguments[0], arguments[1], arguments[2:]
    with open(spec_path, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    schemas = spec["components"]["schemas"]
    if schema_name not in schemas:
        print(f"no schema {schema_name} in {spec_path}", file=sys.stderr)
        return 2
    rewritten = dispatching_schemas(schemas)
    root = {"$ref": REF_PREFIX + schema_name, "components": {"schemas": rewritten}}
    validator = jsonschema.Draft7Validator(root)

    problems = []
    for path in bodies:
        with open(path, encoding="utf-8") as file:
            body = json.load(file)
        for error in validator.iter_errors(body):
            location = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append(f"{path}: {location}: {error.message}")
        problems += [f"{path}: {problem}" for problem in unknown_properties(body, schemas[schema_name], schemas)]
    if retry_key is not None:
        try:
            parsed = uuid.UUID(retry_key)
            if str(parsed) != retry_key.lower():
                raise ValueError
        except ValueError:
            problems.append(f"X-Line-Retry-Key {retry_key!r} is not a UUID in hexadecimal form")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
