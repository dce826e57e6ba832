//! Off-site copies through restic: a placed backup sent to a restic repository as one snapshot
//! tagged with its manifest, the repository's snapshots of an environment listed, one fetched
//! back into the backup folder (checked equal to its manifest's hashes), old ones forgotten.
//! restic deduplicates, compresses and encrypts; it runs as a process, its password and the
//! store's credentials read by restic itself from their own variables.

use crate::access::failpoint;
use crate::copies::backup::{self, Made};
use crate::copies::manifest::{Manifest, Reason};
use crate::selection::config::{number_setting, DatabaseConfig};
use crate::selection::env::Environment;
use crate::selection::hint::Hint;
use crate::shared::digest;
use crate::shared::durable::{self, TempFile};
use crate::shared::error::{Error, Result};
use crate::shared::watched;
use serde_json::Value;
use std::io::Seek;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The variable that names the repository for onsendo (before restic's own `RESTIC_REPOSITORY`).
pub const REPOSITORY_VAR: &str = "ONSENDO_RESTIC_REPOSITORY";

/// The variable that sends safety copies (`pre-migrate`, `pre-restore`, …) off-site too.
pub const SAFETY_VAR: &str = "ONSENDO_OFFSITE_SAFETY_COPIES";

/// The variable that sets how long restic may show no progress before it is stopped (seconds).
pub const TIMEOUT_VAR: &str = "ONSENDO_RESTIC_TIMEOUT";

/// How long restic may show no progress when no variable says otherwise (seconds).
const DEFAULT_TIMEOUT_SECS: u64 = 120;

/// The time restic may show no progress, from [`TIMEOUT_VAR`]'s value (unset or blank: the
/// default; 0: no limit, [`Duration::MAX`]); a value out of range is a usage error naming the
/// variable.
pub fn timeout_from(value: Option<&str>) -> Result<Duration> {
    let seconds = number_setting(TIMEOUT_VAR, value, DEFAULT_TIMEOUT_SECS, 86_400, "seconds")?;
    Ok(match seconds {
        0 => Duration::MAX,
        seconds => Duration::from_secs(seconds),
    })
}

/// restic's own variables for the repository's password, in the order restic prefers them.
pub const PASSWORD_VARS: [&str; 3] = [
    "RESTIC_PASSWORD_FILE",
    "RESTIC_PASSWORD_COMMAND",
    "RESTIC_PASSWORD",
];

/// The tag every snapshot this tool sends carries.
const OURS: &str = "onsendo";

/// Where off-site copies go, as the process's variables say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// restic's repository location (`/srv/restic`, `s3:http://host/bucket`, `rclone:remote:x`…).
    location: String,
    /// The `restic` program.
    program: PathBuf,
    /// How long restic may show no progress before it is stopped.
    stall: Duration,
}

impl Repository {
    /// The repository the variables name, with `restic` found on PATH and a password set where
    /// restic reads it; a clear error with what to do otherwise.
    pub fn from_process() -> Result<Repository> {
        let location = configured_location().ok_or_else(|| {
                Error::failed(format!(
                    "no off-site repository is configured; set {REPOSITORY_VAR} (or RESTIC_REPOSITORY) to a restic repository, e.g. `/mnt/offsite/onsendo` or `s3:https://host/bucket`, made once with `restic init`"
                ))
            })?;
        if !PASSWORD_VARS
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
        {
            return Err(Error::failed(format!(
                "no password for the off-site repository `{}`; set RESTIC_PASSWORD_FILE (a file holding it) or RESTIC_PASSWORD_COMMAND, as restic reads them",
                shown(&location)
            )));
        }
        Ok(Repository {
            location,
            program: find_restic()?,
            stall: timeout_from(std::env::var(TIMEOUT_VAR).ok().as_deref())?,
        })
    }

    /// The location as it may be shown: any password in it hidden.
    pub fn shown(&self) -> String {
        shown(&self.location)
    }

