//! The durability model of `rekam-testfs` on a real mount, through `std::fs` as the store
//! uses it. Each test skips with a message where this machine cannot mount FUSE, and fails
//! instead under CI (`CI` set).
#![allow(clippy::unwrap_used)]

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use nix::fcntl::{FallocateFlags, Flock, FlockArg, RenameFlags};
use rekam_testfs::{mount_or_skip, Mounted};

/// Creates `path` with `data` and fsyncs the file (not its directory).
fn write_synced(path: &Path, data: &[u8]) {
    let mut f = File::create(path).unwrap();
    f.write_all(data).unwrap();
    f.sync_all().unwrap();
}

/// Fsyncs a directory, as the store does after a rename.
fn sync_dir(dir: &Path) {
    File::open(dir).unwrap().sync_all().unwrap();
}

/// Lines of `/proc/self/mountinfo` that mount something at `path`.
fn mounts_at(path: &Path) -> usize {
    let wanted = format!(" {} ", path.display());
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|line| line.contains(&wanted))
        .count()
}

fn root(fs: &Mounted) -> &Path {
    fs.path()
}

#[test]
fn a_write_without_any_fsync_is_gone_after_a_power_cut() {
    let Some(fs) = mount_or_skip("a_write_without_any_fsync_is_gone_after_a_power_cut") else {
        return;
    };
    let path = root(&fs).join("record.json");
    fs::write(&path, b"{\"id\":1}").unwrap();
    assert_eq!(
        fs::read(&path).unwrap(),
        b"{\"id\":1}",
        "visible before the cut"
    );
    fs.cut_power().unwrap();
    assert_eq!(fs::metadata(&path).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs.stats().power_cuts, 1);
}

#[test]
fn a_durable_name_without_a_data_fsync_comes_back_empty() {
    let Some(fs) = mount_or_skip("a_durable_name_without_a_data_fsync_comes_back_empty") else {
        return;
    };
    let path = root(&fs).join("record.json");
    fs::write(&path, b"never fsynced").unwrap();
    sync_dir(root(&fs));
    fs.cut_power().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), 0);
    assert_eq!(fs::read(&path).unwrap(), b"");
}

#[test]
fn fsync_of_the_file_alone_does_not_keep_its_name() {
    let Some(fs) = mount_or_skip("fsync_of_the_file_alone_does_not_keep_its_name") else {
        return;
    };
    let path = root(&fs).join("record.json");
    write_synced(&path, b"data is durable, the name is not");
    assert_eq!(fs.stats().durable_bytes, 0, "nothing reachable durably yet");
    fs.cut_power().unwrap();
    assert!(!path.exists());
}

#[test]
fn the_atomic_write_survives_with_its_exact_content() {
    let Some(fs) = mount_or_skip("the_atomic_write_survives_with_its_exact_content") else {
        return;
    };
    let dir = root(&fs).join("records");
    fs::create_dir(&dir).unwrap();
    sync_dir(root(&fs));
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let tmp = dir.join(".0001.json.tmp");
    let done = dir.join("0001.json");
    write_synced(&tmp, &data);
    fs::rename(&tmp, &done).unwrap();
    sync_dir(&dir);
    let stats = fs.stats();
    assert_eq!(stats.durable_bytes, data.len() as u64);
    assert_eq!((stats.unsynced_files, stats.unsynced_dirs), (0, 0));
    fs.cut_power().unwrap();
    assert_eq!(fs::read(&done).unwrap(), data);
    assert!(!tmp.exists());
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["0001.json"]);
}

#[test]
fn a_rename_without_a_directory_fsync_keeps_the_old_name() {
    let Some(fs) = mount_or_skip("a_rename_without_a_directory_fsync_keeps_the_old_name") else {
        return;
    };
    let old = root(&fs).join("old");
    let new = root(&fs).join("new");
    write_synced(&old, b"content");
    sync_dir(root(&fs));
    fs::rename(&old, &new).unwrap();
    fs.cut_power().unwrap();
    assert_eq!(fs::read(&old).unwrap(), b"content");
    assert!(!new.exists());
}

