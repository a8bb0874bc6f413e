"""Python transformers twin of `vigie bench bert`: same model folder, texts, batch, threads.

    python benches/transformers_bench.py --models DIR --model NAME --data FILE.jsonl \
        --texts 512 --batch 32 --threads 2

Prints one JSON object: texts/s after one warm-up batch, and the process's peak RSS.
Embeddings models are mean-pooled (and normalised when the manifest says so), as
sentence-transformers does; classification models return softmax probabilities.
"""

import argparse
import json
import os
import resource
import time
import tomllib

import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

p = argparse.ArgumentParser()
p.add_argument("--models", required=True)
p.add_argument("--model", default="all-minilm-l6-v2")
p.add_argument("--data", required=True)
p.add_argument("--texts", type=int, default=512)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()

torch.set_num_threads(a.threads)
with open(os.path.join(a.models, a.model + ".toml"), "rb") as f:
    manifest = tomllib.load(f)
folder = os.path.join(a.models, a.model)
tok = AutoTokenizer.from_pretrained(folder)
embeddings = manifest["task"] == "embeddings"
model = (AutoModel if embeddings else AutoModelForSequenceClassification).from_pretrained(folder).eval()
max_len = manifest.get("max_len", 256)

texts = []
with open(a.data) as f:
    for line in f:
        texts.append(json.loads(line)["text"])
        if len(texts) == a.texts:
            break


@torch.inference_mode()
def run(chunk):
    enc = tok(chunk, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    if embeddings:
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        v = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        if manifest.get("normalize"):
            v = torch.nn.functional.normalize(v, p=2, dim=1)
        return v.tolist()
    return model(**enc).logits.softmax(-1).tolist()


run(texts[: a.batch])
start = time.perf_counter()
done = 0
for i in range(0, len(texts), a.batch):
    done += len(run(texts[i : i + a.batch]))
secs = time.perf_counter() - start
print(
    json.dumps(
        {
            "tool": f"Python transformers {__import__('transformers').__version__} / torch {torch.__version__}",
            "model": a.model,
            "batch": a.batch,
            "texts": done,
            "threads": a.threads,
            "texts_per_s": done / secs,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
        indent=2,
    )
)
