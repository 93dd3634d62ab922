//! The only Rust code that knows Python: convert inputs, release the GIL, map errors.
//!
//! Every array function follows one shape: `PyReadonlyArray2<f64>` -> `.as_array()`
//! (no copy) -> [`run_detached`] (GIL released, `CoreError` -> Python exception,
//! panic -> `SegwiseInternalError`) -> `.into_pyarray(py)` (a move, not a copy).
//!
//! Conventions:
//! * Kernels that run on float32 or float64 are ONE Python function taking either dtype:
//!   the argument is a [`FloatArray2`] and [`dispatch_float!`] makes the one `match` on
//!   the dtype, calling a Rust function generic over [`Float`](crate::core::numerics::Float).
//! * Any function with more than three parameters takes them as keywords after the data
//!   (`#[pyo3(signature = (x, *, ...))]`): call sites name every setting.
//! * Long work takes an [`Interrupt`] through [`run_interruptible`] and checks it in its
//!   loops, so Ctrl-C stops it; work whose cost grows with the input goes through
//!   [`run_sized`] (the same, or on the calling thread when the input is small; a fit
//!   through [`run_fit`], bounded by its passes); every
//!   other call goes through [`run_detached`].
//! * Exports used only by tests live in the `_core._testing` submodule ([`testing`]).

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;

use crate::core::{CoreError, CoreResult, Interrupt};

mod abtest;
mod agreement;
mod bootstrap;
mod choose_k;
mod clv;
mod dbscan;
mod distance;
mod drift;
mod kmeans;
mod kmedoids;
mod kprototypes;
mod metrics;
mod profile;
mod rfm;
mod scaling;
mod selection;
mod testing;

/// A read-only 2-D array of float64 or float32, whichever numpy hands us: the one dtype
/// dispatch of the bindings (see [`dispatch_float!`]).
#[derive(FromPyObject)]
pub enum FloatArray2<'py> {
    /// float64 data.
    F64(numpy::PyReadonlyArray2<'py, f64>),
    /// float32 data.
    F32(numpy::PyReadonlyArray2<'py, f32>),
}

/// A writable 2-D array of float64 or float32 (an output buffer the caller allocated),
/// matched by [`dispatch_float!`] as `dispatch_float!(FloatArrayMut2; out, o: F => ...)`.
#[derive(FromPyObject)]
pub enum FloatArrayMut2<'py> {
    /// float64 buffer.
    F64(numpy::PyReadwriteArray2<'py, f64>),
    /// float32 buffer.
    F32(numpy::PyReadwriteArray2<'py, f32>),
}

/// `match` a [`FloatArray2`] (or, with a leading `FloatArrayMut2;`, a [`FloatArrayMut2`])
/// once: `$x` is bound to the typed array and `$F` to its element type inside `$body`
/// (typically a call of a function generic over `Float`).
macro_rules! dispatch_float {
    ($kind:ident; $array:expr, $x:ident: $F:ident => $body:expr) => {
        match $array {
            $crate::bindings::$kind::F64($x) => {
                type $F = f64;
                $body
            }
            $crate::bindings::$kind::F32($x) => {
                type $F = f32;
                $body
            }
        }
    };
    ($array:expr, $x:ident: $F:ident => $body:expr) => {
        $crate::bindings::dispatch_float!(FloatArray2; $array, $x: $F => $body)
    };
}
pub(crate) use dispatch_float;

/// A read-only 1-D array of float64 or float32: the stored values of a scipy sparse
/// matrix (see [`with_csr!`]).
#[derive(FromPyObject)]
pub enum FloatArray1<'py> {
    /// float64 data.
    F64(numpy::PyReadonlyArray1<'py, f64>),
    /// float32 data.
    F32(numpy::PyReadonlyArray1<'py, f32>),
}

/// The checked [`CsrView`](crate::core::numerics::CsrView) of a scipy CSR matrix handed
/// over as its three arrays (the indices as int64) and its shape. Nothing is copied.
pub fn csr_view<'a, F: crate::core::numerics::Float + numpy::Element>(
    shape: (usize, usize),
    indptr: &'a [i64],
    indices: &'a [i64],
    data: &'a numpy::PyReadonlyArray1<'_, F>,
    finite: crate::core::numerics::Finite,
) -> PyResult<crate::core::numerics::CsrView<'a, F>> {
    crate::core::numerics::CsrView::new(shape.0, shape.1, indptr, indices, data.as_slice()?, finite)
        .map_err(to_py_err)
}

/// The one sparse entry of the bindings: `$x` is bound to the [`csr_view`] of the CSR
/// matrix `($data, $indices, $indptr, $shape)` (data float64 or float32, element type
/// `$F`) inside `$body`, checked once.
macro_rules! with_csr {
    (($data:expr, $indices:expr, $indptr:expr, $shape:expr, $finite:expr), $x:ident: $F:ident => $body:expr) => {{
        let (indices, indptr) = ($indices.as_slice()?, $indptr.as_slice()?);
        match $data {
            $crate::bindings::FloatArray1::F64(data) => {
                type $F = f64;
                let $x = $crate::bindings::csr_view($shape, indptr, indices, &data, $finite)?;
                $body
            }
            $crate::bindings::FloatArray1::F32(data) => {
                type $F = f32;
                let $x = $crate::bindings::csr_view($shape, indptr, indices, &data, $finite)?;
                $body
            }
        }
    }};
}
pub(crate) use with_csr;

/// The slice of an optional 1-D array (e.g. sample weights), which must be contiguous.
pub fn contiguous<'a, T>(
    a: &'a Option<numpy::ndarray::ArrayView1<'_, T>>,
    name: &'static str,
) -> CoreResult<Option<&'a [T]>> {
    match a {
        Some(a) => Ok(Some(a.as_slice().ok_or_else(|| {
            CoreError::InvalidParameter {
                name,
                reason: "must be contiguous".into(),
            }
        })?)),
        None => Ok(None),
    }
}