    /// A `restic` command on this repository (its location passed as restic's own variable).
    fn restic(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .stdout(Stdio::piped())
            .env("RESTIC_REPOSITORY", &self.location)
            .env_remove("RESTIC_REPOSITORY_FILE")
            .stdin(Stdio::null());
        command
    }

    /// Runs `command` to its end, stopped when it shows no progress (no output) for the
    /// repository's time limit; its stdout when it succeeds, else an error that says `doing`.
    fn run(&self, command: Command, doing: &str) -> Result<Vec<u8>> {
        self.run_watched(command, doing, &|| 0)
    }

    /// Runs `command` to its end, stopped when neither its output nor `progress()` changes for
    /// the repository's time limit; its stdout when it succeeds, else an error that says `doing`
    /// and shows restic's own last lines.
    fn run_watched(
        &self,
        mut command: Command,
        doing: &str,
        progress: &dyn Fn() -> u64,
    ) -> Result<Vec<u8>> {
        command.stderr(Stdio::piped());
        let output = watched::run(command, self.stall, progress)
            .map_err(|e| Error::failed(format!("cannot run restic to {doing}")).because(e))?;
        match output {
            Some(output) if output.status.success() => Ok(output.stdout),
            Some(output) => Err(self.failure(doing, &output.stderr)),
            None => Err(Error::failed(format!(
                "restic could not {doing} (repository `{}`): it showed no progress for {} s, so it was stopped (is the store reachable? {TIMEOUT_VAR} sets how long to wait)",
                self.shown(),
                self.stall.as_secs()
            ))),
        }
    }

    /// restic failed while doing `doing`: its last lines (and the line that says the repository
    /// is locked, with how to remove a dead run's lock), secrets hidden.
    fn failure(&self, doing: &str, stderr: &[u8]) -> Error {
        let text = String::from_utf8_lossy(stderr);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut shown = lines[lines.len().saturating_sub(3)..].to_vec();
        let locked = lines.iter().find(|line| line.contains("already locked"));
        if let Some(locked) = locked.filter(|line| !shown.contains(line)) {
            shown.insert(0, locked);
        }
        let unlock = match locked {
            Some(_) => "; if no restic is working on it any more, `restic unlock` (with the same repository and password) removes the lock a stopped run left, and `prune --offsite` does so first",
            None => "",
        };
        Error::failed(format!(
            "restic could not {doing} (repository `{}`): {}{unlock}",
            self.shown(),
            crate::access::audit::redact_value("restic", &shown.join("; "))
        ))
    }

    /// Sends the placed backup `made` as one snapshot (`backup --stdin`, file name
    /// `onsen_<env>.db`), tagged with its manifest; the new snapshot's id.
    pub fn send(&self, made: &Made) -> Result<String> {
        let file = std::fs::File::open(&made.path).map_err(|e| {
            Error::failed(format!("cannot read `{}`", made.path.display())).because(e)
        })?;
        let name = format!("{}.db", backup::stem_for(made.manifest.environment));
        let tags = tags_of(&made.manifest).join(",");
        failpoint::hit("offsite.send")?;
        let mut command = self.restic(&[
            "backup",
            "--quiet",
            "--json",
            "--stdin",
            "--stdin-filename",
            &name,
            "--tag",
            &tags,
        ]);
        // restic's read position in the file (shared with this duplicate): how far it has got.
        let position = file.try_clone().map_err(|e| {
            Error::failed(format!("cannot read `{}`", made.path.display())).because(e)
        })?;
        command.stdin(Stdio::from(file)).stdout(Stdio::piped());
        let out = self.run_watched(command, "store the backup", &|| {
            (&position).stream_position().unwrap_or(0)
        })?;
        let summary = String::from_utf8_lossy(&out);
        summary
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find_map(|v| v.get("snapshot_id")?.as_str().map(str::to_string))
            .ok_or_else(|| {
                Error::failed(format!(
                    "restic stored the backup in `{}` but named no snapshot",
                    self.shown()
                ))
            })
    }

