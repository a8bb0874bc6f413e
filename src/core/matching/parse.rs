//! Parsing a keyword entry into a query tree: the lexer, the recursive-descent parser,
//! and the plain-list reading of entries without operators.

use super::{Node, Query, QueryError, Term};
use crate::core::text::{self, Mark};

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    Word(String, usize),
    Phrase(String, usize),
    And(usize),
    Or(usize),
    Not(usize),
    Open(usize),
    Close(usize),
}

fn lex(q: &str) -> Result<Vec<Lex>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |position: usize, message: &str| QueryError {
        query: q.to_string(),
        position,
        message: message.to_string(),
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Lex::Open(i));
            i += 1;
        } else if c == ')' {
            out.push(Lex::Close(i));
            i += 1;
        } else if c == '"' || c == '“' || c == '”' || c == '«' || c == '»' {
            let start = i;
            i += 1;
            let mut s = String::new();
            while i < chars.len() && !matches!(chars[i], '"' | '”' | '»' | '“') {
                s.push(chars[i]);
                i += 1;
            }
            if i >= chars.len() {
                return Err(err(start, "unclosed quote"));
            }
            i += 1;
            out.push(Lex::Phrase(s, start));
        } else {
            let start = i;
            let mut s = String::new();
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '"')
            {
                s.push(chars[i]);
                i += 1;
            }
            out.push(match s.as_str() {
                "AND" => Lex::And(start),
                "OR" => Lex::Or(start),
                "NOT" => Lex::Not(start),
                _ => Lex::Word(s, start),
            });
        }
    }
    Ok(out)
}

fn make_term(raw: &str, position: usize, query: &str) -> Result<Term, QueryError> {
    let (mark, body) = match raw.chars().next() {
        Some('@') => (Mark::Handle, &raw[1..]),
        Some('#') => (Mark::Hashtag, &raw[1..]),
        _ => (Mark::Word, raw),
    };
    let (prefix, body) = match body.strip_suffix('*') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let words: Vec<String> = text::tokens(body).into_iter().map(|t| t.text).collect();
    if words.is_empty() {
        return Err(QueryError {
            query: query.to_string(),
            position,
            message: format!("{raw:?} has no letters or digits to match"),
        });
    }
    Ok(Term {
        original: raw.to_string(),
        words,
        mark,
        prefix,
    })
}

struct Parser<'a> {
    toks: Vec<Lex>,
    pos: usize,
    query: &'a str,
}

impl Parser<'_> {
    fn err(&self, message: &str) -> QueryError {
        let position = match self.toks.get(self.pos) {
            Some(Lex::Word(_, p) | Lex::Phrase(_, p))
            | Some(Lex::And(p) | Lex::Or(p) | Lex::Not(p) | Lex::Open(p) | Lex::Close(p)) => *p,
            None => self.query.chars().count(),
        };
        QueryError {
            query: self.query.to_string(),
            position,
            message: message.to_string(),
        }
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and()?];
        while matches!(self.toks.get(self.pos), Some(Lex::Or(_))) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Node::Or(items)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.toks.get(self.pos) {
                Some(Lex::And(_)) => {
                    self.pos += 1;
                    items.push(self.unary()?);
                }
                Some(Lex::Word(..) | Lex::Phrase(..) | Lex::Not(_) | Lex::Open(_)) => {
                    items.push(self.unary()?)
                }
                _ => break,
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        match self.toks.get(self.pos).cloned() {
            Some(Lex::Not(_)) => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some(Lex::Open(_)) => {
                self.pos += 1;
                let inner = self.or()?;
                match self.toks.get(self.pos) {
                    Some(Lex::Close(_)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.err("missing closing parenthesis")),
                }
            }
            Some(Lex::Word(w, p)) => {
                self.pos += 1;
                Ok(Node::Term(make_term(&w, p, self.query)?))
            }
            Some(Lex::Phrase(w, p)) => {
                self.pos += 1;
                let mut t = make_term(&w, p, self.query)?;
                t.original = format!("\"{w}\"");
                Ok(Node::Term(t))
            }
            Some(_) => Err(self.err("expected a word, a \"phrase\", NOT or '('")),
            None => Err(self.err("the query ends where a word was expected")),
        }
    }
}

fn is_plain_list_entry(q: &str) -> bool {
    !q.contains(['"', '(', ')', '“', '«'])
        && !q
            .split_whitespace()
            .any(|w| matches!(w, "AND" | "OR" | "NOT"))
}

impl Query {
    /// Parses one keyword entry. A plain entry without operators is one phrase.
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        let trimmed = q.trim();
        if trimmed.is_empty() {
            return Err(QueryError {
                query: q.to_string(),
                position: 0,
                message: "empty query".into(),
            });
        }
        if is_plain_list_entry(trimmed) && trimmed.split_whitespace().count() > 1 {
            let mut t = make_term(trimmed, 0, q)?;
            t.original = trimmed.to_string();
            return Ok(Query {
                root: Node::Term(t),
            });
        }
        let mut p = Parser {
            toks: lex(trimmed)?,
            pos: 0,
            query: trimmed,
        };
        let root = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.err("unexpected token (a ')' without '(' ?)"));
        }
        Ok(Query { root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_point_at_the_problem() {
        for (q, msg) in [
            ("(MyTax OR", "the query ends"),
            ("MyTax)", "unexpected token"),
            ("\"open phrase", "unclosed quote"),
            ("MyTax AND", "the query ends"),
            ("OR MyTax", "expected a word"),
            ("@", "no letters"),
            ("   ", "empty"),
        ] {
            let e = Query::parse(q).unwrap_err();
            assert!(e.message.contains(msg), "{q:?}: {e}");
        }
    }
}
