//! Dropping large values on a background thread.
//!
//! After an edit, salsa frees what the previous revision computed when a query runs again:
//! a resolved model of 100,000 grants, a plan of 150,000 statements, the roles of every
//! chunk. Freeing them is most of the time an edit costs beyond the work itself, and nobody
//! waits for it: the values whose `Drop` calls [`drop_elsewhere`] are freed by one thread
//! that does nothing else, while the edit's diagnostics are computed.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

type Garbage = Box<dyn Send>;

/// Hands `value` to the dropping thread (started on first use); drops it here if that thread
/// cannot be started.
pub fn drop_elsewhere<T: Send + 'static>(value: T) {
    static SENDER: OnceLock<Option<Mutex<Sender<Garbage>>>> = OnceLock::new();
    let sender = SENDER.get_or_init(|| {
        let (send, receive) = channel::<Garbage>();
        let started =
            std::thread::Builder::new().name("rolec-drop".into()).spawn(move || receive.into_iter().for_each(drop));
        started.ok().map(|_| Mutex::new(send))
    });
    match sender {
        Some(s) => {
            let s = s.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(returned) = s.send(Box::new(value)) {
                drop(returned.0);
            }
        }
        None => drop(value),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct Flag(Arc<AtomicBool>);

    impl Drop for Flag {
        fn drop(&mut self) {
            assert_eq!(std::thread::current().name(), Some("rolec-drop"), "dropped on the dropping thread");
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_value_is_dropped_on_the_dropping_thread() {
        let dropped = Arc::new(AtomicBool::new(false));
        super::drop_elsewhere(Flag(dropped.clone()));
        let start = std::time::Instant::now();
        while !dropped.load(Ordering::SeqCst) {
            assert!(start.elapsed() < std::time::Duration::from_secs(10), "never dropped");
            std::thread::yield_now();
        }
    }
}