// The exception hierarchy lives in Python (`segwise/exceptions.py`) so it carries
// docstrings and mixes in TypeError/AttributeError where scikit-learn expects them.
pyo3::import_exception!(segwise.exceptions, SegwiseInternalError);
pyo3::import_exception!(segwise.exceptions, InvalidParameterError);
pyo3::import_exception!(segwise.exceptions, EmptyInputError);
pyo3::import_exception!(segwise.exceptions, NotEnoughSamplesError);
pyo3::import_exception!(segwise.exceptions, ShapeMismatchError);
pyo3::import_exception!(segwise.exceptions, NonFiniteError);
pyo3::import_exception!(segwise.exceptions, InvalidWeightsError);
pyo3::import_exception!(segwise.exceptions, AllocationError);

/// Map each core error variant to its own Python exception class.
pub fn to_py_err(err: CoreError) -> PyErr {
    let msg = err.to_string();
    match err {
        CoreError::EmptyInput(_) => EmptyInputError::new_err(msg),
        CoreError::InvalidParameter { .. } => InvalidParameterError::new_err(msg),
        CoreError::NotEnoughSamples { .. } => NotEnoughSamplesError::new_err(msg),
        CoreError::ShapeMismatch { .. } => ShapeMismatchError::new_err(msg),
        CoreError::NonFinite(_) => NonFiniteError::new_err(msg),
        CoreError::InvalidWeights(_) => InvalidWeightsError::new_err(msg),
        CoreError::Allocation { .. } => AllocationError::new_err(msg),
        // Only reached when the work stopped without a signal handler having raised.
        CoreError::Interrupted => pyo3::exceptions::PyKeyboardInterrupt::new_err(msg),
        CoreError::Internal(_) => SegwiseInternalError::new_err(msg),
    }
}