#[test]
fn a_truncate_after_fsync_is_undone_by_a_power_cut() {
    let Some(fs) = mount_or_skip("a_truncate_after_fsync_is_undone_by_a_power_cut") else {
        return;
    };
    let path = root(&fs).join("queue.state");
    write_synced(&path, b"first version");
    sync_dir(root(&fs));
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(0).unwrap();
    f.write_all_at(b"second", 0).unwrap();
    f.write_all_at(b"!", 100).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), 101);
    drop(f);
    fs.cut_power().unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"first version");
}

#[test]
fn a_new_directory_needs_its_parent_fsynced() {
    let Some(fs) = mount_or_skip("a_new_directory_needs_its_parent_fsynced") else {
        return;
    };
    let dir = root(&fs).join("2026-11-22");
    fs::create_dir(&dir).unwrap();
    write_synced(&dir.join("a"), b"a");
    sync_dir(&dir);
    fs.cut_power().unwrap();
    assert!(!dir.exists(), "the root was never fsynced");

    fs::create_dir(&dir).unwrap();
    write_synced(&dir.join("a"), b"a");
    sync_dir(&dir);
    sync_dir(root(&fs));
    fs.cut_power().unwrap();
    assert_eq!(fs::read(dir.join("a")).unwrap(), b"a");
}

#[test]
fn writes_past_the_capacity_fail_with_enospc() {
    let Some(fs) = mount_or_skip("writes_past_the_capacity_fail_with_enospc") else {
        return;
    };
    fs.set_capacity(Some(64 * 1024));
    let path = root(&fs).join("big");
    let mut f = File::create(&path).unwrap();
    let err = f.write_all(&vec![7u8; 100 * 1024]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        64 * 1024,
        "what fit was written"
    );
    assert_eq!(fs.stats().volatile_bytes, 64 * 1024);
    let err = File::create(root(&fs).join("more"))
        .unwrap()
        .write_all(b"x")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StorageFull);
    f.write_all_at(b"overwrite needs no space", 0).unwrap();
    let statvfs = nix::sys::statvfs::fstatvfs(&f).unwrap();
    assert_eq!(statvfs.blocks_free(), 0);

    fs::remove_file(&path).unwrap();
    let err = fs::write(root(&fs).join("more"), b"x").unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::StorageFull,
        "unlinked but open still takes space"
    );
    drop(f);
    fs::write(root(&fs).join("more"), b"fits again").unwrap();
    fs.set_capacity(None);
    fs::write(&path, vec![7u8; 100 * 1024]).unwrap();
}

#[test]
fn a_read_only_filesystem_refuses_changes_with_erofs() {
    let Some(fs) = mount_or_skip("a_read_only_filesystem_refuses_changes_with_erofs") else {
        return;
    };
    let path = root(&fs).join("f");
    fs::write(&path, b"before").unwrap();
    let mut open = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    fs.set_read_only(true);
    let erofs = |r: std::io::Result<()>| {
        let err = r.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ReadOnlyFilesystem, "{err}");
    };
    erofs(open.write_all(b"x"));
    erofs(open.sync_all());
    erofs(File::create(root(&fs).join("g")).map(drop));
    erofs(OpenOptions::new().write(true).open(&path).map(drop));
    erofs(fs::create_dir(root(&fs).join("d")));
    erofs(fs::rename(&path, root(&fs).join("h")));
    erofs(fs::remove_file(&path));
    erofs(fs::set_permissions(
        &path,
        fs::Permissions::from_mode(0o600),
    ));
    erofs(File::open(root(&fs)).unwrap().sync_all());
    assert_eq!(fs::read(&path).unwrap(), b"before", "reads still work");

    fs.set_read_only(false);
    open.write_all(b"after").unwrap();
    open.sync_all().unwrap();
}

