#!/usr/bin/env python3
"""Checks real answers of the server against its OpenAPI 3.1 document (issue 19).

usage: validate.py OPENAPI.json EXCHANGES.jsonl

EXCHANGES holds one JSON object per line: {method, target, status, content_type, body}, as the
integration test recorded them. For each: the documented operation whose path template fits the
target (a literal segment beats a {parameter}); the documented response for the status (exact
code, then "4XX"-style, then "default"); its content type; and, for JSON, the body validated with
jsonschema's Draft 2020-12 validator (OpenAPI 3.1's dialect), $refs resolved in the document.

Also checked: the document itself (openapi 3.1.x, every schema a valid 2020-12 schema, every
$ref resolvable, unique operationIds, path parameters declared), and that every documented
operation was called at least once. Exits 0 when all holds, 1 otherwise (the problems on stdout).

Runs on Debian 12's python3-jsonschema (4.10, RefResolver) and on newer releases (referencing).
"""
import json
import re
import sys
import warnings

import jsonschema
from jsonschema import Draft202012Validator

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


URI = "urn:pingpost:openapi"


def make_validator(doc, schema):
    try:  # jsonschema >= 4.18 resolves $refs through a registry
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:  # Debian 12's 4.10
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver.from_schema(doc)
        return Draft202012Validator(schema, resolver=resolver)
    registry = Registry().with_resource(URI, Resource(contents=doc, specification=DRAFT202012))
    return Draft202012Validator(rebase(schema), registry=registry)


def rebase(schema):
    """Local $refs ("#/components/...") made absolute: the document's URI in the registry."""
    if isinstance(schema, dict):
        return {k: (URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#")
                    else rebase(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [rebase(v) for v in schema]
    return schema


def template_regex(path, rest=False):
    """A path template as a regex; with rest (x-pingpost-rest), the last {param} takes '/' too."""
    parts = []
    segs = path.split("/")
    for i, seg in enumerate(segs):
        if seg.startswith("{") and seg.endswith("}"):
            parts.append(".+" if rest and i == len(segs) - 1 else "[^/]+")
        else:
            parts.append(re.escape(seg))
    return re.compile("^" + "/".join(parts) + "$")


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("only local $refs: " + ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                all_refs(v, out)
    elif isinstance(node, list):
        for v in node:
            all_refs(v, out)


def check_document(doc, problems):
    if not str(doc.get("openapi", "")).startswith("3.1."):
        problems.append("document: openapi is not 3.1.x")
    for key in ("info", "paths"):
        if key not in doc:
            problems.append("document: no " + key)
    refs = []
    all_refs(doc, refs)
    for ref in refs:
        try:
            resolve(doc, {"$ref": ref})
        except (KeyError, ValueError, TypeError) as e:
            problems.append(f"document: unresolvable $ref {ref} ({e})")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            problems.append(f"document: schema {name} is not valid: {e.message}")
    seen_ids = set()
    for path, item in doc["paths"].items():
        declared_path = {p["name"] for p in (resolve(doc, p) for p in item.get("parameters", []))
                         if p.get("in") == "path"}
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            where = f"{method.upper()} {path}"
            oid = op.get("operationId")
            if not oid:
                problems.append(f"document: {where} has no operationId")
            elif oid in seen_ids:
                problems.append(f"document: operationId {oid} is used twice")
            seen_ids.add(oid)
            if not op.get("responses"):
                problems.append(f"document: {where} has no responses")
            declared = set(declared_path)
            declared |= {p["name"] for p in (resolve(doc, p) for p in op.get("parameters", []))
                         if p.get("in") == "path"}
            wanted = set(re.findall(r"{([^}]+)}", path))
            if wanted != declared:
                problems.append(f"document: {where} declares path parameters {sorted(declared)}, "
                                f"its template has {sorted(wanted)}")
            for status, resp in op.get("responses", {}).items():
                for ctype, media in resolve(doc, resp).get("content", {}).items():
                    if "schema" in media:
                        try:
                            Draft202012Validator.check_schema(media["schema"])
                        except jsonschema.SchemaError as e:
                            problems.append(f"document: {where} {status} {ctype}: {e.message}")


def find_operation(doc, method, path):
    best = None
    for template, item in doc["paths"].items():
        if not template_regex(template, item.get("x-pingpost-rest", False)).match(path):
            continue
        literal = sum(1 for s in template.split("/") if not s.startswith("{"))
        if best is None or literal > best[0]:
            best = (literal, template, item)
    if best is None:
        return None, None
    return best[1], best[2].get(method.lower())


def find_response(doc, op, status):
    responses = op.get("responses", {})
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return resolve(doc, responses[key])
    return None


def main():
    doc_path, exchanges_path = sys.argv[1], sys.argv[2]
    with open(doc_path) as f:
        doc = json.load(f)
    problems = []
    check_document(doc, problems)
    validators = {}
    called = set()
    count = 0
    with open(exchanges_path) as f:
        for line in f:
            if not line.strip():
                continue
            x = json.loads(line)
            count += 1
            method, target, status = x["method"], x["target"], x["status"]
            path = target.split("?", 1)[0]
            where = f"{method} {target} -> {status}"
            template, op = find_operation(doc, method, path)
            if template is None:
                if status != 404:
                    problems.append(f"{where}: no documented path, yet not 404")
                continue
            if op is None:
                if status != 405:
                    problems.append(f"{where}: method not documented for {template}, yet not 405")
                continue
            called.add((method.lower(), template))
            resp = find_response(doc, op, status)
            if resp is None:
                problems.append(f"{where}: status {status} not documented for "
                                f"{method} {template}")
                continue
            content = resp.get("content", {})
            ctype = x.get("content_type", "").split(";")[0].strip().lower()
            if not content:
                if x.get("body_size", len(x["body"])):
                    problems.append(f"{where}: documented without a body, answered {ctype}")
                continue
            media = content.get(ctype)
            if media is None:
                problems.append(f"{where}: content type {ctype!r} not documented "
                                f"(documented: {sorted(content)})")
                continue
            schema = media.get("schema")
            if schema is None or not (ctype == "application/json" or ctype.endswith("+json")):
                continue
            try:
                body = json.loads(x["body"])
            except ValueError:
                problems.append(f"{where}: body is not JSON: {x['body'][:120]!r}")
                continue
            key = (template, method, str(status), ctype)
            if key not in validators:
                validators[key] = make_validator(doc, schema)
            errors = sorted(validators[key].iter_errors(body), key=lambda e: list(e.path))
            for e in errors[:5]:
                at = "/".join(str(p) for p in e.path) or "(root)"
                problems.append(f"{where}: at {at}: {e.message[:300]}")
    for template, item in doc["paths"].items():
        for method in METHODS:
            if method in item and (method, template) not in called:
                problems.append(f"not called: {method.upper()} {template}")
    for p in problems:
        print(p)
    print(f"{count} answers checked against {len(called)} operations; "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