/// How often the waiting thread looks for Ctrl-C while the work runs.
const SIGNAL_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Run core work that does not check for a stop (short calls) with the GIL released, on
/// the calling thread: no worker thread to start, so a one-row call costs microseconds.
/// Ctrl-C during it is raised by Python as soon as it returns. Errors and panics map as
/// in [`run_interruptible`].
pub fn run_detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: FnOnce() -> CoreResult<T> + Send,
    T: Send,
{
    finish(py.detach(|| catch_unwind(AssertUnwindSafe(work))))
}

/// Run core work with the GIL released, stoppable with Ctrl-C: the one interruption
/// mechanism of the bindings.
///
/// The work runs on a worker thread of [`workers`] and receives an [`Interrupt`]. The
/// calling thread waits for it and, every [`SIGNAL_POLL`], takes the GIL for a moment to
/// run Python's signal handlers (`PyErr_CheckSignals`; they only run on the main thread).
/// When a handler raises (`KeyboardInterrupt` for Ctrl-C), the interrupt is requested,
/// the work stops at its next [`Interrupt::check`] (long kernels check at least every
/// ~0.1 s of work), and the handler's exception is raised once the work has returned:
/// nothing keeps running in the background. Errors become typed Python exceptions and
/// a stray panic becomes `SegwiseInternalError` instead of pyo3's `PanicException`.
pub fn run_interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: FnOnce(&Interrupt) -> CoreResult<T> + Send,
    T: Send,
{
    let stop = Interrupt::new();
    let (outcome, signal) = py.detach(|| {
        let (done, finished) = std::sync::mpsc::sync_channel(1);
        let token = stop.clone();
        let running = workers::start(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| work(&token)));
            // The receiver lives until the job has ended (see `workers::Running`).
            let _ = done.send(outcome);
        });
        let mut running = match running {
            Ok(running) => running,
            Err(e) => {
                let err = CoreError::Internal(format!("cannot start a worker thread: {e}"));
                return (Ok(Err(err)), None);
            }
        };
        let mut signal: Option<PyErr> = None;
        while !running.wait(SIGNAL_POLL) {
            if signal.is_none() {
                if let Err(err) = Python::attach(|py| py.check_signals()) {
                    stop.request();
                    signal = Some(err);
                }
            }
        }
        let outcome = finished.try_recv().unwrap_or_else(|_| {
            Ok(Err(CoreError::Internal(
                "the worker thread vanished".into(),
            )))
        });
        (outcome, signal)
    });
    if let Some(err) = signal {
        // The handler already ran: its exception is the call's outcome, whatever the work
        // returned meanwhile.
        return Err(err);
    }
    finish(outcome)
}

/// Persistent worker threads for [`run_interruptible`]: a call takes an idle one, or
/// starts one when all are busy (so calls from several Python threads run side by side
/// and none waits for another); a thread goes back to the idle list when its job is done.
/// Starting a thread per call cost 0.1-0.5 ms (thread start, fresh stack and malloc
/// arena), as much as a whole k-means fit of a bootstrap resample.
mod workers {
    use std::sync::mpsc::{channel, sync_channel, Receiver, RecvTimeoutError, Sender, SyncSender};
    use std::sync::Mutex;
    use std::time::Duration;

