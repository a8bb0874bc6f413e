//! Notify: alert e-mails, the daily digest, and the outbox that delivers them once.

pub mod alerts;
pub mod chart;
pub mod config;
pub mod digest;
pub mod digest_view;
pub mod email;
pub mod i18n;
pub mod post;
pub mod route;
pub mod sender;
pub mod templates;
pub mod weekly;
