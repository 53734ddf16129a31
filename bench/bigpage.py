#!/usr/bin/env python3
"""Writes a playbook page of TASKS tasks, STEP_TASKS to a step, for timing imports.
REVISION > 0 writes a later revision of the same page: every 10th task renamed, every 7th
switched between M and O, and REVISION Refresh Summary rows
more. usage: bench/bigpage.py TASKS [REVISION] [STEP_TASKS] > page.md"""
import sys

tasks = int(sys.argv[1])
rev = int(sys.argv[2]) if len(sys.argv) > 2 else 0
per = int(sys.argv[3]) if len(sys.argv) > 3 else 50
roles = ["FastTrack Engineer", "FastTrack Manager", "Migration Velocity Manager"]
services = ["Exchange", "Teams", "SharePoint", "OneDrive", "All Services"]
out = sys.stdout
out.write("# Enable Everything\n\nPhase: **Enable**\n\n## Approach\n\n")
steps = (tasks + per - 1) // per
for s in range(steps):
    out.write(f"### Step {s + 1}\n\nPrimary Role: **{roles[s % 3]}**  \nApplies To: **{services[s % 5]}**\n\n")
    out.write("| Task ID | Task Name | (M)andatory / (O)ptional | FastTrack Role | Services |\n")
    out.write("| ------- | --------- | ------------------------ | -------------- | -------- |\n")
    for i in range(s * per, min(tasks, (s + 1) * per)):
        tid = 100000 + i
        name = f"Do the work of task {tid} with the customer's project team"
        mo = "M" if i % 3 == 0 else "O"
        if rev:
            if i % 10 == 0: name += f" (revised {rev})"
            if i % 7 == 0: mo = "O" if mo == "M" else "M"
        out.write(f"| {tid} | {name} | {mo} | {roles[i % 3]} | {services[i % 5]} |\n")
    out.write("\n")
out.write("## Refresh Summary\n\n| Date | Who Changed | What Changed |\n| ---- | ----------- | ------------ |\n")
for r in range(rev, 0, -1):
    out.write(f"| 1/{r % 28 + 1}/2022 | Ryan Meehan | Revision {r} |\n")
out.write("| 3/25/2020 | Ryan Meehan | Created |\n")
