#!/usr/bin/env python3
"""Checks the JA4 that ground_truth.py computes from tshark fields against the expected JA4 values
of the public reference corpus (shared/corpus/EXPECTED.tsv, kind "ja4").

usage: check_ja4_against_corpus.py [CORPUS_DIR]     (default: ../../shared/corpus from this file)
Prints "N passed, N failed"; exit 1 on any mismatch."""
import collections
import csv
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ground_truth as gt
base = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'corpus')
exp = collections.defaultdict(dict)
for r in csv.DictReader(open(f'{base}/EXPECTED.tsv'), delimiter='\t'):
    if r['kind'] in ('ja4', 'ja4_r'):
        exp[(r['corpus'], r['capture'])].setdefault(int(r['frame']), {})[r['kind']] = r['value']
ok = bad = 0
for (corpus, cap), frames in sorted(exp.items()):
    path = f'{base}/{corpus}/{cap}'
    if not os.path.exists(path): continue
    fr = gt.tshark_frames(path); sig = gt.client_hello_sigalgs(path)
    for f in fr:
        num = int(gt.first(f, 'frame.number'))
        if num not in frames: continue
        dt = 'dtls.handshake.type' in f
        q = 'quic' in gt.first(f, 'frame.protocols', '').split(':')
        p = 'dtls' if dt else 'tls'
        if 1 not in gt.ints(f, f'{p}.handshake.type'): continue
        legacy = gt.first(f, f'{p}.handshake.version')
        j, jr = gt.ja4('d' if dt else ('q' if q else 't'), int(legacy, 16) if legacy else 0,
                       gt.ints(f, 'tls.handshake.extensions.supported_version') if not dt else [],
                       gt.ints(f, f'{p}.handshake.ciphersuite'), gt.ints(f, f'{p}.handshake.extension.type'),
                       gt.first(f, 'tls.handshake.extensions_alpn_str'), sig.get(num, []))
        e = frames[num].get('ja4')
        if e is None: continue
        if j == e: ok += 1
        else:
            bad += 1
            if bad < 12: print('MISMATCH', corpus, cap, num, j, e)
print(ok, 'passed,', bad, 'failed')
sys.exit(1 if bad else 0)
