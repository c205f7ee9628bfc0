fn main() -> std::process::ExitCode {
    rolec::cli::main()
}
