#!/usr/bin/env python3
"""Validates JSON documents or NDJSON lines against a JSON Schema (2020-12).

usage: validate-json.py SCHEMA FILE [--ndjson]
Exit status 0 when every document is valid, 1 otherwise (each error printed with its line), 2 on usage errors.
"""
import json, sys

try:
    import jsonschema
except ImportError:
    print("validate-json: python3 module 'jsonschema' missing (pip install jsonschema)", file=sys.stderr)
    sys.exit(3)

def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    with open(sys.argv[2]) as f:
        docs = [(i + 1, l) for i, l in enumerate(f) if l.strip()] if "--ndjson" in sys.argv else [(1, f.read())]
    for line, text in docs:
        doc = json.loads(text)
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            bad += 1
            print(f"line {line}: {'/'.join(map(str, err.path))}: {err.message[:300]}")
    print(f"{len(docs)} documents, {bad} errors")
    return 1 if bad else 0

sys.exit(main())
