#!/usr/bin/env python3
"""Prints the addon's source files for one OS, as binding.gyp lists them
(its 'sources' plus those of the 'conditions' that hold for that OS), one
per line, so that the builds that do not go through node-gyp (Windows with
mingw-w64, the macOS compile check) compile the same set.

usage: scripts/gyp-sources.py win|mac|linux
"""
import ast
import os
import re
import sys

os_name = sys.argv[1]
with open(os.path.join(os.path.dirname(__file__), '..', 'binding.gyp')) as f:
    target = ast.literal_eval(f.read())['targets'][0]


def holds(condition):
    m = re.fullmatch(r'OS\s*(==|!=)\s*"(\w+)"', condition.strip())
    if not m:
        sys.exit(f'gyp-sources: cannot evaluate condition {condition!r}')
    return (os_name == m.group(2)) == (m.group(1) == '==')


sources = list(target['sources'])
for condition, *branches in target.get('conditions', []):
    branch = branches[0] if holds(condition) else (branches[1] if len(branches) > 1 else {})
    sources += branch.get('sources', [])
print('\n'.join(sources))
