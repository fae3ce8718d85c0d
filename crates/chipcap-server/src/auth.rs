//! Bearer tokens with roles, stored hashed (SHA-256) in a JSON file next to the ledger.
//!
//! viewer reads; officer applies, grants, reverses and records attrition, parties and assurances;
//! admin adjusts, forces grants past a cap, and manages tokens. A token is shown once, when created;
//! the file keeps only its hash.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ServerError;

/// What a token may do. Ordered: each role can do what the roles before it can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[schema(as = RoleDoc)]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads; applies shipments, grants licences, reverses, records attrition, parties, assurances.
    Officer,
    /// Everything: adjustments, forced grants, token management.
    Admin,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Officer => "officer",
            Role::Admin => "admin",
        }
    }

    /// Parses `viewer`, `officer` or `admin`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "officer" => Some(Role::Officer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// One stored token (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    /// A short public id (the first 12 hex digits of the hash).
    pub id: String,
    /// Who or what holds it.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// SHA-256 of the token, hex.
    pub sha256: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    tokens: Vec<TokenRecord>,
}

/// The token store: a JSON file, reloaded when it changes on disk (so `chipcap token create` takes
/// effect on a running server).
#[derive(Debug)]
pub struct TokenStore {
    path: Option<PathBuf>,
    inner: RwLock<(Vec<TokenRecord>, Option<SystemTime>)>,
}

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A new random token: `ccp_` and 48 hex digits from the operating system's random source.
pub fn generate_token() -> Result<String, ServerError> {
    let mut buf = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| ServerError::Config(format!("cannot read the system random source: {e}")))?;
    let mut s = String::from("ccp_");
    for b in buf {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    Ok(s)
}

/// The default token file for a ledger URL: `<file>.tokens.json` beside an SQLite file,
/// `chipcap-tokens.json` in the working directory otherwise.
pub fn default_token_path(db: &str) -> PathBuf {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") || db == ":memory:" {
        PathBuf::from("chipcap-tokens.json")
    } else {
        PathBuf::from(format!("{db}.tokens.json"))
    }
}

fn read_file(path: &Path) -> Result<(Vec<TokenRecord>, Option<SystemTime>), ServerError> {
    let err = |m: String| ServerError::Tokens {
        path: path.display().to_string(),
        message: m,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let f: TokenFile = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
            let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            Ok((f.tokens, mtime))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), None)),
        Err(e) => Err(err(e.to_string())),
    }
}

impl TokenStore {
    /// A store with no file, holding these records (tests, in-memory servers).
    pub fn in_memory(records: Vec<TokenRecord>) -> TokenStore {
        TokenStore {
            path: None,
            inner: RwLock::new((records, None)),
        }
    }

    /// Opens the token file (absent means no tokens yet).
    pub fn open(path: &Path) -> Result<TokenStore, ServerError> {
        let loaded = read_file(path)?;
        Ok(TokenStore {
            path: Some(path.to_path_buf()),
            inner: RwLock::new(loaded),
        })
    }

    /// Whether any token is configured.
    pub fn is_empty(&self) -> bool {
        self.reload_if_changed();
        self.inner.read().map(|g| g.0.is_empty()).unwrap_or(true)
    }

    /// Every record.
    pub fn list(&self) -> Vec<TokenRecord> {
        self.reload_if_changed();
        self.inner.read().map(|g| g.0.clone()).unwrap_or_default()
    }

    fn reload_if_changed(&self) {
        let Some(path) = &self.path else { return };
        let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let stale = self.inner.read().map(|g| g.1 != mtime).unwrap_or(false);
        if stale {
            match read_file(path) {
                Ok(loaded) => {
                    if let Ok(mut g) = self.inner.write() {
                        *g = loaded;
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot reload the token file"),
            }
        }
    }

    /// The record of a presented token, if it is known.
    pub fn authenticate(&self, token: &str) -> Option<TokenRecord> {
        let h = hash_token(token);
        let find = |s: &TokenStore| {
            s.inner
                .read()
                .ok()
                .and_then(|g| g.0.iter().find(|r| r.sha256 == h).cloned())
        };
        find(self).or_else(|| {
            self.reload_if_changed();
            find(self)
        })
    }

    fn save(&self, records: &[TokenRecord]) -> Result<(), ServerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let err = |m: String| ServerError::Tokens {
            path: path.display().to_string(),
            message: m,
        };
        let text = serde_json::to_string_pretty(&TokenFile {
            tokens: records.to_vec(),
        })
        .map_err(|e| err(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
        restrict(&tmp);
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))?;
        Ok(())
    }

    /// Creates a token; returns it (shown once) and its record.
    pub fn create(
        &self,
        role: Role,
        name: &str,
        created_at: &str,
    ) -> Result<(String, TokenRecord), ServerError> {
        let token = generate_token()?;
        let sha = hash_token(&token);
        let rec = TokenRecord {
            id: sha.chars().take(12).collect(),
            name: name.to_string(),
            role,
            sha256: sha,
            created_at: created_at.to_string(),
        };
        self.reload_if_changed();
        let mut g = self
            .inner
            .write()
            .map_err(|_| ServerError::Config("token store lock poisoned".into()))?;
        let mut next = g.0.clone();
        next.push(rec.clone());
        self.save(&next)?;
        let mtime = self
            .path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        *g = (next, mtime);
        Ok((token, rec))
    }

    /// Revokes a token by id; false when there is none.
    pub fn revoke(&self, id: &str) -> Result<bool, ServerError> {
        self.reload_if_changed();
        let mut g = self
            .inner
            .write()
            .map_err(|_| ServerError::Config("token store lock poisoned".into()))?;
        let next: Vec<TokenRecord> = g.0.iter().filter(|r| r.id != id).cloned().collect();
        if next.len() == g.0.len() {
            return Ok(false);
        }
        self.save(&next)?;
        let mtime = self
            .path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        *g = (next, mtime);
        Ok(true)
    }
}

#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Viewer < Role::Officer && Role::Officer < Role::Admin);
        for r in [Role::Viewer, Role::Officer, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn tokens_are_stored_hashed_and_reloaded() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("t.json");
        let s = TokenStore::open(&path).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(s.is_empty());
        let (tok, rec) = s
            .create(Role::Officer, "ops", "2026-01-01T00:00:00Z")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(&tok), "the token itself is never stored");
        assert!(text.contains(&rec.sha256));
        let other = TokenStore::open(&path).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(
            other.authenticate(&tok).map(|r| r.role),
            Some(Role::Officer)
        );
        assert!(other.authenticate("ccp_wrong").is_none());
        assert!(s.revoke(&rec.id).unwrap_or(false));
        let fresh = TokenStore::open(&path).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(fresh.authenticate(&tok).is_none());
        assert!(fresh.is_empty());
    }
}
