#!/usr/bin/python3
"""Runs the webhook verifiers printed in README.md (its Python and JavaScript blocks under
"Notifications") against a real delivery: they must accept it, and refuse it with a changed body,
a wrong secret or an old timestamp.

    readme_verifiers.py --readme README.md --secret whsec_... --delivery delivery.json

delivery.json: {"headers": {...lower-case names...}, "body": "..."}. Exits 1 on any wrong answer.
"""
import argparse
import json
import re
import subprocess
import sys


def blocks(readme):
    text = open(readme).read()
    section = text[text.index("## Notifications"):]
    section = section[:section.index("\n## ", 4)]
    py = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    js = re.search(r"```javascript\n(.*?)```", section, re.S).group(1)
    return py, js


def run_python(code, secret, headers, body):
    env = {}
    exec(code, env)
    return env["verify"](secret, headers, body.encode())


def run_node(code, secret, headers, body):
    script = code + "\nprocess.stdout.write(String(verify(%s, %s, Buffer.from(%s))));\n" % (
        json.dumps(secret), json.dumps(headers), json.dumps(body))
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip() == "true"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--delivery", required=True)
    a = ap.parse_args()
    d = json.load(open(a.delivery))
    headers, body = d["headers"], d["body"]
    py, js = blocks(a.readme)
    other = "whsec_" + "QUFB" * 11
    old = dict(headers, **{"webhook-timestamp": str(int(headers["webhook-timestamp"]) - 3600)})
    cases = [("real delivery", a.secret, headers, body, True),
             ("changed body", a.secret, headers, body.replace("ACCEPTED", "REJECTED"), False),
             ("wrong secret", other, headers, body, False),
             ("old timestamp", a.secret, old, body, False)]
    wrong = []
    for name, run in (("python", run_python), ("node", run_node)):
        for what, secret, h, b, want in cases:
            got = run(py if name == "python" else js, secret, h, b)
            if got != want:
                wrong.append(f"{name}: {what}: {got}, expected {want}")
    print("\n".join(wrong) or "python and node verifiers: every case as expected")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
