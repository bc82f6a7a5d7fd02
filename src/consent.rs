//! Consent: may this visitor's events be sent and persisted?
//!
//! Combines the site's policy (`requireConsent`, `honorDnt`), the browser's privacy signals
//! (Do-Not-Track, Global Privacy Control) and the visitor's own choice. An explicit choice
//! by the visitor is the most specific signal, so it wins over DNT/GPC.

use crate::config::Privacy;

/// The visitor's recorded choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consent {
    /// No choice made yet.
    #[default]
    Unknown,
    /// `consent('granted')`.
    Granted,
    /// `consent('denied')`.
    Denied,
}

impl Consent {
    /// Parses what the page passed to `consent()`.
    pub fn parse(s: &str) -> Option<Consent> {
        match s {
            "granted" => Some(Consent::Granted),
            "denied" => Some(Consent::Denied),
            _ => None,
        }
    }

    /// The name used in storage and in `debug()`.
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Unknown => "unknown",
            Consent::Granted => "granted",
            Consent::Denied => "denied",
        }
    }
}

/// What tracking may do right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Send and persist.
    Track,
    /// Keep events in memory only, waiting for a choice (requireConsent, no choice yet).
    Hold,
    /// Neither send nor persist; discard.
    Off,
}

/// Decides what tracking may do. `privacy_signal` is true when the browser sends DNT or GPC.
pub fn permission(policy: &Privacy, choice: Consent, privacy_signal: bool) -> Permission {
    match choice {
        Consent::Granted => Permission::Track,
        Consent::Denied => Permission::Off,
        Consent::Unknown if policy.honor_dnt && privacy_signal => Permission::Off,
        Consent::Unknown if policy.require_consent => Permission::Hold,
        Consent::Unknown => Permission::Track,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(require_consent: bool, honor_dnt: bool) -> Privacy {
        Privacy {
            require_consent,
            honor_dnt,
        }
    }

    #[test]
    fn tracks_by_default() {
        assert_eq!(
            permission(&policy(false, true), Consent::Unknown, false),
            Permission::Track
        );
    }

    #[test]
    fn holds_until_a_choice_when_consent_is_required() {
        assert_eq!(
            permission(&policy(true, true), Consent::Unknown, false),
            Permission::Hold
        );
        assert_eq!(
            permission(&policy(true, true), Consent::Granted, false),
            Permission::Track
        );
        assert_eq!(
            permission(&policy(true, true), Consent::Denied, false),
            Permission::Off
        );
    }

    #[test]
    fn honours_dnt_and_gpc_by_default() {
        assert_eq!(
            permission(&policy(false, true), Consent::Unknown, true),
            Permission::Off
        );
        assert_eq!(
            permission(&policy(true, true), Consent::Unknown, true),
            Permission::Off
        );
    }

    #[test]
    fn a_site_may_choose_not_to_honour_dnt() {
        assert_eq!(
            permission(&policy(false, false), Consent::Unknown, true),
            Permission::Track
        );
    }

    #[test]
    fn an_explicit_grant_wins_over_the_browser_signal() {
        assert_eq!(
            permission(&policy(false, true), Consent::Granted, true),
            Permission::Track
        );
    }

    #[test]
    fn denial_always_stops_tracking() {
        assert_eq!(
            permission(&policy(false, false), Consent::Denied, false),
            Permission::Off
        );
    }

    #[test]
    fn parses_only_the_two_documented_words() {
        assert_eq!(Consent::parse("granted"), Some(Consent::Granted));
        assert_eq!(Consent::parse("denied"), Some(Consent::Denied));
        assert_eq!(Consent::parse("yes"), None);
        assert_eq!(Consent::parse("Granted"), None);
    }
}