    /// This tool's snapshots of `env` (`None`: custom files), newest first.
    pub fn snapshots(&self, env: Option<Environment>) -> Result<Vec<Snapshot>> {
        self.listed(&format!("{OURS},env={}", env_label(env)))
    }

    /// This tool's snapshots with every tag of `filter` (comma-separated), newest first.
    fn listed(&self, filter: &str) -> Result<Vec<Snapshot>> {
        let out = self.run(
            self.restic(&["snapshots", "--json", "--tag", filter]),
            "list its snapshots",
        )?;
        let listed: Vec<Value> = serde_json::from_slice(&out).map_err(|e| {
            Error::failed(format!(
                "restic listed the snapshots of `{}` in a form this tool does not read",
                self.shown()
            ))
            .because(e)
        })?;
        let mut found: Vec<Snapshot> = listed.iter().filter_map(Snapshot::parse).collect();
        found.sort_by(|a, b| b.manifest.created_at.cmp(&a.manifest.created_at));
        Ok(found)
    }

    /// The snapshot to restore into the environment `config` selected: the one named by `id` (a
    /// prefix of its id, among this tool's snapshots of any environment), else the newest of
    /// that environment's that is not a copy a restore made of what it replaced.
    pub fn choose(&self, config: &DatabaseConfig, id: Option<&str>) -> Result<Snapshot> {
        let env = config.env;
        let Some(id) = id else {
            return self
                .snapshots(env)?
                .into_iter()
                .find(|s| s.manifest.reason != Reason::PreRestore.name())
                .ok_or_else(|| {
                    Error::failed(format!(
                        "there is no off-site snapshot of {} in `{}`; send one with `{}`",
                        env_label(env),
                        self.shown(),
                        Hint::command(config, "database backup").flag("--offsite")
                    ))
                });
        };
        let mut matching = self
            .listed(OURS)?
            .into_iter()
            .filter(|s| !id.is_empty() && s.id.starts_with(id));
        match (matching.next(), matching.next()) {
            (Some(found), None) => Ok(found),
            (Some(_), Some(_)) => Err(Error::usage(format!(
                "`{id}` names more than one snapshot in `{}`; give more of its id",
                self.shown()
            ))),
            (None, _) => Err(Error::usage(format!(
                "there is no snapshot `{id}` of this tool in `{}`; list them with `{}`",
                self.shown(),
                Hint::command(config, "database backups").flag("--offsite")
            ))),
        }
    }

    /// Downloads `snapshot` (`restic dump`) into the backup folder `dir` under a new backup
    /// name, with its manifest: placed only once its bytes hash to the manifest's file hash.
    /// On any failure nothing is placed.
    pub fn fetch(&self, snapshot: &Snapshot, dir: &Path) -> Result<Made> {
        durable::prepare_folder(dir)?;
        let path = backup::free_name(dir, &backup::stem_for(snapshot.manifest.environment));
        let temp = TempFile::beside(&path)?;
        let file = durable::create_private(temp.path())
            .map_err(|e| durable::write_error(temp.path(), e))?;
        let mut command = self.restic(&["dump", &snapshot.id, &snapshot.file]);
        command.stdout(Stdio::from(file));
        let written = || std::fs::metadata(temp.path()).map_or(0, |m| m.len());
        let doing = format!(
            "download snapshot {}; nothing was placed",
            snapshot.short_id
        );
        self.run_watched(command, &doing, &written)?;
        failpoint::hit("offsite.fetched")?;
        let found = digest::file_digest(temp.path(), None)?;
        if found != snapshot.manifest.file_digest {
            return Err(Error::check_failed(format!(
                "snapshot {} of `{}` does not hash to the file hash it was sent with ({found} ≠ {}); nothing was placed",
                snapshot.short_id,
                self.shown(),
                snapshot.manifest.file_digest
            )));
        }
        let mut manifest = snapshot.manifest.clone();
        manifest.file = crate::copies::manifest::file_name(&path);
        backup::place(temp, path, manifest)
    }

