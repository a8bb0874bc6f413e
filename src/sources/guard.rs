//! Server-side request forgery guard: a feed must not be able to send the daemon to
//! loopback, link-local, private or unique-local addresses by a redirect, or by a name
//! that resolves there (DNS rebinding included). Hosts named in the config are trusted
//! (intranet feeds are configured on purpose); `[fetch] allow_private = true` turns the
//! guard off.
//!
//! Two checks, because a URL with a literal address never reaches the resolver: the
//! redirect policy refuses literal private addresses, the resolver refuses names that
//! resolve only to private addresses.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::{Attempt, Policy};

/// Redirects followed before giving up (reqwest's default is 10; feeds need fewer).
const MAX_REDIRECTS: usize = 5;

/// What the guard lets through.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// Hosts (lowercase, as `Url::host_str` writes them) that may be private.
    trusted: Arc<HashSet<String>>,
    /// `[fetch] allow_private`: no guard at all.
    allow_private: bool,
}

/// Why a request was refused (in the error chain reqwest reports).
#[derive(Debug, thiserror::Error)]
#[error("refused: {host} is a private or local address and not a host named in the config (set [fetch] allow_private = true for intranet feeds)")]
pub struct Refused {
    /// The host asked for.
    pub host: String,
}

impl Guard {
    /// A guard trusting `hosts` (lowercased here).
    pub fn new(hosts: impl IntoIterator<Item = String>, allow_private: bool) -> Guard {
        Guard {
            trusted: Arc::new(hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect()),
            allow_private,
        }
    }

    fn trusts(&self, host: &str) -> bool {
        self.allow_private || self.trusted.contains(&host.to_ascii_lowercase())
    }

    /// The redirect policy: at most [`MAX_REDIRECTS`], none to a literal private address
    /// of a host the config does not name (names are checked when resolved).
    pub fn redirect_policy(&self) -> Policy {
        let guard = self.clone();
        Policy::custom(move |attempt: Attempt| {
            // The first URL of `previous` is the one asked for, not a redirect.
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            let url = attempt.url();
            let literal = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            let host = url.host_str().unwrap_or_default().to_string();
            match literal {
                Some(ip) if !is_public(ip) && !guard.trusts(&host) => {
                    attempt.error(Refused { host })
                }
                _ => attempt.follow(),
            }
        })
    }
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let trusted = self.trusts(&host);
        Box::pin(lookup(host, trusted))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The system's resolution of `host`, only its public addresses unless it is trusted.
async fn lookup(host: String, trusted: bool) -> Result<Addrs, BoxError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if trusted {
        return Ok(Box::new(addrs.into_iter()));
    }
    // Only the public ones: a name with a public and a private address is no way in either.
    let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
    if public.is_empty() {
        return Err(Box::new(Refused { host }));
    }
    Ok(Box::new(public.into_iter()))
}

/// Whether `ip` is a globally reachable address: not loopback, link-local, private,
/// unique-local, shared (CGNAT), unspecified, multicast, reserved or documentation,
/// IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4) judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    // IPv4-compatible (deprecated), NAT64 (64:ff9b::/96): the last 32 bits.
    if (s[0..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified())
        || s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // 6to4 (2002::/16): bits 16 to 48.
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "193.191.244.1",
            "172.32.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[tokio::test]
    async fn names_resolving_to_local_addresses_are_refused_unless_trusted() {
        let guard = Guard::new(["intranet.example".to_string()], false);
        let refused = guard.resolve("localhost".parse().unwrap()).await;
        assert!(
            refused.is_err_and(|e| e.to_string().contains("refused: localhost")),
            "localhost must be refused"
        );
        let open = Guard::new(Vec::new(), true);
        assert!(open.resolve("localhost".parse().unwrap()).await.is_ok());
        let named = Guard::new(["LocalHost".to_string()], false);
        assert!(named.resolve("localhost".parse().unwrap()).await.is_ok());
    }
}
