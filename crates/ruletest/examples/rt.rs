fn main() {
    let files: Vec<_> = std::env::args()
        .skip(1)
        .map(|p| falcoc_ruletest::run_file(std::path::Path::new(&p), &Default::default()))
        .collect();
    print!("{}", falcoc_ruletest::report::text(&files));
}
