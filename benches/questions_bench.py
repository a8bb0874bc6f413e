"""Grouping short questions the way a team without vigie would: scikit-learn's TF-IDF
(accents stripped, sublinear term frequencies) and agglomerative clustering on cosine
distance with a distance threshold (no number of groups to guess), on the texts vigie
groups in `vigie bench questions --python ...`. Prints one JSON object.

Usage: python benches/questions_bench.py TEXTS.jsonl ROUNDS
"""
import json
import statistics
import sys
import time

from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer


def main() -> None:
    path, rounds = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    times = []
    groups = 0
    for _ in range(rounds):
        t = time.perf_counter()
        x = TfidfVectorizer(strip_accents="unicode", sublinear_tf=True).fit_transform(texts)
        model = AgglomerativeClustering(
            n_clusters=None, distance_threshold=0.8, metric="cosine", linkage="average"
        ).fit(x.toarray())
        times.append(time.perf_counter() - t)
        groups = int(model.n_clusters_)
    import sklearn

    print(json.dumps({"tool": f"scikit-learn {sklearn.__version__} TF-IDF + agglomerative (cosine, average, threshold 0.8)",
                      "questions": len(texts), "groups": groups, "seconds": statistics.median(times)}))


if __name__ == "__main__":
    main()
