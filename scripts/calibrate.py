#!/usr/bin/env python3
"""Calibrates the lexicon backend's word polarities on labelled reviews.

    python3 scripts/calibrate.py                 # writes models/lexicon/calibrated/LANG.tsv
    python3 scripts/calibrate.py --out DIR       # elsewhere: `[classifier] lexicon_weights = "DIR"`
    python3 scripts/calibrate.py --check         # 2-fold cross-validation, writes nothing

Data: JSON lines with "text" and a gold "sentiment" (positive/negative), one file per
language, by default ../shared/data/sentiment-dev/{en,fr,nl}.jsonl. `--de
tests/data/reviews-de.jsonl` adds the project's own German reviews (no openly licensed
German set could be found); on them --check shows no gain (360 texts are too few), so
German is not calibrated (BENCHMARKS.md).

How: `vigie lexicon opinions` lists, for every text, the opinion words the lexicon backend
finds with the factor their context gives them (negation, boosters, "but", ...), using the
published polarities. The score vigie computes is the mean of polarity x factor, and a
text is positive above 0.1. This script fits the polarities of the words the lexicons
already list (no new words, no change of sign) with a logistic loss on that very score,
pulled towards the published value by an L2 prior (LAMBDA), and writes the words that
moved. vigie loads them over the published lexicons (`[classifier] lexicon_weights = "calibrated"`, the default).

--check splits each file in two (even and odd lines), calibrates on one half, and runs
`vigie eval` on the other half with that calibration, so the figures it prints come from
texts the calibration never saw.

Needs numpy and scipy: a venv is made in ~/.cache/vigie/venv-calibrate on first use.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("VIGIE_CACHE", os.path.expanduser("~/.cache/vigie"))
VENV = os.path.join(CACHE, "venv-calibrate")
LANGS = ("en", "fr", "nl")
# L2 pull towards the published polarity, and the slope of the logistic on the score.
# Chosen once with --check over the three languages (1 was best or within 0.01 of best
# in each), not per language.
LAMBDA = 1.0
SLOPE = 8.0
POSITIVE_ABOVE = 0.1  # src/classify/lexicon.rs


def ensure_numpy():
    try:
        import numpy  # noqa: F401
        import scipy  # noqa: F401
    except ImportError:
        py = os.path.join(VENV, "bin", "python")
        if not os.path.exists(py):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
            subprocess.check_call([py, "-m", "pip", "install", "-q", "numpy", "scipy"])
        os.execv(py, [py] + sys.argv)


def vigie(args, vigie_cmd):
    return subprocess.run(vigie_cmd + args, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def config(path, weights):
    """A config for `vigie eval` and `vigie lexicon opinions` (its source is never polled)."""
    with open(path, "w") as f:
        f.write(
            '[institution]\nname = "calibration"\nkeywords = ["calibration"]\n'
            'languages = ["fr", "nl", "en", "de"]\n'
            '[storage]\nurl = "sqlite://calibration.db"\n'
            '[[sources]]\nname = "none"\nkind = "rss"\nurl = "http://127.0.0.1:9/"\nevery = "1h"\n'
            f"[classifier]\nlexicon_weights = {json.dumps(weights)}\n"
        )
    return path


def opinions(data, cfg, vigie_cmd):
    out = vigie(["lexicon", "opinions", "--config", cfg, "--data", data], vigie_cmd)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def fit(rows):
    """rows: `vigie lexicon opinions` lines with a gold sentiment. Returns {lang: {entry: polarity}}."""
    import numpy as np
    import scipy.optimize as so
    import scipy.sparse as sp

    out = {}
    for lang in sorted({r["lang"] for r in rows}):
        mine = [r for r in rows if r["lang"] == lang and r["sentiment"] in ("positive", "negative") and r["opinions"]]
        if len(mine) < 150:
            continue  # too few texts to say anything about this lexicon
        entries = sorted({o["entry"] for r in mine for o in r["opinions"] if o["entry"] is not None})
        index = {e: i for i, e in enumerate(entries)}
        prior = np.zeros(len(entries))
        ri, ci, vals = [], [], []
        offset = np.zeros(len(mine))
        for r, row in enumerate(mine):
            n = len(row["opinions"])
            for o in row["opinions"]:
                if o["entry"] is None:
                    offset[r] += o["polarity"] * o["factor"] / n
                else:
                    prior[index[o["entry"]]] = o["polarity"]
                    ri.append(r)
                    ci.append(index[o["entry"]])
                    vals.append(o["factor"] / n)
        x = sp.csr_matrix((vals, (ri, ci)), shape=(len(mine), len(entries)))
        y = np.array([1.0 if r["sentiment"] == "positive" else -1.0 for r in mine])

        def loss(w):
            z = SLOPE * (x @ w + offset - POSITIVE_ABOVE) * y
            value = np.logaddexp(0, -z).sum() + LAMBDA * ((w - prior) ** 2).sum()
            grad = -(y * SLOPE / (1 + np.exp(z))) @ x + 2 * LAMBDA * (w - prior)
            return value, np.asarray(grad).ravel()

        # A polarity may weaken, strengthen or fade to nothing, never turn over: the data
        # are reviews, and "horror" describing a genre must not make "horror" praise in a
        # complaint to the institution.
        bounds = [(0.0, 1.0) if p > 0 else (-1.0, 0.0) for p in prior]
        res = so.minimize(loss, prior.copy(), jac=True, method="L-BFGS-B", bounds=bounds)
        out[lang] = {e: float(w) for e, w, p in zip(entries, res.x, prior) if abs(w - p) >= 0.001}
        print(f"{lang}: {len(mine)} texts, {len(entries)} words seen, {len(out[lang])} moved", file=sys.stderr)
    return out


def write(calibrated, folder, source):
    os.makedirs(folder, exist_ok=True)
    for lang, words in calibrated.items():
        with open(os.path.join(folder, f"{lang}.tsv"), "w", encoding="utf-8") as f:
            f.write(f"# calibrated by scripts/calibrate.py on {source} (lambda {LAMBDA}); see models/lexicon/README.md\n")
            for w in sorted(words):
                f.write(f"{w}\t{words[w]:.3f}\n")


def main():
    global LAMBDA
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "sentiment-dev"))
    ap.add_argument("--de", default="",
                    help="German reviews to add (tests/data/reviews-de.jsonl: --check shows they are "
                         "too few to help, so the shipped calibration has no German file)")
    ap.add_argument("--check", action="store_true", help="2-fold cross-validation; writes nothing")
    ap.add_argument("--vigie", default="cargo run --release --quiet --", help="how to run vigie")
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "lexicon", "calibrated"),
                    help="folder for the LANG.tsv files (the default is compiled into vigie: rebuild after)")
    ap.add_argument("--lambda", dest="lam", type=float, default=LAMBDA, help="L2 pull towards the published polarity")
    args = ap.parse_args()
    LAMBDA = args.lam
    ensure_numpy()
    cmd = args.vigie.split()
    files = {lang: os.path.join(args.data, f"{lang}.jsonl") for lang in LANGS}
    if args.de:
        files["de"] = args.de
    files = {k: v for k, v in files.items() if os.path.exists(v)}
    if not files:
        sys.exit(f"no {{en,fr,nl}}.jsonl in {args.data}")
    with tempfile.TemporaryDirectory() as tmp:
        published = config(os.path.join(tmp, "published.toml"), "published")
        if not args.check:
            rows = [r for f in files.values() for r in opinions(f, published, cmd)]
            write(fit(rows), args.out, os.path.basename(os.path.normpath(args.data)))
            print(f"wrote {args.out}", file=sys.stderr)
            return
        # Two folds: even and odd lines of each file.
        halves = {}
        for lang, path in files.items():
            lines = [l for l in open(path, encoding="utf-8") if l.strip()]
            for k in (0, 1):
                p = os.path.join(tmp, f"{lang}-{k}.jsonl")
                with open(p, "w", encoding="utf-8") as f:
                    f.writelines(lines[k::2])
                halves[lang, k] = p
        results = {}
        for k in (0, 1):
            rows = [r for lang in files for r in opinions(halves[lang, k], published, cmd)]
            folder = os.path.join(tmp, f"fold{k}")
            write(fit(rows), folder, f"fold {k}")
            held_out = config(os.path.join(tmp, f"fold{k}.toml"), folder)
            for lang in files:
                for name, cfg in (("published", published), ("calibrated", held_out)):
                    rep = json.loads(vigie(["eval", "--config", cfg, "--data", halves[lang, 1 - k], "--json"], cmd))
                    results.setdefault((lang, name), []).append(rep["overall"]["macro_f1"])
        print("held-out macro-F1 (calibrated on one half, measured on the other; both halves)")
        for lang in files:
            p, c = results[lang, "published"], results[lang, "calibrated"]
            print(f"{lang}: published {p[0]:.3f} {p[1]:.3f} (mean {sum(p) / 2:.3f})  "
                  f"calibrated {c[0]:.3f} {c[1]:.3f} (mean {sum(c) / 2:.3f})")


if __name__ == "__main__":
    main()