    /// Removes stale locks (of restic processes that were killed), as `restic unlock` does: they
    /// would stop every other command; a live process's lock stays.
    pub fn unlock(&self) -> Result<()> {
        self.run(self.restic(&["unlock"]), "remove stale locks")
            .map(|_| ())
    }

    /// Forgets the snapshots `ids` (their data stays until [`Repository::prune`]).
    pub fn forget(&self, ids: &[String]) -> Result<()> {
        let mut args = vec!["forget", "--quiet"];
        args.extend(ids.iter().map(String::as_str));
        self.run(self.restic(&args), "forget the snapshots")
            .map(|_| ())
    }

    /// Removes the data no snapshot uses any more.
    pub fn prune(&self) -> Result<()> {
        self.run(self.restic(&["prune"]), "prune unused data")
            .map(|_| ())
    }
}

/// One of this tool's snapshots in the repository, with the manifest it was sent with.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// restic's snapshot id.
    pub id: String,
    /// Its short form.
    pub short_id: String,
    /// The file inside it (`/onsen_dev.db`).
    file: String,
    /// The manifest of the backup it holds (its `file`: the name it had where it was made).
    pub manifest: Manifest,
}

impl Snapshot {
    /// The environment it was made of, as tags name it: its name, or `custom`.
    pub fn environment_label(&self) -> &'static str {
        env_label(self.manifest.environment)
    }

    /// A snapshot from restic's JSON listing; `None` for one this tool did not send.
    fn parse(value: &Value) -> Option<Snapshot> {
        let tags: Vec<&str> = value
            .get("tags")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let tag = |key: &str| {
            tags.iter()
                .find_map(|t| t.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        let number = |key: &str| tag(key)?.parse::<u64>().ok();
        let environment = match tag("env")?.as_str() {
            "custom" => None,
            name => Some(Environment::parse(name, "environment").ok()?),
        };
        let (page_count, page_size) = tag("pages")?
            .split_once('x')
            .and_then(|(n, size)| Some((n.parse::<u64>().ok()?, size.parse::<u64>().ok()?)))?;
        let file = value
            .get("paths")?
            .as_array()?
            .first()?
            .as_str()?
            .to_string();
        Some(Snapshot {
            id: value.get("id")?.as_str()?.to_string(),
            short_id: value.get("short_id")?.as_str()?.to_string(),
            manifest: Manifest {
                file: tag("name")?,
                method: tag("method")?,
                file_digest: tag("file")?,
                logical_digest: tag("logical")?,
                size: page_count.checked_mul(page_size)?,
                page_size,
                page_count,
                source: PathBuf::from(match tag("source") {
                    Some(source) => source,
                    None => value.get("hostname")?.as_str()?.to_string(),
                }),
                environment,
                created_at: tag("made")?,
                created_unix: tag("unix")?.parse().ok()?,
                tool_version: tag("tool").unwrap_or_default(),
                reason: tag("reason")?,
                foreign_key_violations: number("fk"),
                schema_version: tag("schema")?.parse().ok(),
            },
            file,
        })
    }
}

/// The tags that carry a backup's manifest into its snapshot (restic's tags hold no commas).
fn tags_of(manifest: &Manifest) -> Vec<String> {
    let mut tags = vec![
        OURS.to_string(),
        format!("env={}", env_label(manifest.environment)),
        format!("reason={}", manifest.reason),
        format!("name={}", manifest.file),
        format!("method={}", manifest.method),
        format!("file={}", manifest.file_digest),
        format!("logical={}", manifest.logical_digest),
        format!("pages={}x{}", manifest.page_count, manifest.page_size),
        format!("made={}", manifest.created_at),
        format!("unix={}", manifest.created_unix),
        format!("tool={}", manifest.tool_version.replace(' ', "-")),
        format!("source={}", manifest.source.display()),
    ];
    if let Some(version) = manifest.schema_version {
        tags.push(format!("schema={version}"));
    }
    if let Some(violations) = manifest.foreign_key_violations {
        tags.push(format!("fk={violations}"));
    }
    tags.retain(|t| !t.contains(','));
    tags
}

/// An environment's label in tags: its name, or `custom`.
fn env_label(env: Option<Environment>) -> &'static str {
    env.map_or("custom", Environment::name)
}

