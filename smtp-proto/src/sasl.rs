//! The SASL pieces SMTP AUTH needs: base64, PLAIN and LOGIN
//! (RFC 4954, RFC 4616).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A credential that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself; handle with care.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Credentials from a finished AUTH exchange, for the caller to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Mechanism used, upper case (`PLAIN` or `LOGIN`).
    pub mechanism: &'static str,
    /// Authorization identity (PLAIN only; empty when not given).
    pub authzid: String,
    /// Authentication identity (user name).
    pub authcid: String,
    /// Password.
    pub password: Secret,
}

/// Why an AUTH exchange failed before the caller got to check it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// Not valid base64.
    #[error("response is not valid base64")]
    Base64,
    /// PLAIN message without its two NUL separators.
    #[error("plain response does not hold authzid, authcid and password")]
    PlainFormat,
    /// A field is not UTF-8.
    #[error("credentials are not valid utf-8")]
    Utf8,
    /// The client sent `*`.
    #[error("authentication cancelled by the client")]
    Cancelled,
}

/// `base64 / "="` as RFC 4954 writes an initial response: groups of
/// four base64 characters (padding included), or `=` for empty.
pub(crate) fn is_base64_or_eq(s: &str) -> bool {
    s == "="
        || (s.len().is_multiple_of(4)
            && s.bytes().all(|b| crate::chars::is(b, crate::chars::BASE64)))
}

/// Decodes a base64 client response (RFC 4954 4); `=` is the empty
/// response, `*` cancels.
///
/// ```text
/// client-response = base64 / "*"   ; "=" for an empty initial response
/// ```
///
/// # Errors
///
/// [`SaslError::Cancelled`] for `*`, [`SaslError::Base64`] otherwise.
pub fn decode_response(s: &str) -> Result<Vec<u8>, SaslError> {
    match s {
        "*" => Err(SaslError::Cancelled),
        "=" => Ok(Vec::new()),
        s => STANDARD.decode(s).map_err(|_| SaslError::Base64),
    }
}

/// Base64 of `data`, as in a 334 challenge or a client response.
pub fn encode_base64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Splits a PLAIN message (RFC 4616 2).
///
/// ```text
/// message   = [authzid] UTF8NUL authcid UTF8NUL passwd
/// authcid   = 1*SAFE ; MUST accept up to 255 octets
/// authzid   = 1*SAFE ; MUST accept up to 255 octets
/// passwd    = 1*SAFE ; MUST accept up to 255 octets
/// UTF8NUL   = %x00
/// ```
///
/// # Errors
///
/// [`SaslError::PlainFormat`] or [`SaslError::Utf8`].
pub fn parse_plain(msg: &[u8]) -> Result<Credentials, SaslError> {
    let mut parts = msg.split(|&b| b == 0);
    let (Some(z), Some(c), Some(p), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::PlainFormat);
    };
    let s = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| SaslError::Utf8);
    if c.is_empty() {
        return Err(SaslError::PlainFormat);
    }
    Ok(Credentials {
        mechanism: "PLAIN",
        authzid: s(z)?,
        authcid: s(c)?,
        password: Secret(s(p)?),
    })
}

/// The base64 PLAIN response for the given identities.
pub fn plain_response(authzid: &str, authcid: &str, password: &str) -> String {
    let mut m = Vec::with_capacity(authzid.len() + authcid.len() + password.len() + 2);
    m.extend_from_slice(authzid.as_bytes());
    m.push(0);
    m.extend_from_slice(authcid.as_bytes());
    m.push(0);
    m.extend_from_slice(password.as_bytes());
    encode_base64(&m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let r = plain_response("", "tim", "tanstaaftanstaaf");
        assert_eq!(r, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        let c = parse_plain(&decode_response(&r).unwrap()).unwrap();
        assert_eq!(c.authcid, "tim");
        assert_eq!(c.password.expose(), "tanstaaftanstaaf");
        assert_eq!(format!("{:?}", c.password), "Secret(..)");
        assert_eq!(parse_plain(b"a\0b"), Err(SaslError::PlainFormat));
        assert_eq!(parse_plain(b"a\0\0c"), Err(SaslError::PlainFormat));
        assert_eq!(decode_response("*"), Err(SaslError::Cancelled));
        assert_eq!(decode_response("@@@@"), Err(SaslError::Base64));
        assert_eq!(decode_response("=").unwrap(), b"");
    }
}
