//! Order-preserving parallel map over the machine's cores. Rendering, hashing and comparing
//! thousands of files is most of a pre-commit run, and every job is independent.

/// `f` applied to every item, results in input order.
///
/// Workers take small blocks of items from a shared counter instead of one equal share each:
/// items differ in cost (a job with many manifests, a cache record with many outputs), and on
/// a busy machine one worker may stall, so an equal split would leave the other idle.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    // Eight blocks per worker: enough to even out, few enough to keep the counter cold.
    let block = items.len().div_ceil(threads * 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(part) = items.chunks(block).nth(b) else {
                return done;
            };
            done.push((b, part.iter().map(&f).collect()));
        }
    };
    let mut blocks = std::thread::scope(|s| {
        // The calling thread works too: one thread fewer to start per call.
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            all.extend(h.join().expect("worker threads do not panic"));
        }
        all
    });
    blocks.sort_unstable_by_key(|(b, _)| *b);
    blocks.into_iter().flat_map(|(_, r)| r).collect()
}

/// The cores this process may use, asked once: the standard library reads the cgroup's CPU
/// quota files on every call, and a render maps a dozen times.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        for n in [0, 1, 2, 3, 15, 16, 17, 1000, 1001] {
            let v: Vec<u32> = (0..n).collect();
            assert_eq!(
                super::map(&v, |x| x * 2),
                v.iter().map(|x| x * 2).collect::<Vec<_>>(),
                "{n} items"
            );
        }
    }
}