    /// A job with its borrows erased (see [`start`]) and the signal sent once it is gone.
    type Job = (Box<dyn FnOnce() + Send + 'static>, SyncSender<()>);

    /// Idle threads kept at most; more finish when their job is done.
    const MAX_IDLE: usize = 8;

    /// The idle threads' job queues, and the process they belong to (a child made by
    /// `fork` has none of its parent's threads: it starts its own).
    static IDLE: Mutex<(u32, Vec<Sender<Job>>)> = Mutex::new((0, Vec::new()));

    /// A job handed to a worker: [`Running::wait`] until it is over. Dropping it also
    /// waits, so borrowed data outlives the job even if the caller unwinds.
    pub struct Running {
        gone: Receiver<()>,
        over: bool,
    }

    impl Running {
        /// Whether the job is over (run and dropped), waiting at most `timeout`.
        pub fn wait(&mut self, timeout: Duration) -> bool {
            if !self.over {
                // Ok: the signal; Disconnected: its sender is gone, which only happens
                // once the job is.
                self.over = !matches!(
                    self.gone.recv_timeout(timeout),
                    Err(RecvTimeoutError::Timeout)
                );
            }
            self.over
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            if !self.over {
                let _ = self.gone.recv();
            }
        }
    }

    /// Run `job` on a worker thread; it may borrow from the caller's stack.
    pub fn start<'a>(job: impl FnOnce() + Send + 'a) -> std::io::Result<Running> {
        let job: Box<dyn FnOnce() + Send + 'a> = Box::new(job);
        // SAFETY: only the lifetime changes. The job is called or dropped before the
        // signal of its `Running` is sent or its sender dropped, and `Running` neither
        // reports the job over nor drops before then: the caller's borrows outlive every
        // use of them, as with `std::thread::scope`.
        let job = unsafe {
            std::mem::transmute::<Box<dyn FnOnce() + Send + 'a>, Box<dyn FnOnce() + Send + 'static>>(
                job,
            )
        };
        let (gone_tx, gone) = sync_channel(1);
        let mut job: Job = (job, gone_tx);
        loop {
            let idle = {
                let mut list = IDLE.lock().unwrap_or_else(|e| e.into_inner());
                let pid = std::process::id();
                if list.0 != pid {
                    *list = (pid, Vec::new());
                }
                list.1.pop()
            };
            let Some(queue) = idle else { break };
            match queue.send(job) {
                Ok(()) => return Ok(Running { gone, over: false }),
                Err(back) => job = back.0, // that thread has finished: try another
            }
        }
        let (queue, jobs) = channel::<Job>();
        // The receiver is alive (just made): cannot fail.
        let _ = queue.send(job);
        // On a failed spawn the job (inside the closure) is dropped, then its signal's
        // sender: `Running` sees the job over without a result.
        std::thread::Builder::new()
            .name("segwise-work".into())
            // The main thread's default: the kernels were written against it.
            .stack_size(8 << 20)
            .spawn(move || serve(queue, jobs))?;
        Ok(Running { gone, over: false })
    }

    /// A worker thread: run jobs, back on the idle list after each (before signalling, so
    /// the caller's next call finds it), until [`MAX_IDLE`] threads are idle already.
    fn serve(queue: Sender<Job>, jobs: Receiver<Job>) {
        while let Ok((job, gone)) = jobs.recv() {
            // Jobs catch their own panics; this keeps the rule that the job is gone
            // before the signal even if one did not.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            let stay = {
                let mut list = IDLE.lock().unwrap_or_else(|e| e.into_inner());
                let stay = list.1.len() < MAX_IDLE;
                if stay {
                    list.1.push(queue.clone());
                }
                stay
            };
            let _ = gone.send(());
            if !stay {
                return;
            }
        }
    }
}

/// Work (in input cells: rows x columns, values, customers...) below which
/// [`run_sized`] runs on the calling thread: at most a few milliseconds, far below the
/// ~0.2 s after which a call must answer Ctrl-C, and a one-row call keeps costing
/// microseconds instead of a hand-over to a worker thread.
pub const DETACHED_CELLS: usize = 1 << 16;

/// The same bound for a fit, in distance terms (rows x columns x centres, summed over
/// every pass its restarts can make, see [`fit_terms`]): 2^26 terms are about 20 ms of
/// full Lloyd passes on one core, and most fits stop long before their bound. A small
/// fit then costs its arithmetic, not the ~70 µs of two thread wake-ups (this virtual
/// machine) that a hand-over costs: a bootstrap of 200-row fits is dominated by them.
pub const DETACHED_TERMS: usize = 1 << 26;