#[test]
fn std_fs_works_on_the_mount() {
    let Some(fs) = mount_or_skip("std_fs_works_on_the_mount") else {
        return;
    };
    let dir = root(&fs).join("d");
    fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    fs::write(dir.join("a"), b"alpha").unwrap();
    fs::write(dir.join("b"), b"beta").unwrap();

    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                e.file_type().unwrap().is_dir(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("a".into(), false),
            ("b".into(), false),
            ("sub".into(), true)
        ]
    );
    let meta = fs::metadata(dir.join("a")).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.len(), 5);
    assert!(fs::metadata(dir.join("sub")).unwrap().is_dir());
    assert_eq!(fs::metadata(&dir).unwrap().nlink(), 3);

    // pwrite past the end leaves zeros; set_len extends sparsely.
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("a"))
        .unwrap();
    f.write_all_at(b"Z", 9).unwrap();
    let mut buf = [1u8; 10];
    f.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"alpha\0\0\0\0Z");
    f.set_len(4096).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 4096);
    f.sync_all().unwrap();
    f.sync_data().unwrap();
    assert_eq!(fs.stats().fsync_calls, 2);
    nix::fcntl::fallocate(f.as_raw_fd(), FallocateFlags::empty(), 0, 8192).unwrap();
    assert_eq!(f.metadata().unwrap().len(), 8192);
    nix::fcntl::fallocate(
        f.as_raw_fd(),
        FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE,
        0,
        2,
    )
    .unwrap();
    f.read_exact_at(&mut buf[..3], 0).unwrap();
    assert_eq!(&buf[..3], b"\0\0p");

    // Appending.
    let mut log = OpenOptions::new().append(true).open(dir.join("b")).unwrap();
    log.write_all(b"+1").unwrap();
    assert_eq!(fs::read(dir.join("b")).unwrap(), b"beta+1");

    fs::set_permissions(dir.join("b"), fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(fs::metadata(dir.join("b")).unwrap().mode() & 0o777, 0o600);

    std::os::unix::fs::symlink("b", dir.join("link")).unwrap();
    assert_eq!(fs::read_link(dir.join("link")).unwrap(), Path::new("b"));
    assert_eq!(fs::read(dir.join("link")).unwrap(), b"beta+1");
    fs::hard_link(dir.join("b"), dir.join("b2")).unwrap();
    assert_eq!(fs::metadata(dir.join("b")).unwrap().nlink(), 2);
    fs::copy(dir.join("b"), dir.join("c")).unwrap();
    assert_eq!(fs::read(dir.join("c")).unwrap(), b"beta+1");

    // renameat2 flags.
    let (b, c) = (dir.join("b"), dir.join("c"));
    let noreplace = nix::fcntl::renameat2(None, &b, None, &c, RenameFlags::RENAME_NOREPLACE);
    assert_eq!(noreplace, Err(nix::errno::Errno::EEXIST));
    fs::write(&c, b"gamma").unwrap();
    nix::fcntl::renameat2(None, &b, None, &c, RenameFlags::RENAME_EXCHANGE).unwrap();
    assert_eq!(fs::read(&b).unwrap(), b"gamma");
    assert_eq!(fs::read(&c).unwrap(), b"beta+1");
    let whiteout = nix::fcntl::renameat2(None, &b, None, &c, RenameFlags::RENAME_WHITEOUT);
    assert_eq!(whiteout, Err(nix::errno::Errno::EINVAL));

    // flock, as sled takes it on its database file.
    let first = Flock::lock(File::open(&b).unwrap(), FlockArg::LockExclusiveNonblock).unwrap();
    let second = Flock::lock(File::open(&b).unwrap(), FlockArg::LockExclusiveNonblock);
    assert!(second.is_err(), "a second exclusive lock must fail");
    drop(first);

    assert_eq!(
        fs::remove_dir(dir.join("sub")).unwrap_err().kind(),
        ErrorKind::DirectoryNotEmpty
    );
    fs::remove_dir_all(&dir).unwrap();
    assert!(fs::read_dir(root(&fs)).unwrap().next().is_none());
}

