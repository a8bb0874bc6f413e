//! Credentials named in the config by environment variable: read once when the source
//! is built, held as [`SecretString`] so Debug prints `[REDACTED]`, never logged.

use secrecy::SecretString;

/// A credential the config names is not in the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "environment variable {var} is not set (it holds {what}); set it in the daemon's environment"
)]
pub struct MissingSecret {
    /// The variable named in the config.
    pub var: String,
    /// What it should hold.
    pub what: &'static str,
}

/// A credential: its variable's name, and its value when the variable was set.
#[derive(Debug, Clone)]
pub struct EnvSecret {
    /// The environment variable named in the config.
    pub var: String,
    /// What it holds, for error messages ("a Mastodon access token").
    pub what: &'static str,
    value: Option<SecretString>,
}

impl EnvSecret {
    /// Reads `var` from the environment now; an empty value counts as unset.
    pub fn from_env(var: &str, what: &'static str) -> EnvSecret {
        let value = std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| SecretString::from(v.trim().to_string()));
        EnvSecret {
            var: var.to_string(),
            what,
            value,
        }
    }

    /// The value, or the error that names the variable to set.
    pub fn get(&self) -> Result<&SecretString, MissingSecret> {
        self.value.as_ref().ok_or_else(|| MissingSecret {
            var: self.var.clone(),
            what: self.what,
        })
    }
}

/// Checks that a `*_env` config value looks like an environment variable name.
pub(crate) fn check_var(
    path: &str,
    key: &str,
    var: &str,
    err: &mut dyn FnMut(String, String, Option<&str>),
) -> bool {
    let ok = !var.is_empty()
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !var.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        err(
            format!("{path}.{key}"),
            format!("{var:?} is not an environment variable name"),
            Some("name the variable that holds the secret, e.g. \"VIGIE_MASTODON_TOKEN\"; never put the secret itself in the config"),
        );
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn missing_names_the_variable_and_debug_redacts() {
        let s = EnvSecret::from_env("VIGIE_TEST_SECRET_NEVER_SET_1234", "a token");
        let e = s.get().unwrap_err().to_string();
        assert!(e.contains("VIGIE_TEST_SECRET_NEVER_SET_1234"), "{e}");
        std::env::set_var("VIGIE_TEST_SECRET_SET_5678", "hunter2");
        let s = EnvSecret::from_env("VIGIE_TEST_SECRET_SET_5678", "a token");
        assert_eq!(s.get().unwrap().expose_secret(), "hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
