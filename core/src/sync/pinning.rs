//! Optional key pinning (公钥固定), fixed when the app is built: `LINKAGE_PIN_SHA256` at build time, a comma-
//! separated list of lowercase hex SHA-256 hashes of SubjectPublicKeyInfo (`openssl x509 -in cert.pem -pubkey
//! -noout | openssl pkey -pubin -outform der | sha256sum`). When set, an `https://` server must present a
//! certificate chain that the usual checks accept (webpki roots, name, dates) **and** in which some
//! certificate's key is pinned — the county's server key, its CA's, or a backup key — so a certificate
//! issued by another CA for the county's name (a compromised or coerced CA, a middlebox) is refused during the
//! handshake, before the password or token is sent. Unset (the default), nothing changes.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The pins the app was built with (`LINKAGE_PIN_SHA256`), parsed; a malformed entry is an error at the first
/// connection, so a bad build says so loudly instead of running unpinned.
pub fn built_in_pins() -> Result<Vec<[u8; 32]>> {
    parse_pins(option_env!("LINKAGE_PIN_SHA256").unwrap_or(""))
}

/// Parses a comma-separated list of hex SHA-256 hashes (spaces and empty entries ignored).
pub fn parse_pins(list: &str) -> Result<Vec<[u8; 32]>> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let bad = || Error::invalid("pin", "each pin is 64 hex digits (the SHA-256 of a SubjectPublicKeyInfo)");
            if p.len() != 64 || !p.is_ascii() {
                return Err(bad());
            }
            let mut out = [0u8; 32];
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&p[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
            }
            Ok(out)
        })
        .collect()
}

/// One DER element: (tag, contents, the whole element, what follows it).
fn der(b: &[u8]) -> Option<(u8, &[u8], &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    (end <= b.len()).then(|| (tag, &b[header..end], &b[..end], &b[end..]))
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo (what a pin names), `None` if the DER is not a certificate.
pub fn spki_sha256(cert_der: &[u8]) -> Option<[u8; 32]> {
    let (0x30, cert, _, _) = der(cert_der)? else { return None };
    let (0x30, tbs, _, _) = der(cert)? else { return None };
    let mut rest = tbs;
    if let (0xa0, _, _, after) = der(rest)? {
        rest = after; // explicit version
    }
    for _ in 0..5 {
        rest = der(rest)?.3; // serial, signature algorithm, issuer, validity, subject
    }
    let (0x30, _, spki, _) = der(rest)? else { return None };
    Some(Sha256::digest(spki).into())
}

/// The usual certificate checks, then the pin.
#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<[u8; 32]>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        let pinned = std::iter::once(end_entity).chain(intermediates).filter_map(|c| spki_sha256(c.as_ref())).any(|h| self.pins.contains(&h));
        if pinned {
            Ok(verified)
        } else {
            Err(rustls::Error::General("the server's key is not one this app was built to trust (pinning)".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A TLS client configuration trusting the webpki roots (plus `extra_roots`, DER: tests with their own CA)
/// and requiring one of `pins` in the presented chain.
pub fn pinned_tls(pins: Vec<[u8; 32]>, extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for der in extra_roots {
        roots.add(CertificateDer::from(der.clone())).map_err(|e| Error::invalid("root", e.to_string()))?;
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Error::Network(e.to_string()))?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Network(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedVerifier { inner, pins }))
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_or_say_what_is_wrong() {
        assert!(parse_pins("").unwrap().is_empty());
        let p = parse_pins(&format!(" {} ,, {}", "ab".repeat(32), "01".repeat(32))).unwrap();
        assert_eq!(p, vec![[0xab; 32], [0x01; 32]]);
        assert!(parse_pins("abc").is_err());
        assert!(parse_pins(&"zz".repeat(32)).is_err());
        assert!(built_in_pins().is_ok());
    }

    const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/tests/fixtures/tls/cert.pem");
    const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/tests/fixtures/tls/key.pem");

    /// A TLS server on loopback with the server's test certificate (CN=localhost, IP 127.0.0.1): answers every
    /// request `{}` and closes. Returns its port.
    fn tls_server() -> u16 {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::PrivateKeyDer;
        use std::io::{Read, Write};
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(CERT).unwrap().map(|c| c.unwrap()).collect();
        let key = PrivateKeyDer::from_pem_file(KEY).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let config = config.clone();
                std::thread::spawn(move || {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf) {
                            Ok(0) | Err(_) => return, // the client refused the handshake
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
                    let _ = tls.flush();
                });
            }
        });
        port
    }

    #[test]
    fn a_pinned_key_is_required_in_the_handshake() {
        use crate::sync::backoff::RetryPolicy;
        use crate::sync::http::ServerClient;
        use rustls::pki_types::pem::PemObject;
        let cert = CertificateDer::from_pem_file(CERT).unwrap().to_vec();
        let pin = spki_sha256(&cert).expect("the fixture is a certificate");
        // The same key hash as `openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der |
        // sha256sum` prints for the fixture.
        assert_eq!(vec![pin], parse_pins("5cc86c1993d47541c5150e8f2110c541a0c55a78fe86035ebe896bfc6306a114").unwrap());
        let url = format!("https://127.0.0.1:{}", tls_server());
        let once = RetryPolicy { attempts: 1, ..RetryPolicy::default() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let ask = |pins: Vec<[u8; 32]>, roots: Vec<Vec<u8>>| {
                let (url, once) = (url.clone(), once);
                async move {
                    let client = ServerClient::with_pins(&url, None, once, pins, &roots).unwrap();
                    client.get::<serde_json::Value>("/openapi.json").await.map(|e| e.body)
                }
            };
            // The pinned key (with its CA trusted, as a county's own CA would be): the request goes through.
            assert_eq!(ask(vec![[7u8; 32], pin], vec![cert.clone()]).await.unwrap(), serde_json::json!({}));
            // Another key pinned: refused in the handshake, before any request is sent.
            let refused = ask(vec![[7u8; 32]], vec![cert.clone()]).await;
            assert!(matches!(refused, Err(Error::Network(_))), "{refused:?}");
            // Pinning adds to the usual checks, it does not replace them: an untrusted chain stays refused.
            let untrusted = ask(vec![pin], vec![]).await;
            assert!(matches!(untrusted, Err(Error::Network(_))), "{untrusted:?}");
        });
    }

    #[test]
    fn a_non_certificate_has_no_key_hash() {
        assert_eq!(spki_sha256(b""), None);
        assert_eq!(spki_sha256(&[0x30, 0x03, 0x02, 0x01, 0x01]), None);
        assert_eq!(spki_sha256(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }
}