/// The most distance terms `restarts` runs of a centre-based fit of `x` (`cells` =
/// rows x columns) with `k` centres can compute: seeding (k-means++ with its greedy
/// trials, about `2 + ln k` passes) plus `max_iter` passes each. Saturates.
pub fn fit_terms(cells: usize, k: usize, restarts: usize, max_iter: usize) -> usize {
    let seeding = 3 + k.max(1).ilog2() as usize;
    cells
        .saturating_mul(k)
        .saturating_mul(restarts)
        .saturating_mul(max_iter.saturating_add(seeding))
}

/// [`run_interruptible`] for work sized by its input (`cells`), or, when it is at most
/// [`DETACHED_CELLS`], [`run_detached`] with a token that is never requested: the one
/// way a binding whose cost grows with the data chooses.
pub fn run_sized<T, F>(py: Python<'_>, cells: usize, work: F) -> PyResult<T>
where
    F: FnOnce(&Interrupt) -> CoreResult<T> + Send,
    T: Send,
{
    if cells <= DETACHED_CELLS {
        run_detached(py, || work(&Interrupt::new()))
    } else {
        run_interruptible(py, work)
    }
}

/// [`run_sized`] for a fit bounded by `terms` ([`fit_terms`], [`DETACHED_TERMS`]). A
/// larger fit runs on a thread of the rayon pool (entered once): its parallel loops, one
/// or more per iteration, then share their work among the pool's threads directly,
/// where from outside the pool each loop hands its work over and waits for it (two
/// thread wake-ups per loop, tens of microseconds on this virtual machine).
pub fn run_fit<T, F>(py: Python<'_>, terms: usize, work: F) -> PyResult<T>
where
    F: FnOnce(&Interrupt) -> CoreResult<T> + Send,
    T: Send,
{
    if terms <= DETACHED_TERMS {
        run_detached(py, || work(&Interrupt::new()))
    } else {
        run_interruptible(py, |stop| rayon::scope(|_| work(stop)))
    }
}

/// The Python outcome of core work: its result, its error as a typed exception, or a
/// stray panic as `SegwiseInternalError` (never pyo3's `PanicException`).
fn finish<T>(outcome: std::thread::Result<CoreResult<T>>) -> PyResult<T> {
    match outcome {
        Ok(result) => result.map_err(to_py_err),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(SegwiseInternalError::new_err(format!(
                "internal error in segwise core (please report): {what}"
            )))
        }
    }
}

/// Run `work` in a dedicated rayon pool of `n_threads` threads, or in the global pool
/// (tests use it to show results do not depend on the number of threads).
pub fn with_threads<T: Send>(
    n_threads: Option<usize>,
    work: impl FnOnce() -> CoreResult<T> + Send,
) -> CoreResult<T> {
    match n_threads {
        None => work(),
        Some(0) => Err(CoreError::InvalidParameter {
            name: "n_threads",
            reason: "must be >= 1".into(),
        }),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| CoreError::Internal(format!("thread pool: {e}")))?
            .install(work),
    }
}

/// Number of threads rayon uses (set by `RAYON_NUM_THREADS` before the first call).
#[pyfunction]
fn current_num_threads() -> usize {
    rayon::current_num_threads()
}

#[pymodule]
#[pyo3(name = "_core")]
fn segwise_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(current_num_threads, m)?)?;
    scaling::register(m)?;
    kmeans::register(m)?;
    kprototypes::register(m)?;
    dbscan::register(m)?;
    metrics::register(m)?;
    rfm::register(m)?;
    abtest::register(m)?;
    agreement::register(m)?;
    bootstrap::register(m)?;
    choose_k::register(m)?;
    clv::register(m)?;
    drift::register(m)?;
    profile::register(m)?;
    selection::register(m)?;
    distance::register(m)?;
    kmedoids::register(m)?;
    testing::register(m)?;
    Ok(())
}
