//! The durability model itself, without FUSE: an in-memory tree in which every inode has a
//! volatile state (what programs see now) and a durable state (what a power cut leaves).
//!
//! The crate documentation states the model; this module is its only implementation, and its
//! unit tests run without a mount.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use fuser::{Errno, FileAttr, FileType, INodeNo, RenameFlags, TimeOrNow};
use nix::libc;

/// The root directory's inode number (FUSE fixes it at 1).
pub(crate) const ROOT: u64 = 1;
/// No file grows past this (`EFBIG`): contents live in memory, and a stray write at a huge
/// offset should fail rather than exhaust the machine.
pub const MAX_FILE_SIZE: u64 = 1 << 30;
/// The block size reported by `stat` and `statfs`.
pub(crate) const BLOCK_SIZE: u64 = 4096;
const NAME_MAX: usize = 255;
/// The number of inodes `statfs` reports as the filesystem's total.
const FILES_MAX: u64 = 1 << 20;
/// What `statfs` reports as the size when no capacity is set: 64 GiB.
const UNLIMITED_BLOCKS: u64 = (64 << 30) / BLOCK_SIZE;

type Result<T> = std::result::Result<T, Errno>;

/// Counters and sizes of a mounted [`PowerFailFs`](crate::PowerFailFs), from
/// [`Mounted::stats`](crate::Mounted::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Bytes of every regular file programs can see now (named, or unlinked but still open):
    /// the volatile view, which is also what counts against the capacity.
    pub volatile_bytes: u64,
    /// Bytes of every regular file that a power cut now would leave: the durable content of
    /// each file reachable from the root through durable directory entries (a file with two
    /// durable names counts once).
    pub durable_bytes: u64,
    /// Visible regular files whose data or attributes changed since their last `fsync`.
    pub unsynced_files: usize,
    /// Visible directories whose entries or attributes changed since their last `fsync`.
    pub unsynced_dirs: usize,
    /// `fsync`/`fdatasync` calls on files (and `msync(MS_SYNC)`) that made something durable.
    pub fsync_calls: u64,
    /// `fsync` calls on directories that made their entries durable.
    pub fsyncdir_calls: u64,
    /// Power cuts so far.
    pub power_cuts: u64,
}

/// What `statfs` reports, in blocks of [`BLOCK_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Statfs {
    pub blocks: u64,
    pub bfree: u64,
    pub files: u64,
    pub ffree: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    perm: u16,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
    crtime: SystemTime,
}

impl Meta {
    fn new(perm: u16, uid: u32, gid: u32) -> Meta {
        let now = SystemTime::now();
        Meta {
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
            crtime: now,
        }
    }

    fn touch(&mut self) {
        let now = SystemTime::now();
        self.mtime = now;
        self.ctime = now;
    }
}

#[derive(Debug)]
enum Body {
    File {
        data: Vec<u8>,
        durable: Vec<u8>,
    },
    Dir {
        entries: BTreeMap<OsString, u64>,
        durable: BTreeMap<OsString, u64>,
        /// The directory holding this one's volatile name (the root holds itself).
        parent: u64,
    },
    /// The target is written with the inode: a symlink is durable as soon as a name for it is.
    Symlink {
        target: PathBuf,
    },
}

#[derive(Debug)]
struct Inode {
    body: Body,
    meta: Meta,
    durable_meta: Meta,
    /// Volatile names (files, symlinks) or 2 + subdirectories (directories).
    nlink: u32,
    /// Open handles of the current mount.
    open: u32,
    /// Changed since the last fsync.
    dirty: bool,
}

impl Inode {
    fn kind(&self) -> FileType {
        match self.body {
            Body::File { .. } => FileType::RegularFile,
            Body::Dir { .. } => FileType::Directory,
            Body::Symlink { .. } => FileType::Symlink,
        }
    }

    fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir { .. })
    }

    fn visible(&self) -> bool {
        self.nlink > 0 || self.open > 0
    }

    fn file_len(&self) -> u64 {
        match &self.body {
            Body::File { data, .. } => data.len() as u64,
            _ => 0,
        }
    }
}

/// An open file or directory.
#[derive(Debug)]
enum Handle {
    File {
        ino: u64,
    },
    /// A directory listing is taken at opendir, so that a reader sees one consistent list.
    Dir {
        entries: Vec<DirEntry>,
    },
}

/// One line of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub ino: u64,
    pub kind: FileType,
    pub name: OsString,
}

/// The whole filesystem: every inode with its two states, the open handles of the current
/// mount, the knobs and the counters.
#[derive(Debug)]
pub(crate) struct Model {
    inodes: HashMap<u64, Inode>,
    handles: HashMap<u64, Handle>,
    next_ino: u64,
    next_fh: u64,
    /// Bumped by every power cut; a FUSE session serves only the epoch it was mounted in.
    epoch: u64,
    capacity: Option<u64>,
    read_only: bool,
    fsync_calls: u64,
    fsyncdir_calls: u64,
    power_cuts: u64,
}

