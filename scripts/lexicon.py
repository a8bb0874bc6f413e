#!/usr/bin/env python3
"""Regenerates models/lexicon/{en,fr,nl,de}.tsv from openly licensed lexicons that the
package registries ship (see models/lexicon/README.md for sources and licences).

    python3 scripts/lexicon.py            # downloads into ~/.cache/vigie/lexicon-src

Output: one `word<TAB>polarity` line per word, polarity in [-1, 1] (senses averaged).
"""
import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(os.environ.get("VIGIE_CACHE", os.path.expanduser("~/.cache/vigie")), "lexicon-src")


def fetch():
    os.makedirs(CACHE, exist_ok=True)
    if not glob.glob(os.path.join(CACHE, "python3-pattern_*.deb")):
        subprocess.check_call(["apt-get", "download", "python3-pattern"], cwd=CACHE)
    for pkg, pat in (("vaderSentiment==3.3.2", "vaderSentiment-*.whl"), ("textblob-de==0.4.3", "textblob_de-*.whl")):
        if not glob.glob(os.path.join(CACHE, pat)):
            subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", CACHE, pkg])
    deb = glob.glob(os.path.join(CACHE, "python3-pattern_*.deb"))[0]
    out = os.path.join(CACHE, "pattern")
    if not os.path.isdir(out):
        subprocess.check_call(["dpkg-deb", "-x", deb, out])
    return out


def pattern_xml(path):
    words = {}
    for w in ET.parse(path).getroot().iter("word"):
        form = w.get("form", "").strip().lower()
        if not form or " " in form:
            continue
        words.setdefault(form, []).append(float(w.get("polarity", "0")))
    return {k: sum(v) / len(v) for k, v in words.items()}


def bing_liu():
    """Hu & Liu's opinion lexicon as shipped in Debian's r-cran-tidytext (MIT), read with R."""
    tsv = os.path.join(CACHE, "bing.tsv")
    if not os.path.exists(tsv):
        if not glob.glob(os.path.join(CACHE, "r-cran-tidytext_*.deb")):
            subprocess.check_call(["apt-get", "download", "r-cran-tidytext"], cwd=CACHE)
        out = os.path.join(CACHE, "tidytext")
        if not os.path.isdir(out):
            deb = glob.glob(os.path.join(CACHE, "r-cran-tidytext_*.deb"))[0]
            subprocess.check_call(["dpkg-deb", "-x", deb, out])
        rdata = os.path.join(out, "usr/lib/R/site-library/tidytext/data/Rdata")
        # base R only (apt-get install r-base-core): the lazy-load database holds `sentiments`.
        subprocess.check_call([
            "Rscript", "-e",
            f'e <- new.env(); lazyLoad("{rdata}", envir = e); '
            f'write.table(get("sentiments", e), "{tsv}", sep = "\\t", quote = FALSE, row.names = FALSE)',
        ])
    words = {}
    with open(tsv, encoding="utf-8") as f:
        next(f)
        for line in f:
            w, label = line.rstrip("\n").split("\t")
            if re.match(r"^[a-z][a-z'-]*$", w):
                words[w] = label
    return words


def write(lang, words):
    path = os.path.join(ROOT, "models", "lexicon", f"{lang}.tsv")
    with open(path, "w", encoding="utf-8") as f:
        for k in sorted(words):
            p = max(-1.0, min(1.0, words[k]))
            if abs(p) >= 0.05:
                f.write(f"{k}\t{p:.3f}\n")
    print(lang, sum(1 for _ in open(path, encoding="utf-8")), "words ->", os.path.relpath(path, ROOT))


def main():
    pat = fetch()
    base = os.path.join(pat, "usr/lib/python3/dist-packages/pattern/text")
    for lang in ("fr", "nl"):
        write(lang, pattern_xml(os.path.join(base, lang, f"{lang}-sentiment.xml")))
    # English: VADER (valence -4..4, social-media aware) first, Pattern for the rest.
    en = pattern_xml(os.path.join(base, "en", "en-sentiment.xml"))
    with zipfile.ZipFile(glob.glob(os.path.join(CACHE, "vaderSentiment-*.whl"))[0]) as z:
        for line in z.read("vaderSentiment/vader_lexicon.txt").decode("utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and re.match(r"^[a-z][a-z'-]*$", parts[0]):
                en[parts[0]] = float(parts[1]) / 4.0
    # Then Hu & Liu's opinion lexicon (customer reviews; positive/negative only) for words
    # neither has, at the median strength of the entries above (not tuned on any data).
    strengths = sorted(abs(v) for v in en.values() if abs(v) >= 0.05)
    median = strengths[len(strengths) // 2]
    for word, label in bing_liu().items():
        if word not in en:
            en[word] = median if label == "positive" else -median
    write("en", en)
    with zipfile.ZipFile(glob.glob(os.path.join(CACHE, "textblob_de-*.whl"))[0]) as z:
        tmp = os.path.join(CACHE, "de-sentiment.xml")
        open(tmp, "wb").write(z.read("textblob_de/data/de-sentiment.xml"))
    write("de", pattern_xml(tmp))


if __name__ == "__main__":
    main()
