//! What a person with access to the escalation page may do.

use serde::Serialize;

/// What someone may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the list.
    Viewer,
    /// Also acknowledges, assigns, answers, closes, dismisses.
    Responder,
    /// Also manages users.
    Admin,
}

impl Role {
    /// Parses "viewer" | "responder" | "admin".
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "responder" => Some(Role::Responder),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Responder => "responder",
            Role::Admin => "admin",
        }
    }

    /// May change an escalation's state.
    pub fn can_act(self) -> bool {
        self >= Role::Responder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_their_rights() {
        assert!(!Role::Viewer.can_act());
        assert!(Role::Responder.can_act());
        assert!(Role::Admin.can_act());
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
