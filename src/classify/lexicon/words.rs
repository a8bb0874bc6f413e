//! The words that change what an opinion word counts for: negators, concessive openers,
//! boosters, contrast, excess, and the polarities of emoji and emoticons.

/// Words that flip the polarity of what follows (within a few words).
pub(super) const NEGATORS: &[&str] = &[
    // fr
    "pas", "ne", "n", "jamais", "aucun", "aucune", "rien", "sans", "ni", "plus", // nl
    "niet", "geen", "nooit", "niets", "zonder", "noch", // en
    "not", "no", "never", "nothing", "without", "nor", "isnt", "dont", "doesnt", "didnt", "wasnt",
    "cant", "cannot", "wont", "hardly", // de
    "nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "nichts", "ohne",
    // "lack of information", "devoid of any help", "manque de clarté", "gebrek aan", "Mangel an"
    "lack", "lacks", "lacking", "lacked", "devoid", "manque", "gebrek", "mangel",
];

/// Concessive openers: the clause they open is granted, not asserted ("although it is
/// fast, ..."), so its words count half, until the clause ends.
pub(super) const CONCESSIVE: &[&str] = &[
    "although", "though", "despite", "bien", "malgre", "quoique", "hoewel", "ondanks", "obwohl",
    "trotz", "obgleich",
];

/// Words that strengthen (factor > 1) or soften (< 1) the next opinion word.
pub(super) const BOOSTERS: &[(&str, f32)] = &[
    ("tres", 1.4),
    ("vraiment", 1.4),
    ("trop", 1.3),
    ("extremement", 1.6),
    ("super", 1.4),
    ("hyper", 1.4),
    ("totalement", 1.4),
    ("si", 1.2),
    ("zeer", 1.4),
    ("erg", 1.4),
    ("heel", 1.4),
    ("echt", 1.4),
    ("super", 1.4),
    ("ontzettend", 1.6),
    ("enorm", 1.5),
    ("zo", 1.2),
    ("very", 1.4),
    ("really", 1.4),
    ("so", 1.2),
    ("extremely", 1.6),
    ("totally", 1.4),
    ("absolutely", 1.5),
    ("incredibly", 1.5),
    ("sehr", 1.4),
    ("wirklich", 1.4),
    ("total", 1.4),
    ("extrem", 1.6),
    ("absolut", 1.5),
    ("echt", 1.4),
    ("peu", 0.6),
    ("assez", 0.8),
    ("plutot", 0.8),
    ("beetje", 0.6),
    ("vrij", 0.8),
    ("nogal", 0.8),
    ("slightly", 0.6),
    ("somewhat", 0.7),
    ("fairly", 0.8),
    ("etwas", 0.6),
    ("ziemlich", 0.8),
];

/// Contrast words: what follows weighs more than what came before.
pub(super) const BUT: &[&str] = &[
    "mais",
    "maar",
    "but",
    "however",
    "aber",
    "doch",
    "pourtant",
    "toutefois",
    "echter",
];

/// Emoji and emoticons with their polarity.
pub(super) const EMOJI: &[(&str, f32)] = &[
    ("😡", -0.9),
    ("🤬", -1.0),
    ("😠", -0.8),
    ("😤", -0.6),
    ("😢", -0.6),
    ("😭", -0.7),
    ("😞", -0.6),
    ("😒", -0.5),
    ("🙄", -0.5),
    ("👎", -0.7),
    ("💩", -0.8),
    ("😫", -0.6),
    ("😩", -0.6),
    ("🤦", -0.5),
    ("😱", -0.6),
    ("⚠", -0.2),
    ("🚨", -0.4),
    ("😀", 0.6),
    ("😃", 0.6),
    ("😄", 0.7),
    ("😊", 0.7),
    ("🙂", 0.4),
    ("😍", 0.9),
    ("🥰", 0.9),
    ("👍", 0.7),
    ("👏", 0.7),
    ("🙏", 0.5),
    ("❤", 0.8),
    ("💯", 0.6),
    ("🎉", 0.7),
    ("✅", 0.4),
    (":-(", -0.6),
    (":(", -0.6),
    (":'(", -0.7),
    (">:(", -0.8),
    (":-/", -0.3),
    (":/", -0.3),
    (":-)", 0.6),
    (":)", 0.6),
    (";)", 0.4),
    (":-d", 0.7),
    (":d", 0.7),
    ("<3", 0.8),
];

/// Words after a negator that it still reaches (within the clause).
pub(super) const NEGATION_SCOPE: usize = 5;

/// Excess words ("too", "trop", "te", "zu"): what they qualify reads as criticism.
pub(super) const EXCESS: &[&str] = &["too", "trop", "te", "zu", "overly", "teveel"];
