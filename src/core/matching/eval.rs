//! Evaluating a query tree against a tokenised text.

use super::{Doc, Node, Term};
use crate::core::text::{Mark, Token};

fn word_eq(tok: &Token, word: &str, prefix: bool) -> bool {
    if prefix {
        tok.text.starts_with(word)
    } else {
        tok.text == word
    }
}

fn term_matches(t: &Term, doc: &Doc) -> bool {
    let n = t.words.len();
    if doc.tokens.len() < n {
        return false;
    }
    'outer: for start in 0..=doc.tokens.len() - n {
        let first = &doc.tokens[start];
        if t.mark != Mark::Word && first.mark != t.mark {
            continue;
        }
        for (k, w) in t.words.iter().enumerate() {
            let last = k + 1 == n;
            if !word_eq(&doc.tokens[start + k], w, t.prefix && last) {
                continue 'outer;
            }
        }
        return true;
    }
    false
}

/// Whether `node` matches `doc`, collecting the terms that made it match into `hits`.
pub(super) fn eval(node: &Node, doc: &Doc, hits: &mut Vec<String>) -> bool {
    match node {
        Node::Term(t) => {
            let ok = term_matches(t, doc);
            if ok && !hits.contains(&t.original) {
                hits.push(t.original.clone());
            }
            ok
        }
        Node::And(items) => {
            let mark = hits.len();
            for i in items {
                if !eval(i, doc, hits) {
                    hits.truncate(mark);
                    return false;
                }
            }
            true
        }
        Node::Or(items) => {
            let mut any = false;
            for i in items {
                any |= eval(i, doc, hits);
            }
            any
        }
        Node::Not(inner) => {
            let mut scratch = Vec::new();
            !eval(inner, doc, &mut scratch)
        }
    }
}