#[test]
fn handles_opened_before_a_power_cut_fail_with_eio() {
    let Some(fs) = mount_or_skip("handles_opened_before_a_power_cut_fail_with_eio") else {
        return;
    };
    let path = root(&fs).join("f");
    write_synced(&path, b"durable");
    sync_dir(root(&fs));
    let mut old = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let lock = Flock::lock(File::open(&path).unwrap(), FlockArg::LockExclusiveNonblock).unwrap();
    fs.cut_power().unwrap();

    let eio = |e: std::io::Error| assert_eq!(e.raw_os_error(), Some(nix::libc::EIO), "{e}");
    eio(old.write_all(b"x").unwrap_err());
    eio(old.sync_all().unwrap_err());
    let mut buf = Vec::new();
    eio(old.read_to_end(&mut buf).unwrap_err());
    // The new mount: the file is back, and the lock went with the old mount.
    assert_eq!(fs::read(&path).unwrap(), b"durable");
    Flock::lock(File::open(&path).unwrap(), FlockArg::LockExclusiveNonblock).unwrap();
    assert_eq!(mounts_at(fs.path()), 1, "the old mount is detached");
    drop((old, lock));
}

#[test]
fn sync_file_range_makes_nothing_durable_but_o_dsync_does() {
    let Some(fs) = mount_or_skip("sync_file_range_makes_nothing_durable_but_o_dsync_does") else {
        return;
    };
    let ranged = root(&fs).join("ranged");
    let mut f = File::create(&ranged).unwrap();
    f.write_all(b"sync_file_range only").unwrap();
    let flags = nix::libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | nix::libc::SYNC_FILE_RANGE_WRITE
        | nix::libc::SYNC_FILE_RANGE_WAIT_AFTER;
    #[allow(unsafe_code)]
    // SAFETY: sync_file_range reads no memory of ours; `f` is an open descriptor.
    let ret = unsafe { nix::libc::sync_file_range(f.as_raw_fd(), 0, 0, flags) };
    assert_eq!(ret, 0, "{}", std::io::Error::last_os_error());

    let dsync = root(&fs).join("dsync");
    let mut g = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(nix::libc::O_DSYNC)
        .open(&dsync)
        .unwrap();
    g.write_all(b"O_DSYNC").unwrap();
    assert_eq!(
        fs.stats().fsync_calls,
        1,
        "each O_DSYNC write reaches us as an fsync"
    );

    sync_dir(root(&fs));
    drop((f, g));
    fs.cut_power().unwrap();
    assert_eq!(fs::read(&ranged).unwrap(), b"");
    assert_eq!(fs::read(&dsync).unwrap(), b"O_DSYNC");
}

#[test]
fn stats_count_bytes_and_fsyncs() {
    let Some(fs) = mount_or_skip("stats_count_bytes_and_fsyncs") else {
        return;
    };
    fs::write(root(&fs).join("a"), [0u8; 1000]).unwrap();
    write_synced(&root(&fs).join("b"), &[0u8; 300]);
    sync_dir(root(&fs));
    fs::write(root(&fs).join("c"), [0u8; 20]).unwrap();
    let stats = fs.stats();
    assert_eq!(stats.volatile_bytes, 1320);
    assert_eq!(
        stats.durable_bytes, 300,
        "a is named durably but empty, c is not named"
    );
    assert_eq!((stats.unsynced_files, stats.unsynced_dirs), (2, 1));
    assert_eq!((stats.fsync_calls, stats.fsyncdir_calls), (1, 1));
    fs.cut_power().unwrap();
    let after = fs.stats();
    assert_eq!((after.volatile_bytes, after.durable_bytes), (300, 300));
    assert_eq!(after.power_cuts, 1);
}

#[test]
fn dropping_the_mount_unmounts_even_when_a_test_panics_with_files_open() {
    let Some(fs) =
        mount_or_skip("dropping_the_mount_unmounts_even_when_a_test_panics_with_files_open")
    else {
        return;
    };
    let path = fs.path().to_owned();
    let file = File::create(path.join("held open")).unwrap();
    let panicked = std::thread::spawn(move || {
        let _fs = fs;
        panic!("a failing crash test");
    })
    .join();
    assert!(panicked.is_err());
    assert_eq!(mounts_at(&path), 0);
    assert!(!path.exists(), "the temporary mount point is removed");
    drop(file);
}
