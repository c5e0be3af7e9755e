//! The camera's own thread. A `nokhwa::Camera` is created, used and dropped on it; the driver
//! sends it jobs and waits for each answer with a deadline. nokhwa's `frame()` blocks until the
//! device delivers (V4L2 polls without a timeout), so a camera that stops sending must cost the
//! caller its deadline, never a hang.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use nokhwa::{Camera, NokhwaError};

use crate::source::CameraSource;

type Job = Box<dyn FnOnce(&mut Camera) + Send>;

/// Why a call got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stalled {
    /// The deadline passed: the camera thread is still busy (probably blocked in the device).
    Timeout,
    /// The camera thread has ended.
    Gone,
}

/// The handle on the camera's thread.
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: Option<Sender<Job>>,
    ended: Receiver<()>,
}

impl Worker {
    /// Starts the thread and opens `source` on it. Returns the worker once the camera is open;
    /// the opening error; or `Stalled::Timeout` if opening took longer than `timeout`.
    pub(crate) fn start<S: CameraSource>(
        source: S,
        timeout: Duration,
    ) -> Result<Result<Worker, NokhwaError>, Stalled> {
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let (opened_tx, opened_rx) = mpsc::sync_channel::<Result<(), NokhwaError>>(1);
        let (ended_tx, ended_rx) = mpsc::sync_channel::<()>(1);
        let name = format!("camera {}", source.port());
        let spawned = thread::Builder::new()
            .name(name)
            .spawn(move || run(source, jobs_rx, opened_tx, ended_tx));
        if spawned.is_err() {
            return Err(Stalled::Gone);
        }
        match opened_rx.recv_timeout(timeout) {
            Ok(Ok(())) => Ok(Ok(Worker {
                jobs: Some(jobs_tx),
                ended: ended_rx,
            })),
            Ok(Err(e)) => Ok(Err(e)),
            Err(RecvTimeoutError::Timeout) => Err(Stalled::Timeout),
            Err(RecvTimeoutError::Disconnected) => Err(Stalled::Gone),
        }
    }

    /// Runs `f` on the camera and waits up to `timeout` for its result. A job whose caller has
    /// given up by the time the thread reaches it is skipped.
    pub(crate) fn call<T, F>(&self, timeout: Duration, f: F) -> Result<T, Stalled>
    where
        T: Send + 'static,
        F: FnOnce(&mut Camera) -> T + Send + 'static,
    {
        let Some(jobs) = &self.jobs else {
            return Err(Stalled::Gone);
        };
        let (tx, rx): (SyncSender<T>, Receiver<T>) = mpsc::sync_channel(1);
        let deadline = Instant::now() + timeout;
        let job: Job = Box::new(move |cam| {
            if Instant::now() >= deadline {
                tracing::trace!("skipping a camera job whose caller gave up");
                return;
            }
            let _ = tx.send(f(cam));
        });
        jobs.send(job).map_err(|_| Stalled::Gone)?;
        match rx.recv_timeout(timeout) {
            Ok(v) => Ok(v),
            Err(RecvTimeoutError::Timeout) => Err(Stalled::Timeout),
            // The job was dropped unanswered: skipped at its deadline, or it panicked.
            Err(RecvTimeoutError::Disconnected)
                if Instant::now() + Duration::from_millis(20) >= deadline =>
            {
                Err(Stalled::Timeout)
            }
            Err(RecvTimeoutError::Disconnected) => Err(Stalled::Gone),
        }
    }

    /// Ends the thread: it stops the stream and drops the camera once its current job is done.
    /// Waits up to `timeout` for that, then leaves the thread to finish on its own.
    pub(crate) fn stop(&mut self, timeout: Duration) {
        if self.jobs.take().is_some() && self.ended.recv_timeout(timeout).is_err() {
            tracing::warn!(
                "the camera thread is still blocked in the device; it will release the camera when the device answers"
            );
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(2));
    }
}

fn run<S: CameraSource>(
    source: S,
    jobs: Receiver<Job>,
    opened: SyncSender<Result<(), NokhwaError>>,
    ended: SyncSender<()>,
) {
    let port = source.port();
    let mut cam = match catch_unwind(AssertUnwindSafe(|| source.open())) {
        Ok(Ok(cam)) => cam,
        Ok(Err(e)) => {
            let _ = opened.send(Err(e));
            return;
        }
        Err(_) => {
            let _ = opened.send(Err(NokhwaError::GeneralError(
                "the camera backend panicked while opening".into(),
            )));
            return;
        }
    };
    let _ = opened.send(Ok(()));
    while let Ok(job) = jobs.recv() {
        // A panic inside nokhwa or a backend loses this job's answer (the caller hears that
        // the thread failed), not the camera.
        if catch_unwind(AssertUnwindSafe(|| job(&mut cam))).is_err() {
            tracing::error!(port = %port, "a camera operation panicked inside nokhwa or its backend");
        }
    }
    // nokhwa's Camera::drop unwraps stop_stream(); stop first so that a failure is logged, and
    // keep a panic in drop from escaping the thread.
    if let Err(e) = cam.stop_stream() {
        tracing::warn!(port = %port, error = %e, "stopping the camera stream failed");
    }
    if catch_unwind(AssertUnwindSafe(move || drop(cam))).is_err() {
        tracing::warn!(port = %port, "releasing the camera panicked inside nokhwa");
    }
    let _ = ended.send(());
}
