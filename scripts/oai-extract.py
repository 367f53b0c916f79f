#!/usr/bin/python3
"""Extract paths of a Twilio OpenAPI spec (github.com/twilio/twilio-oai,
spec/json/twilio_*.json) into the layout of tests/py/ramaltest/oai/ (see
its README): paths with their methods' path, query and form parameters
and response schemas, and the object schemas they name, `$ref` enums
written out in place and descriptions cut to 200 characters.

usage: oai-extract.py SPEC.json COMMIT TAG DATE PATH... > product.json

It reproduces the existing extracts (checked on trusthub_v1.json's
/v1/CustomerProfiles); numbers_v2.json was made with it.
"""

import json
import sys

DESC_MAX = 200
METHODS = ("get", "post", "delete")


def cut(text):
    return text if len(text) <= DESC_MAX else text[:DESC_MAX]


class Extractor:
    def __init__(self, spec):
        self.spec = spec
        self.schemas = spec.get("components", {}).get("schemas", {})
        self.kept = {}

    def ref_name(self, ref):
        return ref.rsplit("/", 1)[1]

    def field(self, schema, keep_desc=True):
        """A property or parameter schema, $ref enums written out."""
        out = {}
        if "$ref" in schema:
            name = self.ref_name(schema["$ref"])
            target = self.schemas.get(name, {})
            if "enum" in target:
                out["type"] = target.get("type", "string")
                out["enum"] = list(target["enum"])
                out["ref"] = name
                if keep_desc and "description" in target:
                    out["description"] = cut(target["description"])
                return out
            self.keep(name)
            return {"ref": name}
        for k in ("type", "format", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
                  "nullable"):
            if k in schema:
                out[k] = schema[k]
        if "items" in schema:
            out["items"] = self.field(schema["items"], keep_desc=False)
        if keep_desc and "description" in schema:
            out["description"] = cut(schema["description"])
        return out

    def keep(self, name):
        if name in self.kept or name not in self.schemas:
            return
        self.kept[name] = None
        s = self.schemas[name]
        out = {"type": s.get("type", "object"), "properties": {}}
        for prop, ps in s.get("properties", {}).items():
            f = self.field(ps, keep_desc=False)
            out["properties"][prop] = f
        self.kept[name] = out

    def object_schema(self, schema):
        if "$ref" in schema:
            name = self.ref_name(schema["$ref"])
            self.keep(name)
            return {"ref": name}
        out = {"type": schema.get("type", "object"), "properties": {}}
        for prop, ps in schema.get("properties", {}).items():
            if "$ref" in ps or ps.get("type") == "array":
                out["properties"][prop] = self.field(ps, keep_desc=False)
            elif ps.get("type") == "object" and "properties" in ps:
                out["properties"][prop] = self.object_schema(ps)
            else:
                out["properties"][prop] = self.field(ps, keep_desc=False)
        if "title" in schema:
            out["title"] = schema["title"]
        return out

    def params(self, op, where):
        out = {}
        for p in op.get("parameters", []):
            if p.get("in") != where:
                continue
            f = {"required": bool(p.get("required", False))}
            f.update(self.field(p.get("schema", {}), keep_desc=False))
            if where != "path" and "description" in p:
                f["description"] = cut(p["description"])
            out[p["name"]] = f
        return out

    def method(self, op):
        m = {"operationId": op.get("operationId"), "summary": cut(op.get("summary", op.get("description", "")))}
        m["path_params"] = self.params(op, "path")
        m["query_params"] = self.params(op, "query")
        body = op.get("requestBody", {}).get("content", {})
        if body:
            ctype = next(iter(body))
            m["request_content_type"] = ctype
            schema = body[ctype].get("schema", {})
            required = set(schema.get("required", []))
            form = {}
            for name, ps in schema.get("properties", {}).items():
                f = {"required": name in required}
                f.update(self.field(ps))
                form[name] = f
            m["form_params"] = form
        responses = {}
        for code, r in op.get("responses", {}).items():
            if not code.startswith("2"):
                continue
            content = r.get("content", {})
            if not content:
                responses[code] = {}
                continue
            ctype = next(iter(content))
            responses[code] = {"content_type": ctype, "schema": self.object_schema(content[ctype]["schema"])}
        m["responses"] = responses
        return m

    def path(self, template):
        p = self.spec["paths"][template]
        entry = {"selected": "requested", "servers": [s["url"] for s in p.get("servers", self.spec.get("servers", []))],
                 "path_type": p.get("x-twilio", {}).get("pathType", "")}
        if p.get("description"):
            entry["description"] = cut(p["description"])
        entry["methods"] = {k.upper(): self.method(p[k]) for k in METHODS if k in p}
        return entry


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    spec_file, commit, tag, date = sys.argv[1:5]
    templates = sys.argv[5:]
    with open(spec_file) as f:
        spec = json.load(f)
    ex = Extractor(spec)
    paths, missing = {}, []
    for t in templates:
        if t in spec["paths"]:
            paths[t] = ex.path(t)
        else:
            missing.append(t)
    info = spec.get("info", {})
    out = {
        "source": {
            "repository": "https://github.com/twilio/twilio-oai",
            "commit": commit,
            "commit_date": date,
            "repo_release": tag,
            "file": "spec/json/" + spec_file.rsplit("/", 1)[-1],
            "openapi": spec.get("openapi"),
            "info_title": info.get("title"),
            "info_version": info.get("version"),
            "license": "MIT (twilio-oai repository LICENSE); spec info.license says Apache 2.0",
        },
        "servers": [s["url"] for s in spec.get("servers", [])],
        "security": spec.get("components", {}).get("securitySchemes", {}),
        "missing_paths": missing,
        "paths": paths,
        "schemas": {k: v for k, v in ex.kept.items() if v is not None},
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