/// A repository location with any password in it hidden.
fn shown(location: &str) -> String {
    crate::access::audit::redact_value("repository", location)
}

/// The repository's location, from the first variable that names one.
fn configured_location() -> Option<String> {
    [REPOSITORY_VAR, "RESTIC_REPOSITORY"]
        .into_iter()
        .find_map(|name| {
            let value = std::env::var(name).ok()?;
            (!value.trim().is_empty()).then_some(value)
        })
}

/// Whether a variable names an off-site repository.
pub fn configured() -> bool {
    configured_location().is_some()
}

/// Whether safety copies go off-site too (`ONSENDO_OFFSITE_SAFETY_COPIES=1`).
pub fn safety_copies_offsite() -> bool {
    std::env::var(SAFETY_VAR).is_ok_and(|v| v.trim() == "1")
}

/// The `restic` program on PATH, or how to install it.
fn find_restic() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("restic"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::failed(
                "`restic` is not installed (not found on PATH); install it with `sudo apt-get install restic` (Debian, Ubuntu), `sudo dnf install restic` (Fedora) or `brew install restic` (macOS)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_survives_the_trip_through_tags() {
        let manifest = Manifest {
            file: "onsen_dev_20261122T000000Z.db".into(),
            method: "bytes".into(),
            file_digest: "xxh3-128:1".into(),
            logical_digest: "xxh3-128:2".into(),
            size: 12288,
            page_size: 4096,
            page_count: 3,
            source: PathBuf::from("box"),
            environment: Some(Environment::Dev),
            created_at: "2026-11-22T00:00:00.123Z".into(),
            created_unix: 1_795_132_800,
            tool_version: "onsendo-0.1.0".into(),
            reason: "pre-migrate".into(),
            foreign_key_violations: Some(0),
            schema_version: Some(3),
        };
        let listed = serde_json::json!({
            "id": "abcdef0123", "short_id": "abcdef01", "hostname": "box",
            "paths": ["/onsen_dev.db"], "tags": tags_of(&manifest),
        });
        let snapshot = Snapshot::parse(&listed).unwrap();
        assert_eq!(snapshot.manifest, manifest);
        assert_eq!(snapshot.file, "/onsen_dev.db");
        let foreign =
            serde_json::json!({"id": "1", "short_id": "1", "paths": ["/x"], "tags": ["other"]});
        assert_eq!(Snapshot::parse(&foreign), None);
    }

    #[test]
    fn the_time_limit_is_seconds_and_zero_means_none() {
        assert_eq!(timeout_from(None).unwrap(), Duration::from_secs(120));
        assert_eq!(timeout_from(Some(" ")).unwrap(), Duration::from_secs(120));
        assert_eq!(timeout_from(Some("5")).unwrap(), Duration::from_secs(5));
        assert_eq!(timeout_from(Some("0")).unwrap(), Duration::MAX);
        for bad in ["-1", "86401", "1.5", "abc"] {
            let e = timeout_from(Some(bad)).unwrap_err();
            assert!(e.to_string().contains(TIMEOUT_VAR), "{e}");
        }
    }

    #[test]
    fn passwords_in_locations_are_hidden() {
        assert_eq!(
            shown("rest:https://me:pw@host/repo"),
            "rest:https://me:***@host/repo"
        );
    }
}
