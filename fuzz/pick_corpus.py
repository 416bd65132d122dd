#!/usr/bin/env python3
"""Picks at most N inputs of a libFuzzer -merge=1 run that together cover the most
features (greedy set cover over the -merge_control_file), smaller inputs first on ties.
Prints the chosen paths, one per line.  Usage: pick_corpus.py CONTROL_FILE N"""
import sys


def main():
    control, limit = sys.argv[1], int(sys.argv[2])
    with open(control) as f:
        lines = f.read().splitlines()
    count = int(lines[0])
    paths = lines[2:2 + count]
    sizes, features = {}, {}
    for line in lines[2 + count:]:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "STARTED":
            sizes[int(parts[1])] = int(parts[2])
        elif parts[0] == "FT":
            features[int(parts[1])] = set(parts[2:])
    covered, chosen = set(), []
    while len(chosen) < limit:
        best, gain = None, 0
        for i, ft in features.items():
            g = len(ft - covered)
            if g > gain or (g == gain and g > 0 and sizes.get(i, 0) < sizes.get(best, 0)):
                best, gain = i, g
        if best is None:
            break
        chosen.append(best)
        covered |= features.pop(best)
    for i in chosen:
        print(paths[i])


if __name__ == "__main__":
    main()