fn check_name(name: &OsStr) -> Result<()> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    if bytes.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| Errno::EFBIG)
}

impl Model {
    /// An empty filesystem whose root directory has these permissions and owner. The root is
    /// durable from the start (it is the filesystem itself), with no entries.
    pub(crate) fn new(perm: u16, uid: u32, gid: u32) -> Model {
        let meta = Meta::new(perm, uid, gid);
        let root = Inode {
            body: Body::Dir {
                entries: BTreeMap::new(),
                durable: BTreeMap::new(),
                parent: ROOT,
            },
            meta,
            durable_meta: meta,
            nlink: 2,
            open: 0,
            dirty: false,
        };
        Model {
            inodes: HashMap::from([(ROOT, root)]),
            handles: HashMap::new(),
            next_ino: ROOT + 1,
            next_fh: 1,
            epoch: 0,
            capacity: None,
            read_only: false,
            fsync_calls: 0,
            fsyncdir_calls: 0,
            power_cuts: 0,
        }
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn set_capacity(&mut self, capacity: Option<u64>) {
        self.capacity = capacity;
    }

    pub(crate) fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    fn writable(&self) -> Result<()> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    fn inode(&self, ino: u64) -> Result<&Inode> {
        self.inodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn inode_mut(&mut self, ino: u64) -> Result<&mut Inode> {
        self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn entries(&self, dir: u64) -> Result<&BTreeMap<OsString, u64>> {
        match &self.inode(dir)?.body {
            Body::Dir { entries, .. } => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> Result<&mut BTreeMap<OsString, u64>> {
        let inode = self.inode_mut(dir)?;
        match &mut inode.body {
            Body::Dir { entries, .. } => {
                inode.dirty = true;
                inode.meta.touch();
                Ok(entries)
            }
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn child(&self, parent: u64, name: &OsStr) -> Result<u64> {
        self.entries(parent)?
            .get(name)
            .copied()
            .ok_or(Errno::ENOENT)
    }

    /// Σ of the sizes of visible regular files: what counts against the capacity.
    fn used(&self) -> u64 {
        self.inodes
            .values()
            .filter(|inode| inode.visible())
            .map(Inode::file_len)
            .sum()
    }

    /// The attributes of an inode, as `stat` shows them.
    pub(crate) fn attr(&self, ino: u64) -> Result<FileAttr> {
        let inode = self.inode(ino)?;
        let size = match &inode.body {
            Body::File { data, .. } => to_u64(data.len()),
            Body::Dir { .. } => BLOCK_SIZE,
            Body::Symlink { target } => to_u64(target.as_os_str().len()),
        };
        Ok(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: inode.meta.atime,
            mtime: inode.meta.mtime,
            ctime: inode.meta.ctime,
            crtime: inode.meta.crtime,
            kind: inode.kind(),
            perm: inode.meta.perm,
            nlink: inode.nlink,
            uid: inode.meta.uid,
            gid: inode.meta.gid,
            rdev: 0,
            blksize: BLOCK_SIZE as u32,
            flags: 0,
        })
    }

    pub(crate) fn lookup(&self, parent: u64, name: &OsStr) -> Result<FileAttr> {
        let ino = self.child(parent, name)?;
        self.attr(ino)
    }

    /// Adds a new inode under `parent/name`, which must be free.
    fn add_inode(&mut self, parent: u64, name: &OsStr, body: Body, meta: Meta) -> Result<u64> {
        self.writable()?;
        check_name(name)?;
        if self.entries(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let is_dir = matches!(body, Body::Dir { .. });
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(
            ino,
            Inode {
                body,
                meta,
                durable_meta: meta,
                nlink: if is_dir { 2 } else { 1 },
                open: 0,
                dirty: false,
            },
        );
        self.entries_mut(parent)?.insert(name.to_owned(), ino);
        if is_dir {
            self.inode_mut(parent)?.nlink += 1;
        }
        Ok(ino)
    }

    /// `mknod` of a regular file (other kinds: `EPERM`).
    pub(crate) fn mknod(
        &mut self,
        parent: u64,
        name: &OsStr,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<FileAttr> {
        let format = mode & libc::S_IFMT;
        if format != 0 && format != libc::S_IFREG {
            return Err(Errno::EPERM);
        }
        let body = Body::File {
            data: Vec::new(),
            durable: Vec::new(),
        };
        let meta = Meta::new((mode & 0o7777) as u16, uid, gid);
        let ino = self.add_inode(parent, name, body, meta)?;
        self.attr(ino)
    }

    /// `open(O_CREAT)` of a new file: `mknod` and `open` in one.
    pub(crate) fn create(
        &mut self,
        parent: u64,
        name: &OsStr,
        mode: u32,
        flags: i32,
        uid: u32,
        gid: u32,
    ) -> Result<(FileAttr, u64)> {
        let attr = self.mknod(parent, name, mode, uid, gid)?;
        let fh = self.open(attr.ino.0, flags)?;
        Ok((attr, fh))
    }

    pub(crate) fn mkdir(
        &mut self,
        parent: u64,
        name: &OsStr,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<FileAttr> {
        let body = Body::Dir {
            entries: BTreeMap::new(),
            durable: BTreeMap::new(),
            parent,
        };
        let meta = Meta::new((mode & 0o7777) as u16, uid, gid);
        let ino = self.add_inode(parent, name, body, meta)?;
        self.attr(ino)
    }

    pub(crate) fn symlink(
        &mut self,
        parent: u64,
        name: &OsStr,
        target: &Path,
        uid: u32,
        gid: u32,
    ) -> Result<FileAttr> {
        let body = Body::Symlink {
            target: target.to_owned(),
        };
        let ino = self.add_inode(parent, name, body, Meta::new(0o777, uid, gid))?;
        self.attr(ino)
    }

    pub(crate) fn readlink(&self, ino: u64) -> Result<Vec<u8>> {
        match &self.inode(ino)?.body {
            Body::Symlink { target } => Ok(target.as_os_str().as_bytes().to_vec()),
            _ => Err(Errno::EINVAL),
        }
    }

    /// A hard link: a new volatile name for an existing file (directories: `EPERM`).
    pub(crate) fn link(&mut self, ino: u64, newparent: u64, newname: &OsStr) -> Result<FileAttr> {
        self.writable()?;
        check_name(newname)?;
        if self.inode(ino)?.is_dir() {
            return Err(Errno::EPERM);
        }
        if self.entries(newparent)?.contains_key(newname) {
            return Err(Errno::EEXIST);
        }
        self.entries_mut(newparent)?.insert(newname.to_owned(), ino);
        let inode = self.inode_mut(ino)?;
        inode.nlink += 1;
        inode.meta.ctime = SystemTime::now();
        inode.dirty = true;
        self.attr(ino)
    }

    pub(crate) fn unlink(&mut self, parent: u64, name: &OsStr) -> Result<()> {
        self.writable()?;
        let ino = self.child(parent, name)?;
        let inode = self.inode(ino)?;
        if inode.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.entries_mut(parent)?.remove(name);
        let inode = self.inode_mut(ino)?;
        inode.nlink = inode.nlink.saturating_sub(1);
        inode.meta.ctime = SystemTime::now();
        self.gc();
        Ok(())
    }

    pub(crate) fn rmdir(&mut self, parent: u64, name: &OsStr) -> Result<()> {
        self.writable()?;
        let ino = self.child(parent, name)?;
        if !self.entries(ino)?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.entries_mut(parent)?.remove(name);
        self.inode_mut(ino)?.nlink = 0;
        let parent_inode = self.inode_mut(parent)?;
        parent_inode.nlink = parent_inode.nlink.saturating_sub(1);
        self.gc();
        Ok(())
    }

    /// Whether `dir` is `ancestor` or lies below it, following volatile parents.
    fn is_within(&self, mut dir: u64, ancestor: u64) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            match self.inodes.get(&dir).map(|inode| &inode.body) {
                Some(Body::Dir { parent, .. }) if *parent != dir => dir = *parent,
                _ => return false,
            }
        }
    }

    fn set_parent(&mut self, dir: u64, new_parent: u64) {
        if let Some(Inode {
            body: Body::Dir { parent, .. },
            ..
        }) = self.inodes.get_mut(&dir)
        {
            *parent = new_parent;
        }
    }

    fn add_nlink(&mut self, ino: u64, delta: i64) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            let n = (i64::from(inode.nlink) + delta).clamp(0, i64::from(u32::MAX));
            inode.nlink = u32::try_from(n).unwrap_or(u32::MAX);
        }
    }

    /// `rename` and `renameat2` with `RENAME_NOREPLACE` or `RENAME_EXCHANGE`; any other flag
    /// (`RENAME_WHITEOUT`, unknown bits, both together) is `EINVAL`.
    pub(crate) fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: RenameFlags,
    ) -> Result<()> {
        let noreplace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        let exchange = flags.contains(RenameFlags::RENAME_EXCHANGE);
        let known = RenameFlags::RENAME_NOREPLACE | RenameFlags::RENAME_EXCHANGE;
        if !(flags - known).is_empty() || (noreplace && exchange) {
            return Err(Errno::EINVAL);
        }
        self.writable()?;
        check_name(newname)?;
        let src = self.child(parent, name)?;
        let src_is_dir = self.inode(src)?.is_dir();
        let dst = self.entries(newparent)?.get(newname).copied();

        if exchange {
            let dst = dst.ok_or(Errno::ENOENT)?;
            let dst_is_dir = self.inode(dst)?.is_dir();
            if (src_is_dir && self.is_within(newparent, src))
                || (dst_is_dir && self.is_within(parent, dst))
            {
                return Err(Errno::EINVAL);
            }
            self.entries_mut(parent)?.insert(name.to_owned(), dst);
            self.entries_mut(newparent)?.insert(newname.to_owned(), src);
            if src_is_dir {
                self.set_parent(src, newparent);
            }
            if dst_is_dir {
                self.set_parent(dst, parent);
            }
            let moved = i64::from(src_is_dir) - i64::from(dst_is_dir);
            self.add_nlink(parent, -moved);
            self.add_nlink(newparent, moved);
            return Ok(());
        }

        if let Some(dst) = dst {
            if noreplace {
                return Err(Errno::EEXIST);
            }
            if dst == src {
                return Ok(());
            }
            let dst_inode = self.inode(dst)?;
            match (src_is_dir, dst_inode.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !self.entries(dst)?.is_empty() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        }
        if src_is_dir && self.is_within(newparent, src) {
            return Err(Errno::EINVAL);
        }

        self.entries_mut(parent)?.remove(name);
        self.entries_mut(newparent)?.insert(newname.to_owned(), src);
        if let Some(dst) = dst {
            if src_is_dir {
                // The replaced (empty) directory goes, and with it one link of newparent.
                self.inode_mut(dst)?.nlink = 0;
                self.add_nlink(newparent, -1);
            } else {
                self.add_nlink(dst, -1);
            }
        }
        if src_is_dir {
            self.set_parent(src, newparent);
            self.add_nlink(parent, -1);
            self.add_nlink(newparent, 1);
        }
        self.inode_mut(src)?.meta.ctime = SystemTime::now();
        self.gc();
        Ok(())
    }

    /// Grows or shrinks a file's volatile content; growth past the capacity is `ENOSPC`.
    fn resize(&mut self, ino: u64, len: u64) -> Result<()> {
        let used = self.used();
        let capacity = self.capacity;
        let inode = self.inode_mut(ino)?;
        let old = inode.file_len();
        let Body::File { data, .. } = &mut inode.body else {
            return Err(if inode.is_dir() {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        };
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if len > old {
            if let Some(capacity) = capacity {
                if used - old + len > capacity {
                    return Err(Errno::ENOSPC);
                }
            }
        }
        data.resize(to_usize(len)?, 0);
        inode.dirty = true;
        inode.meta.touch();
        Ok(())
    }

    /// `chmod`, `chown`, `truncate` and `utimens` in one, as FUSE sends them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn setattr(
        &mut self,
        ino: u64,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
    ) -> Result<FileAttr> {
        self.inode(ino)?;
        let changes = mode.is_some()
            || uid.is_some()
            || gid.is_some()
            || size.is_some()
            || atime.is_some()
            || mtime.is_some();
        if changes {
            self.writable()?;
        }
        if let Some(size) = size {
            self.resize(ino, size)?;
        }
        let resolve = |t: TimeOrNow| match t {
            TimeOrNow::SpecificTime(t) => t,
            TimeOrNow::Now => SystemTime::now(),
        };
        let inode = self.inode_mut(ino)?;
        if let Some(mode) = mode {
            inode.meta.perm = (mode & 0o7777) as u16;
        }
        if let Some(uid) = uid {
            inode.meta.uid = uid;
        }
        if let Some(gid) = gid {
            inode.meta.gid = gid;
        }
        if let Some(atime) = atime {
            inode.meta.atime = resolve(atime);
        }
        if let Some(mtime) = mtime {
            inode.meta.mtime = resolve(mtime);
        }
        if changes {
            inode.meta.ctime = SystemTime::now();
            inode.dirty = true;
        }
        self.attr(ino)
    }

    /// Opens a file. Opening for writing (or with `O_TRUNC`) on a read-only filesystem is
    /// `EROFS`, as on a real one.
    pub(crate) fn open(&mut self, ino: u64, flags: i32) -> Result<u64> {
        let write = flags & libc::O_ACCMODE != libc::O_RDONLY;
        let truncate = flags & libc::O_TRUNC != 0;
        match self.inode(ino)?.body {
            Body::File { .. } => {}
            Body::Dir { .. } if !write => {}
            Body::Dir { .. } => return Err(Errno::EISDIR),
            Body::Symlink { .. } => return Err(Errno::ELOOP),
        }
        if write || truncate {
            self.writable()?;
        }
        if truncate && write {
            self.resize(ino, 0)?;
        }
        self.inode_mut(ino)?.open += 1;
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, Handle::File { ino });
        Ok(fh)
    }

    /// Closes a handle from [`open`](Self::open), [`create`](Self::create) or
    /// [`opendir`](Self::opendir).
    pub(crate) fn release(&mut self, fh: u64) {
        if let Some(Handle::File { ino }) = self.handles.remove(&fh) {
            if let Some(inode) = self.inodes.get_mut(&ino) {
                inode.open = inode.open.saturating_sub(1);
            }
            self.gc();
        }
    }

    pub(crate) fn opendir(&mut self, ino: u64) -> Result<u64> {
        let Body::Dir {
            entries, parent, ..
        } = &self.inode(ino)?.body
        else {
            return Err(Errno::ENOTDIR);
        };
        let mut list = vec![
            DirEntry {
                ino,
                kind: FileType::Directory,
                name: ".".into(),
            },
            DirEntry {
                ino: *parent,
                kind: FileType::Directory,
                name: "..".into(),
            },
        ];
        for (name, &child) in entries {
            let kind = self.inode(child)?.kind();
            list.push(DirEntry {
                ino: child,
                kind,
                name: name.clone(),
            });
        }
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, Handle::Dir { entries: list });
        Ok(fh)
    }

    /// The entries of a listing from position `offset` on; the position of entry `i` of the
    /// returned slice is `offset + i`, and the next call takes `offset + i + 1`.
    pub(crate) fn readdir(&self, fh: u64, offset: u64) -> Result<&[DirEntry]> {
        match self.handles.get(&fh) {
            Some(Handle::Dir { entries }) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(entries.len());
                Ok(&entries[start..])
            }
            _ => Err(Errno::EBADF),
        }
    }

    pub(crate) fn read(&self, ino: u64, offset: u64, size: u32) -> Result<&[u8]> {
        match &self.inode(ino)?.body {
            Body::File { data, .. } => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let end = start.saturating_add(size as usize).min(data.len());
                Ok(&data[start..end])
            }
            Body::Dir { .. } => Err(Errno::EISDIR),
            Body::Symlink { .. } => Err(Errno::EINVAL),
        }
    }

    /// `pwrite`: writes at `offset`, filling any gap with zeros. When the capacity is reached
    /// midway, writes what fits and returns the shorter count (the next write gets `ENOSPC`),
    /// as a real filesystem does.
    pub(crate) fn write(&mut self, ino: u64, offset: u64, bytes: &[u8]) -> Result<u32> {
        self.writable()?;
        let used = self.used();
        let capacity = self.capacity;
        let inode = self.inode_mut(ino)?;
        let old = inode.file_len();
        let Body::File { data, .. } = &mut inode.body else {
            return Err(Errno::EISDIR);
        };
        if bytes.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut end = offset
            .saturating_add(to_u64(bytes.len()))
            .min(MAX_FILE_SIZE);
        if end > old {
            if let Some(capacity) = capacity {
                let limit = old + capacity.saturating_sub(used);
                if limit <= offset {
                    return Err(Errno::ENOSPC);
                }
                end = end.min(limit);
            }
        }
        let start = to_usize(offset)?;
        let end = to_usize(end)?;
        if data.len() < end {
            data.resize(end, 0);
        }
        let n = end - start;
        data[start..end].copy_from_slice(&bytes[..n]);
        inode.dirty = true;
        inode.meta.touch();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// `fallocate`: mode 0 extends with zeros (`ENOSPC` past the capacity),
    /// `FALLOC_FL_KEEP_SIZE` alone does nothing visible, `FALLOC_FL_PUNCH_HOLE` and
    /// `FALLOC_FL_ZERO_RANGE` write zeros; other modes are `EOPNOTSUPP`.
    pub(crate) fn fallocate(
        &mut self,
        ino: u64,
        offset: u64,
        length: u64,
        mode: i32,
    ) -> Result<()> {
        self.writable()?;
        let end = offset.checked_add(length).ok_or(Errno::EFBIG)?;
        let len = match &self.inode(ino)?.body {
            Body::File { data, .. } => to_u64(data.len()),
            Body::Dir { .. } => return Err(Errno::EISDIR),
            Body::Symlink { .. } => return Err(Errno::ENODEV),
        };
        const KEEP_SIZE: i32 = libc::FALLOC_FL_KEEP_SIZE;
        const PUNCH_HOLE: i32 = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
        const ZERO_RANGE: i32 = libc::FALLOC_FL_ZERO_RANGE;
        let zero = match mode {
            0 => false,
            KEEP_SIZE => return Ok(()),
            PUNCH_HOLE => true,
            m if m & !KEEP_SIZE == ZERO_RANGE => true,
            _ => return Err(Errno::EOPNOTSUPP),
        };
        if mode & KEEP_SIZE == 0 && end > len {
            self.resize(ino, end)?;
        }
        if zero {
            let inode = self.inode_mut(ino)?;
            if let Body::File { data, .. } = &mut inode.body {
                let start = to_usize(offset.min(to_u64(data.len())))?;
                let stop = to_usize(end.min(to_u64(data.len())))?;
                data[start..stop].fill(0);
                inode.dirty = true;
                inode.meta.touch();
            }
        }
        Ok(())
    }

    /// `fsync`/`fdatasync` of a file: its volatile content, size and attributes become durable.
    /// Its names do not (that takes an fsync of each directory holding them).
    pub(crate) fn fsync(&mut self, ino: u64) -> Result<()> {
        if self.inode(ino)?.is_dir() {
            return self.fsyncdir(ino);
        }
        self.writable()?;
        let inode = self.inode_mut(ino)?;
        if let Body::File { data, durable } = &mut inode.body {
            durable.clone_from(data);
        }
        inode.durable_meta = inode.meta;
        inode.dirty = false;
        self.fsync_calls += 1;
        Ok(())
    }

    /// `fsync` of a directory: its volatile set of entries (name → inode) and its attributes
    /// become durable. Nothing about the files it names does.
    pub(crate) fn fsyncdir(&mut self, ino: u64) -> Result<()> {
        self.writable()?;
        let inode = self.inode_mut(ino)?;
        let Body::Dir {
            entries, durable, ..
        } = &mut inode.body
        else {
            return Err(Errno::ENOTDIR);
        };
        durable.clone_from(entries);
        inode.durable_meta = inode.meta;
        inode.dirty = false;
        self.fsyncdir_calls += 1;
        self.gc();
        Ok(())
    }

    pub(crate) fn access(&self, ino: u64, mask: i32) -> Result<()> {
        self.inode(ino)?;
        if mask & libc::W_OK != 0 {
            self.writable()?;
        }
        Ok(())
    }

    pub(crate) fn statfs(&self) -> Statfs {
        let blocks = self.capacity.map_or(UNLIMITED_BLOCKS, |c| c / BLOCK_SIZE);
        let used_blocks = self.used().div_ceil(BLOCK_SIZE);
        Statfs {
            blocks,
            bfree: blocks.saturating_sub(used_blocks),
            files: FILES_MAX,
            ffree: FILES_MAX.saturating_sub(to_u64(self.inodes.len())),
        }
    }

    /// Drops every inode that can no longer be seen, opened, or brought back by a power cut:
    /// kept are the root, open inodes, and everything named by a volatile or a durable entry
    /// of a kept directory.
    fn gc(&mut self) {
        let mut live = HashSet::new();
        let mut queue: Vec<u64> = vec![ROOT];
        queue.extend(
            self.inodes
                .iter()
                .filter(|(_, inode)| inode.open > 0)
                .map(|(&ino, _)| ino),
        );
        while let Some(ino) = queue.pop() {
            if !live.insert(ino) {
                continue;
            }
            if let Some(Inode {
                body: Body::Dir {
                    entries, durable, ..
                },
                ..
            }) = self.inodes.get(&ino)
            {
                queue.extend(entries.values().chain(durable.values()));
            }
        }
        self.inodes.retain(|ino, _| live.contains(ino));
    }

    /// What a power cut now would leave: for each directory reachable from the root through
    /// durable entries, the entries it keeps. A directory reached a second time (possible only
    /// after a rename between directories of which just one was fsynced) keeps its first name
    /// in breadth-first order (names sorted within a directory); the later names are dropped.
    fn durable_tree(&self) -> HashMap<u64, BTreeMap<OsString, u64>> {
        let mut tree = HashMap::new();
        let mut seen = HashSet::from([ROOT]);
        let mut queue = VecDeque::from([ROOT]);
        while let Some(dir) = queue.pop_front() {
            let mut kept = BTreeMap::new();
            if let Some(Inode {
                body: Body::Dir { durable, .. },
                ..
            }) = self.inodes.get(&dir)
            {
                for (name, &child) in durable {
                    let Some(inode) = self.inodes.get(&child) else {
                        continue;
                    };
                    if inode.is_dir() {
                        if !seen.insert(child) {
                            continue;
                        }
                        queue.push_back(child);
                    }
                    kept.insert(name.clone(), child);
                }
            }
            tree.insert(dir, kept);
        }
        tree
    }

    /// The power cut: every inode reverts to its durable state, inodes no durable entry
    /// reaches vanish, and every open handle is forgotten (the FUSE side answers `EIO` to the
    /// sessions of earlier epochs).
    pub(crate) fn cut_power(&mut self) {
        let tree = self.durable_tree();
        let mut names: HashMap<u64, u32> = HashMap::new();
        for kept in tree.values() {
            for &child in kept.values() {
                *names.entry(child).or_default() += 1;
            }
        }
        self.inodes
            .retain(|ino, _| *ino == ROOT || names.contains_key(ino));
        let mut parents = HashMap::new();
        for (&dir, kept) in &tree {
            for &child in kept.values() {
                parents.insert(child, dir);
            }
        }
        let subdirs: HashMap<u64, u32> = tree
            .iter()
            .map(|(&dir, kept)| {
                let n = kept
                    .values()
                    .filter(|child| tree.contains_key(child))
                    .count();
                (dir, u32::try_from(n).unwrap_or(u32::MAX))
            })
            .collect();
        for (&ino, inode) in &mut self.inodes {
            inode.meta = inode.durable_meta;
            inode.open = 0;
            inode.dirty = false;
            match &mut inode.body {
                Body::File { data, durable } => {
                    data.clone_from(durable);
                    inode.nlink = names.get(&ino).copied().unwrap_or(0);
                }
                Body::Dir {
                    entries,
                    durable,
                    parent,
                } => {
                    let kept = tree.get(&ino).cloned().unwrap_or_default();
                    entries.clone_from(&kept);
                    *durable = kept;
                    *parent = parents.get(&ino).copied().unwrap_or(ROOT);
                    inode.nlink = 2 + subdirs.get(&ino).copied().unwrap_or(0);
                }
                Body::Symlink { .. } => {
                    inode.nlink = names.get(&ino).copied().unwrap_or(0);
                }
            }
        }
        self.handles.clear();
        self.epoch += 1;
        self.power_cuts += 1;
    }

    pub(crate) fn stats(&self) -> Stats {
        let tree = self.durable_tree();
        let durable_files: HashSet<u64> = tree
            .values()
            .flat_map(|kept| kept.values())
            .copied()
            .collect();
        let durable_bytes = durable_files
            .iter()
            .filter_map(|ino| match &self.inodes.get(ino)?.body {
                Body::File { durable, .. } => Some(to_u64(durable.len())),
                _ => None,
            })
            .sum();
        let visible = || self.inodes.values().filter(|inode| inode.visible());
        Stats {
            volatile_bytes: self.used(),
            durable_bytes,
            unsynced_files: visible()
                .filter(|inode| inode.dirty && matches!(inode.body, Body::File { .. }))
                .count(),
            unsynced_dirs: visible()
                .filter(|inode| inode.dirty && inode.is_dir())
                .count(),
            fsync_calls: self.fsync_calls,
            fsyncdir_calls: self.fsyncdir_calls,
            power_cuts: self.power_cuts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model::new(0o755, 0, 0)
    }

    fn file(m: &mut Model, parent: u64, name: &str, data: &[u8]) -> u64 {
        let ino = m.mknod(parent, name.as_ref(), 0o644, 0, 0).unwrap().ino.0;
        m.write(ino, 0, data).unwrap();
        ino
    }

    fn content(m: &Model, parent: u64, name: &str) -> Option<Vec<u8>> {
        let ino = m.child(parent, name.as_ref()).ok()?;
        Some(m.read(ino, 0, u32::MAX).unwrap().to_vec())
    }

    #[test]
    fn a_file_needs_its_data_and_its_name_synced() {
        let mut m = model();
        let a = file(&mut m, ROOT, "a", b"alpha");
        file(&mut m, ROOT, "b", b"beta");
        m.fsync(a).unwrap();
        m.cut_power();
        assert_eq!(content(&m, ROOT, "a"), None, "a's name was never fsynced");

        let a = file(&mut m, ROOT, "a", b"alpha");
        file(&mut m, ROOT, "b", b"beta");
        m.fsync(a).unwrap();
        m.fsyncdir(ROOT).unwrap();
        m.cut_power();
        assert_eq!(content(&m, ROOT, "a").as_deref(), Some(&b"alpha"[..]));
        assert_eq!(
            content(&m, ROOT, "b").as_deref(),
            Some(&b""[..]),
            "named but never fsynced"
        );
    }

    #[test]
    fn a_rename_between_directories_needs_both_fsynced() {
        let mut m = model();
        let d1 = m.mkdir(ROOT, "d1".as_ref(), 0o755, 0, 0).unwrap().ino.0;
        let d2 = m.mkdir(ROOT, "d2".as_ref(), 0o755, 0, 0).unwrap().ino.0;
        let f = file(&mut m, d1, "f", b"x");
        m.fsync(f).unwrap();
        for dir in [d1, d2, ROOT] {
            m.fsyncdir(dir).unwrap();
        }
        m.rename(d1, "f".as_ref(), d2, "g".as_ref(), RenameFlags::empty())
            .unwrap();
        m.fsyncdir(d2).unwrap();
        m.cut_power();
        // Only the target was fsynced: the file is under both names (two links).
        assert_eq!(content(&m, d1, "f").as_deref(), Some(&b"x"[..]));
        assert_eq!(content(&m, d2, "g").as_deref(), Some(&b"x"[..]));
        assert_eq!(m.attr(f).unwrap().nlink, 2);

        m.rename(d2, "g".as_ref(), ROOT, "h".as_ref(), RenameFlags::empty())
            .unwrap();
        m.unlink(d1, "f".as_ref()).unwrap();
        m.fsyncdir(d2).unwrap();
        m.fsyncdir(d1).unwrap();
        m.cut_power();
        // Only the source was fsynced: the file is gone.
        assert!(!m.inodes.contains_key(&f));
        assert_eq!(m.stats().durable_bytes, 0);
    }

    #[test]
    fn a_directory_reached_twice_keeps_its_first_name() {
        let mut m = model();
        let a = m.mkdir(ROOT, "a".as_ref(), 0o755, 0, 0).unwrap().ino.0;
        let b = m.mkdir(a, "b".as_ref(), 0o755, 0, 0).unwrap().ino.0;
        m.fsyncdir(a).unwrap();
        m.fsyncdir(ROOT).unwrap();
        // Move b up to the root and a into b; fsync only the root and b.
        m.rename(a, "b".as_ref(), ROOT, "b".as_ref(), RenameFlags::empty())
            .unwrap();
        m.fsyncdir(ROOT).unwrap();
        m.rename(ROOT, "a".as_ref(), b, "a".as_ref(), RenameFlags::empty())
            .unwrap();
        m.fsyncdir(b).unwrap();
        m.cut_power();
        // Durably: root → {a, b}, a → {b}, b → {a}: a loop, cut at the second visit.
        assert_eq!(m.child(ROOT, "a".as_ref()), Ok(a));
        assert_eq!(m.child(ROOT, "b".as_ref()), Ok(b));
        assert!(m.entries(a).unwrap().is_empty());
        assert!(m.entries(b).unwrap().is_empty());
        assert_eq!(m.attr(ROOT).unwrap().nlink, 4);
    }

    #[test]
    fn capacity_allows_a_short_write_then_enospc() {
        let mut m = model();
        m.set_capacity(Some(10));
        let f = file(&mut m, ROOT, "f", b"12345678");
        assert_eq!(m.write(f, 8, b"abcd"), Ok(2));
        assert_eq!(m.write(f, 10, b"x"), Err(Errno::ENOSPC));
        assert_eq!(m.write(f, 0, b"ab"), Ok(2), "overwriting needs no space");
        assert_eq!(
            m.setattr(f, None, None, None, Some(11), None, None).err(),
            Some(Errno::ENOSPC)
        );
        assert_eq!(m.fallocate(f, 0, 20, 0), Err(Errno::ENOSPC));
        m.unlink(ROOT, "f".as_ref()).unwrap();
        assert_eq!(
            m.stats().volatile_bytes,
            0,
            "an unlinked file frees its space"
        );
    }

    #[test]
    fn an_unlinked_file_with_a_durable_name_comes_back() {
        let mut m = model();
        let f = file(&mut m, ROOT, "f", b"kept");
        m.fsync(f).unwrap();
        m.fsyncdir(ROOT).unwrap();
        m.unlink(ROOT, "f".as_ref()).unwrap();
        assert!(m.inodes.contains_key(&f), "kept for its durable name");
        m.cut_power();
        assert_eq!(content(&m, ROOT, "f").as_deref(), Some(&b"kept"[..]));
        m.unlink(ROOT, "f".as_ref()).unwrap();
        m.fsyncdir(ROOT).unwrap();
        assert!(!m.inodes.contains_key(&f), "no name left anywhere");
    }

    #[test]
    fn rename_flags() {
        let mut m = model();
        file(&mut m, ROOT, "a", b"A");
        file(&mut m, ROOT, "b", b"B");
        let (a, b) = ("a".as_ref(), "b".as_ref());
        assert_eq!(
            m.rename(ROOT, a, ROOT, b, RenameFlags::RENAME_NOREPLACE),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            m.rename(ROOT, a, ROOT, b, RenameFlags::RENAME_WHITEOUT),
            Err(Errno::EINVAL)
        );
        m.rename(ROOT, a, ROOT, b, RenameFlags::RENAME_EXCHANGE)
            .unwrap();
        assert_eq!(content(&m, ROOT, "a").as_deref(), Some(&b"B"[..]));
        assert_eq!(content(&m, ROOT, "b").as_deref(), Some(&b"A"[..]));
    }

    #[test]
    fn a_directory_cannot_move_into_itself() {
        let mut m = model();
        let d = m.mkdir(ROOT, "d".as_ref(), 0o755, 0, 0).unwrap().ino.0;
        let e = m.mkdir(d, "e".as_ref(), 0o755, 0, 0).unwrap().ino.0;
        assert_eq!(
            m.rename(ROOT, "d".as_ref(), e, "d".as_ref(), RenameFlags::empty()),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn read_only_refuses_every_change() {
        let mut m = model();
        let f = file(&mut m, ROOT, "f", b"x");
        m.set_read_only(true);
        assert_eq!(m.write(f, 0, b"y"), Err(Errno::EROFS));
        assert_eq!(
            m.mknod(ROOT, "g".as_ref(), 0o644, 0, 0).err(),
            Some(Errno::EROFS)
        );
        assert_eq!(m.unlink(ROOT, "f".as_ref()), Err(Errno::EROFS));
        assert_eq!(m.fsync(f), Err(Errno::EROFS));
        assert_eq!(m.open(f, libc::O_WRONLY).err(), Some(Errno::EROFS));
        assert!(m.open(f, libc::O_RDONLY).is_ok());
        assert_eq!(m.read(f, 0, 10), Ok(&b"x"[..]));
    }
}
