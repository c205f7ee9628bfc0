// The analysis allocates and frees many small values on several threads; mimalloc does so
// with less contention than the system allocator (a re-analysis after an edit takes about
// half the time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rolec::cli::main()
}
