//! The extensions this engine knows, by their `require` names.

macro_rules! extensions {
    ($($v:ident => $name:literal,)*) => {
        /// A Sieve extension, as named in `require`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Extension {
            $(#[doc = concat!("`", $name, "`")] $v,)*
        }

        impl Extension {
            /// Every supported extension.
            pub const ALL: &'static [Extension] = &[$(Extension::$v,)*];

            /// The name used in `require`.
            pub fn name(self) -> &'static str {
                match self { $(Extension::$v => $name,)* }
            }

            /// Looks up a `require` name (case-sensitive, as the RFC says).
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Extension::$v),)* _ => None }
            }
        }
    };
}

extensions! {
    Fileinto => "fileinto",
    Envelope => "envelope",
    EncodedCharacter => "encoded-character",
    ComparatorOctet => "comparator-i;octet",
    ComparatorAsciiCasemap => "comparator-i;ascii-casemap",
    ComparatorAsciiNumeric => "comparator-i;ascii-numeric",
    ComparatorUnicodeCasemap => "comparator-i;unicode-casemap",
    Copy => "copy",
    Body => "body",
    Environment => "environment",
    Variables => "variables",
    Vacation => "vacation",
    VacationSeconds => "vacation-seconds",
    Relational => "relational",
    Imap4flags => "imap4flags",
    Subaddress => "subaddress",
    Spamtest => "spamtest",
    Spamtestplus => "spamtestplus",
    Virustest => "virustest",
    Date => "date",
    Index => "index",
    Editheader => "editheader",
    Reject => "reject",
    Ereject => "ereject",
    Enotify => "enotify",
    Ihave => "ihave",
    Mailbox => "mailbox",
    Duplicate => "duplicate",
    SpecialUse => "special-use",
    Regex => "regex",
    Include => "include",
    Mime => "mime",
    Foreverypart => "foreverypart",
    Extracttext => "extracttext",
}
