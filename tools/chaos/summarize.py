#!/usr/bin/env python3
"""Summarises a chaos campaign directory (tools/chaos/campaign): runs, faults and admin writes by
kind, messages, what the checkers examined, and the runs with violations. Usage: summarize.py DIR"""
import json, os, sys, collections, re
root = sys.argv[1]
seeds = sorted((d for d in os.listdir(root) if d.isdigit()), key=int)
runs = [d for d in seeds if os.path.exists(os.path.join(root, d, 'results.json'))]
incomplete = [d for d in seeds if d not in runs]
kinds = collections.Counter(); admin = collections.Counter()
ack = unk = ref = delivered = dup = 0; failed_runs = []; leaders = []; checks = collections.Counter()
for r in runs:
    d = json.load(open(os.path.join(root, r, 'results.json')))
    s = json.load(open(os.path.join(root, r, 'schedule.json')))
    for e in s['entries']:
        (kinds if e['kind'] not in ('SHARDS', 'MOVE', 'DRAIN') else admin)[e['kind']] += 1
    m = d['messages']; ack += m['acknowledged']; unk += m['unknown']; ref += m['refused']
    summ = open(os.path.join(root, r, 'summary.txt')).read()
    mm = re.search(r'(\d+) delivered, (\d+) duplicates', summ)
    delivered += int(mm.group(1)); dup += int(mm.group(2))
    for c in d['checks']:
        checks[c['checker']] += c['examined']
    bad = [c['checker'] for c in d['checks'] if c['violations']] + (['harness'] if d['harness_errors'] else [])
    if bad: failed_runs.append((r, bad))
print(f"runs: {len(runs)} completed" + (f" ({runs[0]}-{runs[-1]})" if runs else ""))
print("faults:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), f"(total {sum(kinds.values())})")
print("admin writes:", ", ".join(f"{k} {v}" for k, v in sorted(admin.items())), f"(total {sum(admin.values())})")
print(f"messages: {ack} acknowledged, {delivered} delivered, {dup} duplicates absorbed, {unk} unknown, {ref} refused")
print("examined:", ", ".join(f"{k} {v}" for k, v in checks.items()))
print("runs with violations:", failed_runs if failed_runs else "none")
print("runs that did not complete (harness error, see SEED.console):", incomplete if incomplete else "none")
